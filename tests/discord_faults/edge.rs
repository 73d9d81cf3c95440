//! Discord's edge blocking the address: a 429 with Cloudflare's HTML page and no rate-limit
//! headers pauses every call of the instance, and `/readyz` says why.

use crate::discord_faults::{Bot, WAIT};
use topgg_testkit::standin::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_429_from_discords_edge_pauses_every_call_and_turns_readyz_503() {
    let bot = Bot::start().await;
    bot.link_with_channel().await;
    bot.discord
        .fail_next("*", "/", usize::MAX, Fault::EdgeBlocked);
    for i in 0..3 {
        assert_eq!(bot.vote_by(&format!("edge-{i}"), PLAIN_USER_ID).await, 204);
    }
    let blocked = bot.discord.wait_for(|r| r.status == 429, WAIT).await;
    assert!(blocked.is_some(), "delivery met the edge's 429");
    let said = bot
        .readiness_says(503, "edge blocks this address", WAIT)
        .await;
    let now = bot.readiness().await;
    let body = said.unwrap_or_else(|| panic!("/readyz says why: {now:?}"));
    assert_eq!(body["discord"], "paused", "{body}");

    // More votes while the pause lasts: they are queued, and no call is made for them.
    for i in 3..6 {
        assert_eq!(bot.vote_by(&format!("edge-{i}"), PLAIN_USER_ID).await, 204);
    }
    let queued = topgg_testkit::eventually(WAIT, || async {
        let jobs = bot.app.db.all_jobs().await.unwrap();
        (jobs.len() >= 6).then_some(jobs)
    })
    .await;
    let Some(jobs) = queued else {
        // Seen once under heavy load: say what there was, for whoever meets it next.
        let jobs = bot.app.db.all_jobs().await.unwrap();
        let calls = bot.discord.requests();
        panic!("the later votes were queued: jobs {jobs:#?}\nDiscord calls {calls:#?}");
    };
    assert!(
        jobs.iter().all(|j| j.status.as_str() == "queued"),
        "{jobs:?}"
    );
    let gauge = bot
        .metric_at_least("topgg_bot_discord_invalid_requests", 1.0)
        .await;
    let blocked = bot
        .discord
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .count();
    assert!(
        (1..=2).contains(&blocked),
        "at most the calls in flight when the first edge 429 came back met it: {blocked}"
    );
    assert!(gauge >= 1.0, "the edge's 429 counted as invalid: {gauge}");
    let (status, body) = bot.readiness().await;
    assert_eq!(status, 503, "still paused: {body}");
    bot.stop().await;
}
