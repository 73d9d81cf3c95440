//! Recovery after a time votes could not be taken: the votes Top.gg gave up delivering are
//! listed and recorded, with their usual effects, as soon as votes can be taken again (not
//! on the timer: it is an hour here).

use sqlx::Connection as _;
use topgg_bot::domain::time::SystemClock;
use topgg_testkit::Backend;
use topgg_testkit::postgres::fresh_postgres_database;
use topgg_testkit::topgg::API_TOKEN;

use super::{CONNECTION, Recovering};
use crate::faults::proxy::{Proxy, host_port};

const HOUR: u64 = 3600;
const DELIVERED: &str = "1600000000000000011";
const GIVEN_UP: [&str; 2] = ["1600000000000000012", "1600000000000000013"];

/// The app recovering for the test connection with the API token, its first pass (the
/// import) done; when that pass got to.
async fn with_token(r: Recovering) -> (Recovering, topgg_bot::domain::time::Timestamp) {
    r.set_token(CONNECTION, API_TOKEN).await;
    let r = r.restart(|_| {}).await;
    let imported = r.pass_after(CONNECTION, None).await;
    (r, imported)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_lost_to_503s_are_recovered_once_votes_can_be_taken_again() {
    let r = Recovering::start_with(Backend::Sqlite, SystemClock::shared(), HOUR);
    let (r, imported) = with_token(r.await.unwrap()).await;
    let mut holder = sqlx::SqliteConnection::connect(&r.app.database_url)
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .unwrap();
    for voter in GIVEN_UP {
        let vote = r.topgg.vote(voter);
        assert_eq!(
            r.deliver(&vote).await,
            503,
            "the write lock is held elsewhere"
        );
    }
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    holder.close().await.unwrap();
    assert_eq!(r.vote_count().await, 0, "Top.gg gave up on them");

    r.pass_after(CONNECTION, Some(imported)).await;
    assert_eq!(
        r.mentions_of(&GIVEN_UP).await,
        vec![1, 1],
        "each announced once"
    );
    assert_eq!(r.vote_count().await, 2);
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_top_gg_did_not_deliver_during_a_postgres_outage_are_recovered_after_it() {
    let Some((direct, _)) = fresh_postgres_database().await else {
        return;
    };
    let proxy = Proxy::start(host_port(&direct)).await;
    let through = |url: &str| Some(proxy.url_for(url));
    let r = Recovering::start_through(Backend::Postgres, SystemClock::shared(), HOUR, through);
    let (r, imported) = with_token(r.await.unwrap()).await;

    proxy.refuse();
    let delivered = r.topgg.vote(DELIVERED);
    assert_eq!(r.deliver(&delivered).await, 204, "taken into the spool");
    for voter in GIVEN_UP {
        r.topgg.vote(voter);
    }
    proxy.accept();

    r.pass_after(CONNECTION, Some(imported)).await;
    let everyone = [DELIVERED, GIVEN_UP[0], GIVEN_UP[1]];
    assert_eq!(
        r.mentions_of(&everyone).await,
        vec![1, 1, 1],
        "each announced once"
    );
    assert_eq!(r.vote_count().await, 3);
    r.stop().await;
}
