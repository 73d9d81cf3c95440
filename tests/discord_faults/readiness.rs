//! `/readyz` follows the shards' real state.

use std::time::Duration;

use crate::Bot;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_fails_within_20_s_of_losing_the_gateway_and_recovers() {
    let bot = Bot::start(|_| {}).await;
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
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_identifies_each_shard_it_runs_once_and_none_beyond_the_total() {
    let bot = Bot::start(|_| {}).await;
    assert!(
        bot.discord
            .wait_for_identify(1, Duration::from_secs(15))
            .await
    );
    // serenity's shard queuer starts the next shard 5 s after the previous one.
    let second = bot
        .discord
        .wait_for_identify(2, Duration::from_secs(7))
        .await;
    assert!(
        !second,
        "shards identified: {:?}",
        bot.discord.identified_shards()
    );
    assert_eq!(bot.discord.identified_shards(), vec![[0, 1]]);
    bot.stop().await;
}
