//! SQLite faults: a disk that fills up (a real, small tmpfs) and a write lock held elsewhere.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use topgg_bot::domain::keys::LinkRef;
use topgg_bot::domain::time::ManualClock;
use topgg_bot::storage::JobStatus;

use sqlx::Connection as _;

use crate::faults::{CONNECTION, SECRET, vote, vote_id};
use topgg_testkit::bounded;
use topgg_testkit::standin::{GUILD_ID, POST_CHANNEL_ID};
use topgg_testkit::{Backend, TestApp, eventually, server_project};

/// A tmpfs of `size` mounted on a fresh directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `None` (with the reason printed) where mounting is not permitted; a failure instead
    /// when `TOPGG_TEST_REQUIRE_TMPFS=1` (CI runs as root and sets it, so the test cannot
    /// skip there unseen).
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let output = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match output {
            Ok(out) if out.status.success() => Some(Tmpfs { dir }),
            other if std::env::var("TOPGG_TEST_REQUIRE_TMPFS").is_ok_and(|v| v == "1") => {
                panic!("TOPGG_TEST_REQUIRE_TMPFS=1 but `mount -t tmpfs` failed: {other:?}")
            }
            other => {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "\nSKIPPED: the disk-full test needs `mount -t tmpfs` (run as root): {other:?}\n"
                );
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Writes `path` until the filesystem is full.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = vec![0x5a_u8; 16 * 1024];
    while file
        .write_all(&chunk)
        .and_then(|()| file.sync_all())
        .is_ok()
    {}
    // Whatever is left below one chunk.
    while file
        .write_all(&[0x5a])
        .and_then(|()| file.sync_all())
        .is_ok()
    {}
}

async fn readyz(app: &TestApp) -> u16 {
    let url = format!("{}/readyz", app.base);
    app.client.get(url).send().await.unwrap().status().as_u16()
}

async fn wait_ready(app: &TestApp, what: &str) {
    let ready = eventually(Duration::from_secs(30), || async {
        (readyz(app).await == 200).then_some(())
    })
    .await;
    assert!(ready.is_some(), "/readyz not 200 again: {what}");
}

