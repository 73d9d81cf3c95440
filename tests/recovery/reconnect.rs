//! A project that disconnects and connects again keeps its history; the new connection's
//! first-token import must not count again what the history already holds.

use chrono::{Duration as Span, Utc};
use serde_json::json;
use topgg_testkit::topgg::API_TOKEN;
use topgg_testkit::{Backend, INTEGRATION_SECRET};

use super::{CONNECTION, Recovering, SECRET, project};

const AGAIN: &str = "conn-recover-again";
/// Voted before the bot knew the project: counted by the first token's import.
const IMPORTED: &str = "1600000000000000021";
/// Voted while the first connection was there: counted from its webhook.
const DELIVERED: &str = "1600000000000000022";

async fn a_reconnected_projects_import_counts_no_vote_twice(backend: Backend) {
    let Some(r) = Recovering::start(backend).await else {
        return;
    };
    r.topgg.vote_at(IMPORTED, Utc::now() - Span::days(30));
    r.set_token(CONNECTION, API_TOKEN).await;
    let r = r.restart(|_| {}).await;
    r.pass_after(CONNECTION, None).await;
    assert_eq!(r.deliver(&r.topgg.vote(DELIVERED)).await, 204);

    let delete = json!({"type": "integration.delete", "data": {"connection_id": CONNECTION}});
    let path = "/topgg/integration";
    assert_eq!(
        r.app.post_signed(path, INTEGRATION_SECRET, &delete).await.0,
        204
    );
    r.app.connect(AGAIN, SECRET, &project()).await;
    r.set_token(AGAIN, API_TOKEN).await;
    let r = r.restart(|_| {}).await;
    r.pass_after(AGAIN, None).await;

    let again = AGAIN.parse().unwrap();
    for voter in [IMPORTED, DELIVERED] {
        let figures = r
            .app
            .db
            .voter_figures(&again, &voter.parse().unwrap())
            .await;
        let total = figures.unwrap().map(|f| f.total_votes);
        assert_eq!(total, Some(1), "{voter} counted once");
    }
    r.stop().await;
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reconnected_projects_import_counts_no_vote_twice() {
        super::a_reconnected_projects_import_counts_no_vote_twice(super::Backend::Sqlite).await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reconnected_projects_import_counts_no_vote_twice() {
        super::a_reconnected_projects_import_counts_no_vote_twice(super::Backend::Postgres).await;
    }
}
