//! `/readyz` follows the shards' real state.

use std::time::Duration;

use crate::discord_faults::Bot;
use topgg_testkit::standin::DiscordStandIn;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_fails_within_20_s_of_losing_the_gateway_and_recovers() {
    let bot = Bot::start().await;
    let ready = bot.readiness_becomes(200, Duration::from_secs(15)).await;
    assert!(
        ready.is_some(),
        "ready once connected: {:?}",
        bot.readiness().await
    );

    bot.discord.refuse_gateway(true);
    let lost = bot.readiness_becomes(503, Duration::from_secs(20)).await;
    assert!(
        lost.is_some(),
        "/readyz still 200 20 s after the gateway was lost"
    );
    eprintln!("/readyz answered 503 {lost:?} after the gateway was lost");
    let (_, body) = bot.readiness().await;
    assert_eq!(body["gateway"], "disconnected", "{body}");
    let reason = body["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("gateway: shard 0"), "{body}");

    bot.discord.refuse_gateway(false);
    let back = bot.readiness_becomes(200, Duration::from_secs(30)).await;
    assert!(back.is_some(), "ready again: {:?}", bot.readiness().await);
    bot.stop().await;
}

/// serenity's `start_shard_range` treats the range's end as inclusive: a bot with one shard
/// must identify shard [0, 1] once, never a shard [1, 1] (Discord: 4010 Invalid shard).
/// serenity's shard queuer starts the shards it is given one after another, 5 s apart, and
/// queues a shard's restart behind them: once shard 0, closed with 4009 (session timed out),
/// identifies again, every shard queued at start has identified.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_identifies_each_shard_it_runs_once_and_none_beyond_the_total() {
    let bot = Bot::start().await;
    assert!(
        bot.discord
            .wait_for_identify(1, Duration::from_secs(15))
            .await
    );
    bot.discord.disconnect_gateway(4009);
    let shard_zero_again = |d: &DiscordStandIn| {
        let shards = d.identified_shards();
        (shards.iter().filter(|s| s[0] == 0).count() >= 2).then_some(shards)
    };
    let shards = bot
        .discord
        .wait_until(Duration::from_secs(30), shard_zero_again)
        .await;
    assert_eq!(
        shards,
        Some(vec![[0, 1], [0, 1]]),
        "shard 0 identified again after its restart, and no other shard before it"
    );
    bot.stop().await;
}
