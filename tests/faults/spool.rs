//! Postgres refusing connections (a TCP proxy the test controls in front of the real server):
//! every vote is acknowledged, committed to the local spool, and moved into Postgres exactly
//! once, in arrival order, when it answers again; also across a SIGKILL.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sqlx::Connection as _;
use topgg_bot::domain::time::{Clock, SystemClock};
use topgg_testkit::post_signed;

use crate::faults::proxy::{Proxy, host_port};
use crate::faults::{CONNECTION, SECRET, mentions, vote, vote_id, voter_id};
use topgg_bot::domain::keys::LinkRef;
use topgg_bot::storage::Db;
use topgg_testkit::process::{BotProcess, Settings};
use topgg_testkit::standin::{DiscordStandIn, GUILD_ID, POST_CHANNEL_ID};
use topgg_testkit::{Backend, TestApp, server_project};
use topgg_testkit::{aim_rest_at, bounded, eventually, queue_drained};

/// How long Postgres refuses connections: `TOPGG_TEST_SPOOL_OUTAGE_SECS`, default 4. Nothing
/// in the spool depends on the outage's length once it outlasts the pool's 1 s acquire timeout
/// a few times (votes keep arriving, are spooled, then moved); a long outage (say 60 s, past
/// Top.gg's ~7 s retry window) is opt-in because the suite shares 2 cores.
fn outage() -> Duration {
    let secs = std::env::var("TOPGG_TEST_SPOOL_OUTAGE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    Duration::from_secs(secs)
}

/// vote_id -> received_at of every stored vote, read straight from Postgres.
async fn stored(database_url: &str) -> HashMap<String, i64> {
    let mut conn = sqlx::PgConnection::connect(database_url).await.unwrap();
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT vote_id, received_at FROM votes")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    rows.into_iter().collect()
}

/// Waits until Postgres holds `n` votes.
async fn wait_stored(database_url: &str, n: usize) -> HashMap<String, i64> {
    let all_stored = || async {
        let votes = stored(database_url).await;
        (votes.len() >= n).then_some(votes)
    };
    let votes = eventually(Duration::from_secs(60), all_stored).await;
    votes.unwrap_or_else(|| {
        panic!("not all {n} votes reached Postgres");
    })
}

/// Waits until each of `voters` is announced and no job is left queued in the database at
/// `database_url`, then checks each was announced exactly once.
async fn assert_announced_once(discord: &DiscordStandIn, database_url: &str, voters: &[String]) {
    let every_voter = |d: &DiscordStandIn| {
        let counts = mentions(d, POST_CHANNEL_ID);
        voters.iter().all(|v| counts.contains_key(v)).then_some(())
    };
    let announced = discord.wait_until(Duration::from_secs(60), every_voter);
    assert!(announced.await.is_some(), "every voter announced");
    let db = Db::connect(database_url).await.unwrap();
    let drained = queue_drained(&db, Duration::from_secs(60)).await;
    assert!(drained.is_some(), "{:?}", db.all_jobs().await);
    db.close().await;
    let counts = mentions(discord, POST_CHANNEL_ID);
    for voter in voters {
        assert_eq!(counts.get(voter), Some(&1), "{voter} announced once");
    }
    assert_eq!(counts.len(), voters.len(), "only these voters: {counts:?}");
}

async fn get_json(client: &reqwest::Client, url: String) -> (u16, serde_json::Value) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_refusing_connections_under_a_stream_of_votes_loses_none_and_moves_each_once() {
    bounded(Duration::from_secs(240), async {
        let Some((direct_url, _)) = topgg_testkit::postgres::fresh_postgres_database().await else {
            return;
        };
        let proxy = Proxy::start(host_port(&direct_url)).await;
        let discord = DiscordStandIn::start().await;
        let api = discord.url();
        let spool_dir = tempfile::tempdir().unwrap();
        let spool_path = spool_dir.path().join("spool.db");
        let app = TestApp::start_with(Backend::Postgres, |c| {
            aim_rest_at(c, &api);
            c.database.url = proxy.url_for(c.database.url.expose()).into();
            c.database.spool_path = spool_path.display().to_string();
        })
        .await
        .unwrap();
        let direct = app.database_url.clone();
        app.connect(CONNECTION, SECRET, &server_project(&GUILD_ID.to_string()))
            .await;
        let channel = POST_CHANNEL_ID.to_string();
        app.db
            .set_channel(
                LinkRef::new(
                    &(GUILD_ID.to_string()).parse().unwrap(),
                    &CONNECTION.parse().unwrap(),
                ),
                Some(&channel.parse().unwrap()),
            )
            .await
            .unwrap();

        let mut sent = 0;
        let send = async |sent: &mut usize| {
            let (status, body) = app.webhook(CONNECTION, SECRET, &vote(*sent)).await;
            assert_eq!(status, 204, "vote {sent}: {body}");
            *sent += 1;
            // The behaviour under test: a stream of votes spread over the outage.
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        for _ in 0..10 {
            send(&mut sent).await;
        }
        proxy.refuse();
        let down_at = Instant::now();
        let first_in_outage = sent;
        while down_at.elapsed() < outage() {
            send(&mut sent).await;
        }
        let (status, ready) = get_json(&app.client, format!("{}/readyz", app.base)).await;
        assert_eq!(status, 200, "votes are still taken: {ready}");
        assert!(ready["spool_depth"].as_i64().unwrap() > 0, "{ready}");
        let metrics = app
            .client
            .get(format!("{}/metrics", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics.contains("topgg_bot_spool_depth ")
                && !metrics.contains("topgg_bot_spool_depth 0\n"),
            "{metrics}"
        );
        let outage_ended_ms = SystemClock.now().as_millis();
        proxy.accept();
        for _ in 0..10 {
            send(&mut sent).await;
        }

        let votes = wait_stored(&direct, sent).await;
        assert_eq!(votes.len(), sent);
        for i in 0..sent {
            assert!(votes.contains_key(&vote_id(i)), "vote {i} stored");
        }
        // Moved votes count from when they arrived, not from when they were moved.
        for i in first_in_outage..first_in_outage + 5 {
            assert!(
                votes[&vote_id(i)] < outage_ended_ms,
                "vote {i} keeps its arrival time"
            );
        }
        let voters: Vec<String> = (0..sent).map(voter_id).collect();
        assert_announced_once(&discord, &direct, &voters).await;
        let (_, ready) = get_json(&app.client, format!("{}/readyz", app.base)).await;
        assert_eq!(ready["spool_depth"], 0, "{ready}");
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_with_votes_in_the_spool_loses_none_after_a_restart() {
    bounded(Duration::from_secs(180), async {
        let Some((direct_url, name)) = topgg_testkit::postgres::fresh_postgres_database().await
        else {
            return;
        };
        let proxy = Proxy::start(host_port(&direct_url)).await;
        let discord = DiscordStandIn::start().await;
        let spool_dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::new("spooler", &proxy.url_for(&direct_url), &discord.url());
        settings.spool_path = Some(spool_dir.path().join("spool.db").display().to_string());
        // The killed instance may hold the first votes' jobs; the restarted one takes them
        // over when that lease runs out (30 s by default).
        settings.lease_secs = 3;
        let mut bot = BotProcess::start(&settings).await;
        let client = reqwest::Client::new();
        bot.connect_announcing(&direct_url, CONNECTION, SECRET)
            .await;

        let webhook = format!("{}/topgg/webhooks/{CONNECTION}", bot.base);
        let send = async |i: usize| {
            let (status, text) = post_signed(&client, &webhook, SECRET, &vote(i))
                .await
                .unwrap();
            assert_eq!(status, 204, "vote {i}: {text}");
        };
        for i in 0..3 {
            send(i).await;
        }
        proxy.refuse();
        for i in 3..23 {
            send(i).await;
        }
        bot.kill().await;
        proxy.accept();
        let _restarted = BotProcess::start(&settings).await;
        let votes = wait_stored(&direct_url, 23).await;
        assert_eq!(votes.len(), 23);
        let voters: Vec<String> = (0..23).map(voter_id).collect();
        assert_announced_once(&discord, &direct_url, &voters).await;
        drop(_restarted);
        topgg_testkit::postgres::drop_postgres_database(&name).await;
    })
    .await;
}

/// The outage that lost 40 of 40 votes: a restart (the new process has seen no vote of the
/// connection), then Postgres gone. Every vote is verified with the secret loaded at start-up,
/// spooled and acknowledged, and reaches Postgres once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_then_a_postgres_outage_spools_the_votes_of_a_connection_that_has_not_voted_since()
 {
    bounded(Duration::from_secs(180), async {
        let Some((direct_url, name)) = topgg_testkit::postgres::fresh_postgres_database().await
        else {
            return;
        };
        let proxy = Proxy::start(host_port(&direct_url)).await;
        let through_proxy = |c: &mut topgg_bot::config::Config| {
            c.database.url = proxy.url_for(c.database.url.expose()).into();
        };
        let app = TestApp::start_with(Backend::Postgres, through_proxy)
            .await
            .unwrap();
        let direct = app.database_url.clone();
        app.connect(CONNECTION, SECRET, &server_project(&GUILD_ID.to_string()))
            .await;
        let app = app.restart(through_proxy).await;
        proxy.refuse();
        for i in 0..10 {
            let (status, body) = app.webhook(CONNECTION, SECRET, &vote(i)).await;
            assert_eq!(status, 204, "vote {i} during the outage: {body}");
        }
        let (wrong, _) = app.webhook(CONNECTION, "whs_wrong", &vote(10)).await;
        assert!(
            wrong == 401 || wrong == 503,
            "a wrong secret is never spooled: {wrong}"
        );
        proxy.accept();
        let votes = wait_stored(&direct, 10).await;
        assert_eq!(votes.len(), 10);
        assert!(!votes.contains_key(&vote_id(10)));
        app.stop().await;
        topgg_testkit::postgres::drop_postgres_database(&name).await;
    })
    .await;
}
