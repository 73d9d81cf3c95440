//! Probes stay cheap: `/readyz` answers from state a background task refreshes, so a flood of
//! probes on the public listener cannot slow a vote, and it still turns 503 when the
//! database stops taking writes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqlx::Connection;
use tokio::task::JoinSet;

use topgg_testkit::standin::GUILD_ID;
use topgg_testkit::{Backend, TestApp, bounded, eventually, server_project};

const CONNECTION: &str = "conn-probes";
const SECRET: &str = "whs_probes";
const HAMMERERS: usize = 16;
const HAMMERING: Duration = Duration::from_secs(10);
const VOTES: usize = 150;
/// The contract's bound for a vote's answer while probes flood in.
const VOTE_BOUND: Duration = Duration::from_secs(1);

/// `/readyz` on one kept-alive connection as fast as it answers until `stop`; the answers.
async fn hammer(base: String, stop: Arc<AtomicBool>, answers: Arc<AtomicUsize>) {
    let client = reqwest::Client::new();
    while !stop.load(Ordering::Relaxed) {
        let response = client.get(format!("{base}/readyz")).send().await;
        assert_eq!(response.expect("/readyz answers").status(), 200);
        answers.fetch_add(1, Ordering::Relaxed);
    }
}

/// Sends the votes spread over [`HAMMERING`]; the slowest answer.
async fn vote_steadily(app: &TestApp) -> Duration {
    let project = server_project(&GUILD_ID.to_string());
    let mut pace = tokio::time::interval(HAMMERING / VOTES as u32);
    let mut slowest = Duration::ZERO;
    for i in 0..VOTES {
        pace.tick().await;
        let voter = (1_700_000_000_000_000_000u64 + i as u64).to_string();
        let vote = topgg_testkit::vote(&format!("probe-vote-{i}"), &project, &voter);
        let started = Instant::now();
        let (status, body) = app.webhook(CONNECTION, SECRET, &vote).await;
        let took = started.elapsed();
        assert!((200..300).contains(&status), "vote {i}: {status} {body}");
        slowest = slowest.max(took);
    }
    slowest
}

async fn votes_are_answered_within_a_second_while_readyz_is_hammered(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    app.connect(CONNECTION, SECRET, &server_project(&GUILD_ID.to_string()))
        .await;
    let (stop, answers) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
    );
    let mut hammerers = JoinSet::new();
    for _ in 0..HAMMERERS {
        hammerers.spawn(hammer(app.base.clone(), stop.clone(), answers.clone()));
    }
    let slowest = vote_steadily(&app).await;
    stop.store(true, Ordering::Relaxed);
    while let Some(done) = hammerers.join_next().await {
        done.expect("a hammerer failed");
    }
    eprintln!(
        "{backend:?}: slowest vote {slowest:?}; /readyz answered {} times",
        answers.load(Ordering::Relaxed)
    );
    assert!(slowest < VOTE_BOUND, "a vote took {slowest:?}");
    let connection = CONNECTION
        .parse::<topgg_bot::domain::ids::ConnectionId>()
        .unwrap();
    let stored = app.db.vote_count(&connection).await.unwrap();
    assert_eq!(stored, VOTES as i64);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_clients_hammering_readyz_do_not_slow_votes_on_sqlite() {
    bounded(Duration::from_secs(90), async {
        votes_are_answered_within_a_second_while_readyz_is_hammered(Backend::Sqlite).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_clients_hammering_readyz_do_not_slow_votes_on_postgres() {
    bounded(Duration::from_secs(90), async {
        votes_are_answered_within_a_second_while_readyz_is_hammered(Backend::Postgres).await;
    })
    .await;
}

async fn readyz(app: &TestApp) -> u16 {
    let response = app.client.get(format!("{}/readyz", app.base)).send();
    response.await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_waits_for_no_database_lock_and_turns_503_when_the_database_stops_taking_writes() {
    bounded(Duration::from_secs(60), async {
        let app = TestApp::start(Backend::Sqlite).await.unwrap();
        assert_eq!(readyz(&app).await, 200);
        let mut holder = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut holder)
            .await
            .unwrap();
        // Asking the database would wait out the 2 s write deadline on every request.
        for _ in 0..5 {
            let started = Instant::now();
            readyz(&app).await;
            let took = started.elapsed();
            assert!(took < Duration::from_secs(1), "/readyz took {took:?}");
        }
        let unready = eventually(Duration::from_secs(10), || async {
            (readyz(&app).await == 503).then_some(())
        });
        assert!(
            unready.await.is_some(),
            "/readyz still 200 with the write lock held"
        );
        sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
        holder.close().await.unwrap();
        let ready = eventually(Duration::from_secs(10), || async {
            (readyz(&app).await == 200).then_some(())
        });
        assert!(
            ready.await.is_some(),
            "/readyz not 200 once writes are taken again"
        );
        app.stop().await;
    })
    .await;
}

/// The transaction ids Postgres has handed out so far (`txid_current` takes one itself).
async fn transaction_ids(database_url: &str) -> i64 {
    let mut conn = sqlx::PgConnection::connect(database_url).await.unwrap();
    let (id,): (i64,) = sqlx::query_as("SELECT txid_current()")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_readyz_requests_take_no_transaction_ids_on_postgres() {
    bounded(Duration::from_secs(60), async {
        let Some(app) = TestApp::start(Backend::Postgres).await else {
            return;
        };
        assert_eq!(readyz(&app).await, 200);
        let before = transaction_ids(&app.database_url).await;
        for _ in 0..1000 {
            assert_eq!(readyz(&app).await, 200);
        }
        let taken = transaction_ids(&app.database_url).await - before;
        // The background check takes one a second; a write per request would take 1,000.
        assert!(taken < 100, "{taken} transaction ids for 1,000 requests");
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metrics_scrape_waits_for_no_lock_on_the_queue_on_postgres() {
    bounded(Duration::from_secs(60), async {
        let Some(app) = TestApp::start(Backend::Postgres).await else {
            return;
        };
        let mut holder = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query("BEGIN").execute(&mut holder).await.unwrap();
        sqlx::query("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE")
            .execute(&mut holder)
            .await
            .unwrap();
        // Counting the queue per scrape would wait for the lock as long as it is held.
        let scrape = app.client.get(format!("{}/metrics", app.base)).send();
        let answered = tokio::time::timeout(Duration::from_secs(3), scrape).await;
        let text = answered.expect("/metrics waited for the lock").unwrap();
        assert!(
            text.text()
                .await
                .unwrap()
                .contains("topgg_bot_votes_stored_total")
        );
        sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
        holder.close().await.unwrap();
        app.stop().await;
    })
    .await;
}