async fn stored_ids(db_file: &Path) -> HashSet<String> {
    let url = format!("sqlite://{}", db_file.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let rows: Vec<(String,)> = sqlx::query_as("SELECT vote_id FROM votes")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    rows.into_iter().map(|(id,)| id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_full_disk_no_unstored_vote_gets_204_and_storage_recovers_once_space_is_freed() {
    let Some(disk) = Tmpfs::mount("16m") else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter("info,sqlx=warn")
        .with_test_writer()
        .try_init();
    bounded(Duration::from_secs(240), async {
        let db_file: PathBuf = disk.path().join("bot.db");
        let url = format!("sqlite://{}", db_file.display());
        let clock = Arc::new(ManualClock::starting_now());
        let app = TestApp::start_with_clock(Backend::Sqlite, clock.clone(), |c| {
            c.database.url = url.into();
            c.delivery.lease_secs = 3;
        })
        .await
        .unwrap();
        app.connect(CONNECTION, SECRET, &server_project(&GUILD_ID.to_string()))
            .await;
        let channel = POST_CHANNEL_ID.to_string();
        app.db
            .set_channel(
                LinkRef::new(
                    &(GUILD_ID.to_string()).parse().unwrap(),
                    &CONNECTION.parse().unwrap(),
                ),
                Some(&channel.parse().unwrap()),
            )
            .await
            .unwrap();
        let mut acked: HashSet<String> = HashSet::new();
        for i in 0..5 {
            assert_eq!(app.webhook(CONNECTION, SECRET, &vote(i)).await.0, 204);
            acked.insert(vote_id(i));
        }
        let filler = disk.path().join("filler");
        fill(&filler);
        let mut refused = Vec::new();
        let mut ready_while_full = Vec::new();
        for i in 5..205 {
            let started = Instant::now();
            let (status, body) = app.webhook(CONNECTION, SECRET, &vote(i)).await;
            assert!(
                started.elapsed() < Duration::from_secs(4),
                "vote {i} took {:?}",
                started.elapsed()
            );
            match status {
                204 => {
                    acked.insert(vote_id(i));
                }
                503 => {
                    refused.push(i);
                    ready_while_full.push(readyz(&app).await);
                }
                other => panic!("vote {i}: {other} {body}"),
            }
        }
        assert!(!refused.is_empty(), "the disk never filled up");
        assert!(
            ready_while_full.contains(&503),
            "/readyz never said the database cannot take writes: {ready_while_full:?}"
        );
        let stored = stored_ids(&db_file).await;
        let lost: Vec<_> = acked.iter().filter(|id| !stored.contains(*id)).collect();
        assert!(lost.is_empty(), "204 but not stored while full: {lost:?}");

        std::fs::remove_file(&filler).unwrap();
        // /readyz remembers the failed write for 10 s (on the app's clock) unless one commits.
        clock.advance(Duration::from_secs(10));
        wait_ready(&app, "after freeing space").await;
        // Top.gg retries what got 503; new votes arrive too. No restart in between.
        for i in refused.iter().copied().chain(205..225) {
            let (status, body) = app.webhook(CONNECTION, SECRET, &vote(i)).await;
            assert_eq!(status, 204, "vote {i} after space was freed: {body}");
            acked.insert(vote_id(i));
        }
        let stored = stored_ids(&db_file).await;
        let lost: Vec<_> = acked.iter().filter(|id| !stored.contains(*id)).collect();
        assert!(lost.is_empty(), "204 but not stored: {lost:?}");
        assert_eq!(
            app.db
                .vote_count(&CONNECTION.parse().unwrap())
                .await
                .unwrap(),
            acked.len() as i64
        );
        // Jobs whose outcome could not be written on the full disk are retaken once their
        // lease (3 s on the database's clock) lapses; their retries fall due on the app's.
        clock.advance(Duration::from_secs(60));
        wait_all_jobs_settled(&app).await;
        app.stop().await;
    })
    .await;
}

/// The delivery worker claims and finishes every queued job (dry-run Discord).
async fn wait_all_jobs_settled(app: &TestApp) {
    let queued = async || {
        let jobs = app.db.all_jobs().await.unwrap();
        let queued = jobs.iter().filter(|j| j.status == JobStatus::Queued);
        (queued.count(), jobs.len())
    };
    let settled = eventually(Duration::from_secs(60), || async {
        let (queued, all) = queued().await;
        (queued == 0 && all > 0).then_some(())
    })
    .await;
    assert!(settled.is_some(), "jobs still queued: {:?}", queued().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_lock_held_elsewhere_answers_503_within_4_s_then_votes_are_stored() {
    bounded(Duration::from_secs(60), async {
        let app = TestApp::start(Backend::Sqlite).await.unwrap();
        app.connect(CONNECTION, SECRET, &server_project(&GUILD_ID.to_string()))
            .await;
        assert_eq!(app.webhook(CONNECTION, SECRET, &vote(0)).await.0, 204);
        let mut holder = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut holder)
            .await
            .unwrap();
        let started = Instant::now();
        let (status, body) = app.webhook(CONNECTION, SECRET, &vote(1)).await;
        let took = started.elapsed();
        assert_eq!(status, 503, "{body}");
        assert!(took < Duration::from_secs(4), "answered after {took:?}");
        let started = Instant::now();
        assert_eq!(readyz(&app).await, 503);
        assert!(started.elapsed() < Duration::from_secs(4));
        sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
        holder.close().await.unwrap();
        for i in 1..4 {
            assert_eq!(app.webhook(CONNECTION, SECRET, &vote(i)).await.0, 204);
        }
        assert_eq!(
            app.db
                .vote_count(&CONNECTION.parse().unwrap())
                .await
                .unwrap(),
            4
        );
        app.stop().await;
    })
    .await;
}
