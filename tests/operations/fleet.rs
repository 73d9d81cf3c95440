//! Several instances on one Postgres: shared work is done once, and the work of an instance
//! that died is taken over once its lease runs out.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::net::TcpListener;
use topgg_bot::domain::time::{Clock, SystemClock};
use topgg_bot::storage::Db;

use crate::operations::{CONNECTION, Site, nonces, voter};
use topgg_testkit::process::BotProcess;
use topgg_testkit::standin::RecordedRequest;
use topgg_testkit::{bounded, eventually};

const VOTES: usize = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_store_and_announce_each_of_a_thousand_votes_exactly_once() {
    let Some(site) = Site::start().await else {
        return;
    };
    bounded(Duration::from_secs(240), async {
        let a = BotProcess::start(&site.settings("a")).await;
        let b = BotProcess::start(&site.settings("b")).await;
        site.connect(&a).await;
        let started = Instant::now();
        let statuses = send_spread(&site, [&a.base, &b.base]).await;
        assert!(statuses.iter().all(|s| *s == 204), "{statuses:?}");
        let sent = started.elapsed();
        let announced = site
            .wait_for_announced(VOTES, Duration::from_secs(120))
            .await;
        eprintln!(
            "{VOTES} votes (+{} re-sent) in {sent:?}; announced after {:?}",
            VOTES / 10,
            started.elapsed()
        );
        assert_eq!(announced.len(), VOTES);
        // Late duplicates would show up once every job is finished.
        site.settle().await;
        let announced = site.announced_voters();
        let distinct: HashSet<&String> = announced.iter().collect();
        assert_eq!(
            (announced.len(), distinct.len()),
            (VOTES, VOTES),
            "each vote once"
        );
        // A message sent twice would show up as a second request with the same nonce.
        let requests = site.announcement_requests();
        let nonces: HashSet<String> = nonces(&requests).into_iter().collect();
        assert_eq!(nonces.len(), requests.len(), "no message posted twice");
        assert_eq!(
            site.db
                .vote_count(&CONNECTION.parse().unwrap())
                .await
                .unwrap(),
            VOTES as i64
        );
        let jobs = site.jobs().await;
        assert!(jobs.iter().all(|j| j.status == "done"));
        // Which instance posted is not asserted: one guild's announcements go to one
        // instance at a time (per-guild ownership), so on a loaded machine one instance may
        // rightly post them all; two instances claiming one guild are tested in storage.
        assert!(
            jobs.iter().all(|j| j.leased_by.is_some()),
            "every job was worked by an instance: {jobs:?}"
        );
    })
    .await;
    site.finish().await;
}

