//! Gateway close codes 4010-4012 on IDENTIFY, with the real `topgg-bot` process: never
//! identified again in a loop, the process idle (serenity 0.12.5 alone polls the closed
//! socket with a full core), `/healthz` answering, `/readyz` 503 naming the code, votes taken;
//! and a 4011 with the shard count not fixed re-reads it and identifies with the new count.

use std::time::{Duration, Instant};

use serde_json::Value;
use topgg_testkit::process::{BotProcess, Settings};
use topgg_testkit::standin::DiscordStandIn;
use topgg_testkit::{
    INTEGRATION_SECRET, OWNER_ID, eventually, integration_create, post_signed, server_project, vote,
};

/// How long the process is watched once its shard was closed.
const WATCH: Duration = Duration::from_secs(8);
/// Linux reports a process's CPU time in ticks of 1/100 s (`USER_HZ`).
const TICKS_PER_SECOND: f64 = 100.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_closed_with_4010_is_not_identified_again_and_the_process_idles_serving_votes() {
    let discord = DiscordStandIn::start().await;
    discord.close_identify_with(Some(4010));
    a_closed_shard_stays_stopped(discord, None, 4010).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_closed_with_4011_on_fixed_shards_is_not_identified_again_and_the_process_idles() {
    let discord = DiscordStandIn::start().await;
    discord.require_shards(2);
    a_closed_shard_stays_stopped(discord, Some("0/1"), 4011).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_closed_with_4012_is_not_identified_again_and_the_process_idles_serving_votes() {
    let discord = DiscordStandIn::start().await;
    discord.close_identify_with(Some(4012));
    a_closed_shard_stays_stopped(discord, None, 4012).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4011_with_automatic_shards_rereads_the_count_and_identifies_each_new_shard_once() {
    let discord = DiscordStandIn::start().await;
    discord.require_shards(2);
    let bot = start_process(&discord, None).await;
    let base = bot.base.clone();
    let all_ready = eventually(Duration::from_secs(40), || async {
        (readiness(&base).await.0 == 200).then_some(())
    });
    assert!(all_ready.await.is_some(), "{:?}", readiness(&base).await);
    assert_eq!(
        discord.identified_shards(),
        vec![[0, 1], [0, 2], [1, 2]],
        "one IDENTIFY closed with 4011, then each of the 2 recommended shards once"
    );
    let reads = discord.requests_matching("GET", "/gateway/bot").len();
    assert!(
        reads >= 2,
        "GET /gateway/bot read again after 4011: {reads}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_4011_after_resharding_stops_the_shard_instead_of_resharding_again() {
    let discord = DiscordStandIn::start().await;
    // Discord keeps recommending 1 shard and keeps refusing it.
    discord.close_identify_with(Some(4011));
    let bot = start_process(&discord, None).await;
    let stopped = eventually(Duration::from_secs(30), || async {
        let (status, body) = readiness(&bot.base).await;
        let reason = body["reason"].as_str().unwrap_or_default().to_string();
        (status == 503 && reason.contains("stopped") && reason.contains("4011")).then_some(())
    });
    assert!(stopped.await.is_some(), "{:?}", readiness(&bot.base).await);
    stays_idle(&bot, 4011).await;
    assert_eq!(
        discord.identified_shards(),
        vec![[0, 1], [0, 1]],
        "the first IDENTIFY, the one after re-reading the count, then none"
    );
    assert_eq!(discord.requests_matching("GET", "/gateway/bot").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_closed_with_4011_is_stopped_while_the_other_shard_of_the_instance_runs_on() {
    let discord = DiscordStandIn::start().await;
    discord.close_identify_of(1, 4011);
    let bot = start_process(&discord, Some("0-1/2")).await;
    // serenity starts shard 1 five seconds after shard 0.
    let both = discord.wait_until(Duration::from_secs(30), |d| {
        (d.identify_count() >= 2).then_some(())
    });
    assert!(both.await.is_some(), "{:?}", discord.identified_shards());
    let named = eventually(Duration::from_secs(10), || async {
        let (status, body) = readiness(&bot.base).await;
        let reason = body["reason"].as_str().unwrap_or_default().to_string();
        (status == 503 && reason.contains("shard 1 stopped") && reason.contains("4011"))
            .then_some(())
    });
    assert!(named.await.is_some(), "{:?}", readiness(&bot.base).await);
    stays_idle(&bot, 4011).await;
    assert_eq!(discord.identified_shards(), vec![[0, 2], [1, 2]]);
    assert!(discord.gateway_connected(), "shard 0 is still connected");
    assert_eq!(our_error_lines(&bot.logs(), 4011).len(), 1);
}

/// Starts the process against `discord` (with `discord.shards` = `shards`), waits for the
/// close, and checks what a stopped shard must look like.
async fn a_closed_shard_stays_stopped(discord: DiscordStandIn, shards: Option<&str>, code: u16) {
    let bot = start_process(&discord, shards).await;
    let closed = discord.wait_until(Duration::from_secs(20), |d| {
        (d.identify_count() >= 1).then_some(())
    });
    assert!(closed.await.is_some(), "no IDENTIFY:\n{}", bot.logs());
    let named = eventually(Duration::from_secs(10), || async {
        let (status, body) = readiness(&bot.base).await;
        let reason = body["reason"].as_str().unwrap_or_default().to_string();
        (status == 503 && reason.contains(&code.to_string())).then_some(reason)
    });
    let reason = named.await;
    assert!(reason.is_some(), "{:?}", readiness(&bot.base).await);

    stays_idle(&bot, code).await;
    assert_eq!(
        discord.identify_count(),
        1,
        "identified again: {:?}",
        discord.identified_shards()
    );
    let health = reqwest::get(format!("{}/healthz", bot.base)).await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(readiness(&bot.base).await.0, 503);
    assert_eq!(signed_vote(&bot).await, 204, "a vote is still taken");
    let errors = our_error_lines(&bot.logs(), code);
    assert_eq!(errors.len(), 1, "one error line naming {code}: {errors:?}");
}

/// Watches the process for [`WATCH`]: its CPU time must stay far below the wall time.
async fn stays_idle(bot: &BotProcess, code: u16) {
    let (cpu_before, wall_start) = (cpu_seconds(bot.pid()), Instant::now());
    tokio::time::sleep(WATCH).await;
    let cpu = cpu_seconds(bot.pid()) - cpu_before;
    let wall = wall_start.elapsed().as_secs_f64();
    eprintln!("after {code}: {cpu:.2} s of CPU in {wall:.2} s");
    // Idle, the process uses well under 1% of the time; spinning, a full core when the machine
    // is free and still about a quarter of one under a load of 7 on 2 cores.
    assert!(
        cpu < 0.1 * wall,
        "{cpu:.2} s of CPU in {wall:.2} s: the process spins"
    );
}

async fn start_process(discord: &DiscordStandIn, shards: Option<&str>) -> BotProcess {
    // A relative SQLite path: the file lands in the process's own temporary directory.
    let mut settings = Settings::new("closes", "sqlite://closes.db", &discord.url());
    let gateway = (
        "TOPGG_BOT__DISCORD__GATEWAY".to_string(),
        "true".to_string(),
    );
    settings.extra_env.push(gateway);
    if let Some(shards) = shards {
        let fixed = ("TOPGG_BOT__DISCORD__SHARDS".to_string(), shards.to_string());
        settings.extra_env.push(fixed);
    }
    BotProcess::start(&settings).await
}

/// `/readyz`: status and body.
async fn readiness(base: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{base}/readyz")).await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// Connects a server project through the handshake and sends it a signed vote: its status.
async fn signed_vote(bot: &BotProcess) -> u16 {
    let client = reqwest::Client::new();
    let project = server_project(&topgg_testkit::standin::GUILD_ID.to_string());
    let create = integration_create("conn-closes", "whs_closes", &project, OWNER_ID);
    let url = format!("{}/topgg/integration", bot.base);
    let (status, _) = post_signed(&client, &url, INTEGRATION_SECRET, &create)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let body = vote("closes-vote-1", &project, "500000000000000001");
    let url = format!("{}/topgg/webhooks/conn-closes", bot.base);
    post_signed(&client, &url, "whs_closes", &body)
        .await
        .unwrap()
        .0
}

/// The process's user and system CPU time so far (`/proc/<pid>/stat`).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces): state is the first, then
    // utime and stime are the 12th and 13th.
    let after_name = stat.rsplit_once(')').unwrap().1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / TICKS_PER_SECOND
}

/// The bot's own error lines (not serenity's) that name `code`.
fn our_error_lines(logs: &str, code: u16) -> Vec<String> {
    logs.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["level"] == "ERROR")
        .filter(|l| {
            l["target"]
                .as_str()
                .unwrap_or_default()
                .starts_with("topgg_bot")
        })
        .filter(|l| l.to_string().contains(&code.to_string()))
        .map(|l| l.to_string())
        .collect()
}
