//! The invalid-request budget end to end: Discord answering every announcement 429, the bot
//! stops calling once past its budget of invalid answers in the rolling window, `/metrics`
//! and `/readyz` say so, and calls resume by themselves once the count falls. The budget is
//! Discord's (5,000 in 10 minutes) in the product; this test sets a small one through the
//! configuration's test-only field, which no file or environment variable can set.

use std::time::Duration;

use topgg_bot::discord::InvalidBudget;
use topgg_testkit::standin::*;

use crate::discord_faults::{Bot, WAIT};

const BUDGET: InvalidBudget = InvalidBudget {
    max: 20,
    window: Duration::from_secs(6),
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_invalid_request_budget_no_call_is_made_until_the_count_falls() {
    let bot = Bot::builder()
        .config(|c| c.discord.invalid_budget = BUDGET)
        .start()
        .await;
    bot.link_with_channel().await;
    let posts = format!("/channels/{POST_CHANNEL_ID}/messages");
    let limited = Fault::RateLimited { retry_after: 0.01 };
    bot.discord.fail_next("POST", &posts, usize::MAX, limited);
    for i in 0..3 {
        assert_eq!(
            bot.vote_by(&format!("budget-{i}"), PLAIN_USER_ID).await,
            204
        );
    }

    // Awaits the budget's own 503: a shard still starting gives /readyz 503 as well.
    let said = bot.readiness_says(503, "past the budget of 20", WAIT).await;
    assert!(said.is_some(), "{:?}", bot.readiness().await);
    let gauge = bot
        .metric_at_least("topgg_bot_discord_invalid_requests", 21.0)
        .await;
    assert_eq!(gauge, 21.0, "the gauge shows the count");
    let refused = |bot: &Bot| {
        let requests = bot.discord.requests_matching("POST", &posts);
        requests
            .into_iter()
            .filter(|r| r.status == 429)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        refused(&bot).len(),
        BUDGET.max + 1,
        "the call past the budget is the last one made"
    );

    // Discord would answer again; the bot waits for the count to fall, then posts all three.
    bot.discord.clear_faults();
    let kept = bot.messages_until(WAIT, |m| m.len() == 3).await;
    assert_eq!(kept.len(), 3, "calls resumed once the count fell");
    let refused = refused(&bot);
    assert_eq!(refused.len(), BUDGET.max + 1);
    let requests = bot.discord.requests_matching("POST", &posts);
    let first_after = requests.iter().find(|r| r.status != 429).unwrap();
    assert!(
        first_after.at >= refused[0].at + BUDGET.window,
        "no call before the first refusal left the window: {:?} after it",
        first_after.at - refused[0].at
    );
    assert!(bot.readiness_becomes(200, WAIT).await.is_some());
    bot.stop().await;
}