/// Vote `i` goes to instance `i % 2`; every tenth is also delivered to the other instance at
/// the same moment, as Top.gg's retries might. 16 requests in flight.
async fn send_spread(site: &Site, bases: [&str; 2]) -> Vec<u16> {
    let send = |i: usize| async move {
        let id = format!("fleet-{i}");
        let voter = voter(i);
        let first = site.vote(bases[i % 2], &id, &voter);
        if !i.is_multiple_of(10) {
            return vec![first.await.unwrap()];
        }
        let again = site.vote(bases[(i + 1) % 2], &id, &voter);
        let (x, y) = tokio::join!(first, again);
        vec![x.unwrap(), y.unwrap()]
    };
    futures_util::stream::iter(0..VOTES)
        .map(send)
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await
        .concat()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_held_by_a_killed_instance_is_done_by_another_once_its_lease_runs_out() {
    let Some(site) = Site::start().await else {
        return;
    };
    bounded(Duration::from_secs(90), async {
        // Instance a reaches "Discord" through a tarpit: its first call hangs while it holds
        // the job's lease (3 s, renewed every second).
        let tarpit = Tarpit::start().await;
        let mut settings = site.settings("a");
        settings.api_url = tarpit.url();
        settings.lease_secs = 3;
        let mut a = BotProcess::start(&settings).await;
        site.connect(&a).await;
        for i in 0..5 {
            let id = format!("kill-{i}");
            let status = site.vote(&a.base, &id, &voter(i)).await;
            assert_eq!(status.unwrap(), 204);
        }
        let held = wait_for_leases_of(&site, "a-", Duration::from_secs(15)).await;
        let called = eventually(Duration::from_secs(5), || async {
            (tarpit.connections() > 0).then_some(())
        })
        .await;
        assert!(called.is_some(), "a never called Discord");
        a.kill().await;
        let (killed_at, killed_ms) = (Instant::now(), SystemClock.now().as_millis());
        let lease_end = lease_end_of(&site, &held).await;

        let mut settings = site.settings("b");
        settings.lease_secs = 3;
        let _b = BotProcess::start(&settings).await;
        let announced = site.wait_for_announced(5, Duration::from_secs(30)).await;
        let distinct: HashSet<&String> = announced.iter().collect();
        assert_eq!((announced.len(), distinct.len()), (5, 5));
        let lease_end_at = killed_at + Duration::from_millis((lease_end - killed_ms).max(0) as u64);
        let requests = site.announcement_requests();
        for held_voter in held_voters(&site.db, &held).await {
            let request = requests.iter().find(|r| mentions(r, &held_voter));
            let taken_at = request.expect("the held job was done").at;
            assert!(
                taken_at + Duration::from_millis(20) >= lease_end_at,
                "b ran a job {:?} before a's lease ran out",
                lease_end_at - taken_at
            );
        }
        // Discord answers before the worker records the job as done.
        let all_done = eventually(Duration::from_secs(5), || async {
            site.jobs()
                .await
                .iter()
                .all(|j| j.status == "done")
                .then_some(())
        })
        .await;
        assert!(all_done.is_some(), "{:?}", site.jobs().await);
        eprintln!("takeover {:?} after SIGKILL", killed_at.elapsed());
    })
    .await;
    site.finish().await;
}

/// Waits until an instance named `prefix...` holds a live lease; returns the held job ids.
pub(crate) async fn wait_for_leases_of(site: &Site, prefix: &str, timeout: Duration) -> Vec<i64> {
    let held = eventually(timeout, || async {
        let held: Vec<i64> = site
            .jobs()
            .await
            .into_iter()
            .filter(|j| {
                j.status == "queued"
                    && j.lease_until
                        .is_some_and(|t| t > SystemClock.now().as_millis())
            })
            .filter(|j| {
                j.leased_by
                    .as_deref()
                    .is_some_and(|l| l.starts_with(prefix))
            })
            .map(|j| j.id)
            .collect();
        (!held.is_empty()).then_some(held)
    })
    .await;
    held.unwrap_or_else(|| panic!("{prefix} never held a lease"))
}

async fn lease_end_of(site: &Site, held: &[i64]) -> i64 {
    let jobs = site.jobs().await;
    let ends = jobs.iter().filter(|j| held.contains(&j.id));
    ends.filter_map(|j| j.lease_until).max().expect("a lease")
}

/// The voters whose announcements the held jobs carry.
async fn held_voters(db: &Db, held: &[i64]) -> Vec<String> {
    let jobs = db.all_jobs().await.unwrap();
    let held_jobs = jobs.iter().filter(|j| held.contains(&j.id.get()));
    let payloads = held_jobs.map(|j| serde_json::to_value(&j.work).unwrap());
    payloads
        .map(|work| work["voter_id"].as_str().unwrap().to_string())
        .collect()
}

/// Whether a message request may mention `voter`.
fn mentions(request: &RecordedRequest, voter: &str) -> bool {
    let users = request.body["allowed_mentions"]["users"].as_array();
    users.is_some_and(|users| users.iter().any(|u| u == voter))
}

/// Accepts connections and never answers: a Discord that hangs.
pub(crate) struct Tarpit {
    addr: std::net::SocketAddr,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Tarpit {
    pub(crate) async fn start() -> Tarpit {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                held.push(socket);
            }
        });
        Tarpit {
            addr,
            accepted,
            task,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Tarpit {
    fn drop(&mut self) {
        self.task.abort();
    }
}
