//! Stopping, pruning and backing up a running instance.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{Datelike, Utc};
use serde_json::{Value, json};
use topgg_bot::domain::keys::LinkRef;
use topgg_bot::domain::time::{Clock, DAY, SystemClock};
use topgg_bot::storage::Db;

use crate::operations::{CONNECTION, JobState, SECRET, Site, vote_body};
use topgg_testkit::process::{BotProcess, Settings};
use topgg_testkit::{INTEGRATION_SECRET, OWNER_ID, integration_create, server_project};
use topgg_testkit::{bounded, eventually, jobs_done, post_signed};

const SENDERS: usize = 8;
const ACKS_BEFORE_SIGTERM: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_stream_of_webhooks_loses_no_acknowledged_vote() {
    let Some(site) = Site::start().await else {
        return;
    };
    bounded(Duration::from_secs(120), async {
        let mut bot = BotProcess::start(&site.settings("term")).await;
        site.connect(&bot).await;
        let acked = Mutex::new(Vec::new());
        let sender = |s: usize| {
            let (base, acked) = (bot.base.clone(), &acked);
            let site = &site;
            async move {
                for k in 0..2_000 {
                    let id = format!("term-{s}-{k}");
                    match site.vote(&base, &id, "1").await {
                        Ok(204) => acked.lock().unwrap().push(id),
                        Ok(_) => {}
                        Err(_) => return,
                    }
                }
            }
        };
        let stream = futures_util::future::join_all((0..SENDERS).map(sender));
        let terminate = async {
            let acked_enough = eventually(Duration::from_secs(60), || async {
                (acked.lock().unwrap().len() >= ACKS_BEFORE_SIGTERM).then_some(())
            })
            .await;
            assert!(acked_enough.is_some(), "the votes were not acknowledged");
            bot.terminate();
            (Instant::now(), acked.lock().unwrap().len())
        };
        let (_, (signalled, acked_before)) = tokio::join!(stream, terminate);
        let status = bot.wait(Duration::from_secs(30)).await;
        let stop_time = signalled.elapsed();
        let acked = acked.into_inner().unwrap();
        let after = acked.len() - acked_before;
        eprintln!("{acked_before} acked before SIGTERM, {after} after; {status} in {stop_time:?}");
        assert!(status.success(), "{status}: {}", bot.logs());
        let stored: HashSet<String> = site.vote_ids().await.into_iter().collect();
        let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
        assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
        let jobs = site.jobs().await;
        let still_leased = jobs
            .iter()
            .filter(|j| j.status == "queued" && j.leased_by.is_some());
        assert_eq!(still_leased.count(), 0, "the worker gives its leases back");
        assert!(bot.logs().contains("delivery worker stopped"));
    })
    .await;
    site.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_prunes_old_votes_but_keeps_totals_streaks_and_leaderboards() {
    let Some(site) = Site::start().await else {
        return;
    };
    bounded(Duration::from_secs(90), async {
        let mut first = BotProcess::start(&site.settings("ret-1")).await;
        site.connect(&first).await;
        let old = [
            ("old-x1", "1", 100),
            ("old-x2", "1", 99),
            ("old-x3", "1", 98),
            ("old-y", "2", 97),
        ];
        for (id, voter, days_ago) in old {
            let body = vote_days_ago(id, voter, days_ago);
            assert_eq!(site.webhook(&first.base, &body).await.unwrap(), 204);
        }
        // The old votes' announcements are done; Discord then goes down, so the fresh vote's
        // announcement stays queued through the pruning.
        let announced = jobs_done(&site.db, old.len(), Duration::from_secs(20)).await;
        assert_eq!(announced, Some(old.len()), "{:?}", site.jobs().await);
        site.standin.set_down(true);
        assert_eq!(site.vote(&first.base, "fresh-z", "3").await.unwrap(), 204);
        let before = Figures::read(&site.db).await;
        assert_eq!(
            before
                .figures_of_x
                .as_ref()
                .map(|f| (f.total_votes, f.streak)),
            Some((3, 3))
        );
        first.terminate();
        assert!(first.wait(Duration::from_secs(30)).await.success());

        // Retention runs when an instance starts, then hourly.
        let _second = BotProcess::start(&site.settings("ret-2")).await;
        let connection = CONNECTION.parse().unwrap();
        let pruned_at_start = eventually(Duration::from_secs(20), || async {
            let left = site.db.vote_count(&connection).await.unwrap();
            (left == 1).then_some(())
        });
        assert!(pruned_at_start.await.is_some(), "old votes were not pruned");
        assert_eq!(site.vote_ids().await, ["fresh-z"]);
        assert_eq!(Figures::read(&site.db).await, before);

        // Finished jobs past the retention go too; queued work never does.
        let queued = |jobs: Vec<JobState>| -> Vec<i64> {
            let queued = jobs.into_iter().filter(|j| j.status == "queued");
            queued.map(|j| j.id).collect()
        };
        let waiting = queued(site.jobs().await);
        assert_eq!(waiting.len(), 1, "the fresh vote's announcement waits");
        let pruned = site
            .db
            .prune(SystemClock.now() + Duration::from_millis(1))
            .await
            .unwrap();
        assert_eq!((pruned.votes, pruned.jobs), (1, old.len() as u64));
        let left = site.jobs().await;
        assert_eq!(left.len(), 1, "only the queued job is left: {left:?}");
        assert_eq!(queued(left), waiting);
        assert_eq!(Figures::read(&site.db).await, before);
    })
    .await;
    site.finish().await;
}

/// What retention must not touch: leaderboards (all time and each month) and voter figures.
#[derive(Debug, PartialEq)]
struct Figures {
    all_time: Vec<topgg_bot::storage::LeaderboardRow>,
    months: Vec<Vec<topgg_bot::storage::LeaderboardRow>>,
    figures_of_x: Option<topgg_bot::storage::VoterFigures>,
}

impl Figures {
    async fn read(db: &Db) -> Figures {
        let mut months = Vec::new();
        for days_ago in [100, 97, 0] {
            let day = Utc::now() - chrono::Duration::days(days_ago);
            let month = format!("{}-{:02}", day.year(), day.month());
            months.push(
                db.leaderboard(&CONNECTION.parse().unwrap(), Some(&month), 10)
                    .await
                    .unwrap(),
            );
        }
        Figures {
            all_time: db
                .leaderboard(&CONNECTION.parse().unwrap(), None, 10)
                .await
                .unwrap(),
            months,
            figures_of_x: db
                .voter_figures(&CONNECTION.parse().unwrap(), &"1".parse().unwrap())
                .await
                .unwrap(),
        }
    }
}

fn vote_days_ago(id: &str, voter: &str, days: i64) -> Value {
    let mut body = vote_body(id, voter);
    let cast = Utc::now() - chrono::Duration::days(days);
    body["data"]["created_at"] = json!(cast.to_rfc3339());
    body["data"]["expires_at"] = json!((cast + chrono::Duration::hours(12)).to_rfc3339());
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_writes_a_consistent_sqlite_copy_while_the_bot_runs() {
    bounded(Duration::from_secs(60), async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("live.db").display());
        let settings = Settings::new("backup", &url, "http://127.0.0.1:9");
        let bot = BotProcess::start(&settings).await;
        let client = reqwest::Client::new();
        let project = server_project("700000000000000001");
        let create = integration_create(CONNECTION, SECRET, &project, OWNER_ID);
        let url = format!("{}/topgg/integration", bot.base);
        assert_eq!(
            post_signed(&client, &url, INTEGRATION_SECRET, &create)
                .await
                .unwrap()
                .0,
            200
        );
        let webhook = format!("{}/topgg/webhooks/{CONNECTION}", bot.base);
        for i in 0..20 {
            let vote = topgg_testkit::vote(&format!("b-{i}"), &project, "1");
            assert_eq!(
                post_signed(&client, &webhook, SECRET, &vote)
                    .await
                    .unwrap()
                    .0,
                204
            );
        }
        let copy = dir.path().join("copy.db");
        let copy_arg = copy.to_str().unwrap();
        let run = settings
            .command(dir.path(), &["backup", copy_arg])
            .output()
            .await
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let backup = Db::connect(&format!("sqlite://{copy_arg}")).await.unwrap();
        assert_eq!(
            backup
                .vote_count(&CONNECTION.parse().unwrap())
                .await
                .unwrap(),
            20
        );
        backup.close().await;
        let again = settings
            .command(dir.path(), &["backup", copy_arg])
            .output()
            .await
            .unwrap();
        assert!(!again.status.success());
        assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_of_a_postgres_database_points_to_pg_dump() {
    let Some(site) = Site::start().await else {
        return;
    };
    bounded(Duration::from_secs(30), async {
        let dir = tempfile::tempdir().unwrap();
        let settings = site.settings("backup-pg");
        let run = settings
            .command(dir.path(), &["backup", "copy.db"])
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success());
        assert!(stderr.contains("pg_dump"), "{stderr}");
        assert!(!dir.path().join("copy.db").exists());
    })
    .await;
    site.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_on_sqlite_removes_old_votes_and_finished_jobs_only() {
    let app = topgg_testkit::TestApp::start(topgg_testkit::Backend::Sqlite)
        .await
        .unwrap();
    let guild = topgg_testkit::standin::GUILD_ID.to_string();
    app.connect(CONNECTION, SECRET, &server_project(&guild))
        .await;
    app.db
        .set_channel(
            LinkRef::new(&guild.parse().unwrap(), &CONNECTION.parse().unwrap()),
            Some(&"1".parse().unwrap()),
        )
        .await
        .unwrap();
    let old = vote_days_ago("old", "1", 100);
    assert_eq!(app.webhook(CONNECTION, SECRET, &old).await.0, 204);
    assert_eq!(
        app.webhook(CONNECTION, SECRET, &vote_body("new", "1"))
            .await
            .0,
        204
    );
    let worked = jobs_done(&app.db, 2, Duration::from_secs(10)).await;
    assert!(worked.is_some(), "the dry-run worker did not finish");
    let before = Figures::read(&app.db).await;
    let ninety_days_ago = SystemClock.now() - DAY * 90;
    // The app's own start-up pruning may already have removed the old vote.
    let pruned = app.db.prune(ninety_days_ago).await.unwrap();
    assert_eq!(pruned.jobs, 0, "jobs finished just now stay");
    assert_eq!(
        app.db
            .vote_count(&CONNECTION.parse().unwrap())
            .await
            .unwrap(),
        1,
        "only the new vote is left"
    );
    let pruned = app
        .db
        .prune(SystemClock.now() + Duration::from_millis(1))
        .await
        .unwrap();
    assert_eq!((pruned.votes, pruned.jobs), (1, 2));
    assert_eq!(Figures::read(&app.db).await, before);
    app.stop().await;
}
