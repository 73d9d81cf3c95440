//! Starting gateway sessions as Discord allows: no IDENTIFY while `session_start_limit` has
//! none left, and none again after Discord refused the intents (4014).

use std::time::{Duration, Instant};

use crate::discord_faults::Bot;
use topgg_testkit::standin::DiscordStandIn;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_identify_until_the_session_start_limit_resets_and_readyz_says_why() {
    let discord = DiscordStandIn::start().await;
    let reset_after = Duration::from_secs(4);
    let limited_at = Instant::now();
    discord.limit_session_starts(0, reset_after);
    let bot = Bot::start_on(discord).await;

    let held = reason_becomes(&bot, "session start limit", Duration::from_secs(3)).await;
    assert!(held, "{:?}", bot.readiness().await);
    assert_eq!(bot.discord.identify_count(), 0);

    let connected = bot.readiness_becomes(200, Duration::from_secs(20)).await;
    assert!(connected.is_some(), "{:?}", bot.readiness().await);
    let first = bot.discord.identify_times()[0];
    assert!(
        first >= limited_at + reset_after,
        "identified {:?} after the limit was spent, before its reset",
        first - limited_at
    );
    assert_eq!(bot.discord.identify_count(), 1);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disallowed_intents_4014_stop_the_gateway_without_identifying_again() {
    let discord = DiscordStandIn::start().await;
    discord.close_identify_with(Some(4014));
    let bot = Bot::start_on(discord).await;
    let named = reason_becomes(&bot, "4014", Duration::from_secs(15)).await;
    assert!(named, "{:?}", bot.readiness().await);
    // Before, the gateway was retried with backoff (1 s, 2 s, 4 s...): each an IDENTIFY.
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(bot.discord.identify_count(), 1);
    assert_eq!(bot.readiness().await.0, 503);
    bot.stop().await;
}

/// Polls `/readyz` until it answers 503 with a reason containing `needle`.
async fn reason_becomes(bot: &Bot, needle: &str, within: Duration) -> bool {
    let says = || async {
        let (status, body) = bot.readiness().await;
        let reason = body["reason"].as_str().unwrap_or_default();
        (status == 503 && reason.contains(needle)).then_some(())
    };
    topgg_testkit::eventually(within, says).await.is_some()
}
