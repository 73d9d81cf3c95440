//! What recovery stores, and that a vote never counts twice.

use chrono::{Duration as Span, Utc};
use topgg_testkit::Backend;
use topgg_testkit::topgg::API_TOKEN;

use super::{CONNECTION, Recovering};

const BEFORE: &str = "1600000000000000001";
const MISSED: [&str; 5] = [
    "1600000000000000002",
    "1600000000000000003",
    "1600000000000000004",
    "1600000000000000005",
    "1600000000000000006",
];

async fn votes_made_while_the_process_was_down_are_announced_once_and_their_late_webhook_changes_nothing(
    backend: Backend,
) {
    let Some(r) = Recovering::start(backend).await else {
        return;
    };
    r.set_token(CONNECTION, API_TOKEN).await;
    let r = r.restart(|_| {}).await;
    let first = r.pass_after(CONNECTION, None).await;
    let before = r.topgg.vote(BEFORE);
    assert_eq!(r.deliver(&before).await, 204);
    let mut missed = Vec::new();
    let r = r
        .restart(|topgg| missed = MISSED.iter().map(|v| topgg.vote(v)).collect())
        .await;
    r.pass_after(CONNECTION, Some(first)).await;
    let mut everyone = MISSED.to_vec();
    everyone.push(BEFORE);
    assert_eq!(
        r.mentions_of(&everyone).await,
        vec![1; 6],
        "each announced once"
    );
    assert_eq!(r.vote_count().await, 6);

    assert_eq!(r.deliver(&missed[0]).await, 204, "Top.gg's late webhook");
    r.app.settle().await;
    assert_eq!(r.vote_count().await, 6, "no second vote");
    assert_eq!(
        r.mentions_of(&everyone).await,
        vec![1; 6],
        "no second announcement"
    );
    let figures = r
        .app
        .db
        .voter_figures(&CONNECTION.parse().unwrap(), &MISSED[0].parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(figures.total_votes, 1, "counted once");
    r.stop().await;
}

async fn the_first_token_imports_the_last_year_into_the_leaderboard_announcing_nothing(
    backend: Backend,
) {
    let Some(r) = Recovering::start(backend).await else {
        return;
    };
    let now = Utc::now();
    for days in [300, 200, 100] {
        r.topgg.vote_at(MISSED[0], now - Span::days(days));
    }
    r.topgg.vote_at(MISSED[1], now - Span::days(2));
    r.topgg.vote_at(MISSED[2], now - Span::hours(1));
    r.topgg.set_page_size(2);
    r.set_token(CONNECTION, API_TOKEN).await;
    let r = r.restart(|_| {}).await;
    r.pass_after(CONNECTION, None).await;
    r.app.settle().await;

    let board = r
        .app
        .db
        .leaderboard(&CONNECTION.parse().unwrap(), None, 10)
        .await
        .unwrap();
    let board: Vec<(&str, i64)> = board
        .iter()
        .map(|row| (row.voter_id.as_str(), row.votes))
        .collect();
    assert_eq!(board, vec![(MISSED[0], 3), (MISSED[1], 1), (MISSED[2], 1)]);
    assert!(
        r.app.db.all_jobs().await.unwrap().is_empty(),
        "nothing announced or granted"
    );
    assert!(r.discord.messages_in(super::POST_CHANNEL_ID).is_empty());
    assert_eq!(
        r.topgg.list_requests().len(),
        4,
        "three pages of two, then an empty one"
    );
    r.stop().await;
}

mod sqlite {
    use topgg_testkit::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn votes_made_while_the_process_was_down_are_announced_once_and_their_late_webhook_changes_nothing()
     {
        super::votes_made_while_the_process_was_down_are_announced_once_and_their_late_webhook_changes_nothing(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_first_token_imports_the_last_year_into_the_leaderboard_announcing_nothing() {
        super::the_first_token_imports_the_last_year_into_the_leaderboard_announcing_nothing(
            Backend::Sqlite,
        )
        .await;
    }
}

mod postgres {
    use topgg_testkit::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn votes_made_while_the_process_was_down_are_announced_once_and_their_late_webhook_changes_nothing()
     {
        super::votes_made_while_the_process_was_down_are_announced_once_and_their_late_webhook_changes_nothing(Backend::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_first_token_imports_the_last_year_into_the_leaderboard_announcing_nothing() {
        super::the_first_token_imports_the_last_year_into_the_leaderboard_announcing_nothing(
            Backend::Postgres,
        )
        .await;
    }
}
