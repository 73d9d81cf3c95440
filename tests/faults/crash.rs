//! SIGKILL of the real binary under load, then a restart on the same SQLite database.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use topgg_bot::domain::ids::Id;

use sqlx::Connection as _;
use topgg_bot::send_test::{sample_vote, send_signed};
use topgg_bot::storage::Db;

use crate::common::{INTEGRATION_SECRET, OWNER_ID, integration_create, server_project};
use crate::process::{BotProcess, Settings};
use crate::standin::{DiscordStandIn, GUILD_ID, POST_CHANNEL_ID};
use crate::{CONNECTION, SECRET, bounded, mentions};

const SENDERS: usize = 8;

/// Vote `n` of sender `s`; each has its own voter, so a mention names exactly one vote.
fn crash_vote(s: usize, n: usize) -> (String, String, serde_json::Value) {
    let id = format!("crash-{s}-{n}");
    let voter = (1_800_000_000_000_000_000u64 + (s * 100_000 + n) as u64).to_string();
    let body = sample_vote(&id, &server_project(&GUILD_ID.to_string()), &voter, "voter");
    (id, voter, body)
}

/// Sends votes from `SENDERS` tasks until `stop`; returns (vote id, voter) of each 204.
async fn send_until(base: String, stop: Arc<AtomicBool>) -> Vec<(String, String)> {
    let acked = Arc::new(Mutex::new(Vec::new()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let url = format!("{base}/topgg/webhooks/{CONNECTION}");
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let (client, url, stop, acked) =
                (client.clone(), url.clone(), stop.clone(), acked.clone());
            tokio::spawn(async move {
                for n in 0..100_000 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let (id, voter, body) = crash_vote(s, n);
                    let body = serde_json::to_vec(&body).unwrap();
                    if let Ok((204, _)) = send_signed(&client, &url, SECRET, &body).await {
                        acked.lock().unwrap().push((id, voter));
                    }
                }
            })
        })
        .collect();
    for sender in senders {
        sender.await.unwrap();
    }
    Arc::try_unwrap(acked).unwrap().into_inner().unwrap()
}

async fn stored_votes(database_url: &str) -> HashMap<String, String> {
    let mut conn = sqlx::SqliteConnection::connect(database_url).await.unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT vote_id, voter_id FROM votes")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    rows.into_iter().collect()
}

async fn connect(bot: &BotProcess, database_url: &str) {
    let create = integration_create(
        CONNECTION,
        SECRET,
        &server_project(&GUILD_ID.to_string()),
        OWNER_ID,
    );
    let body = serde_json::to_vec(&create).unwrap();
    let url = format!("{}/topgg/integration", bot.base);
    let (status, _) = send_signed(&reqwest::Client::new(), &url, INTEGRATION_SECRET, &body)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let db = Db::connect(database_url).await.unwrap();
    let channel = POST_CHANNEL_ID.to_string();
    assert!(
        db.set_channel(
            &Id::new(GUILD_ID.to_string()),
            &Id::new(CONNECTION),
            Some(&Id::new(&channel))
        )
        .await
        .unwrap()
    );
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sigkill_under_load_and_a_restart_every_acknowledged_vote_is_stored_and_announced_once()
 {
    bounded(Duration::from_secs(180), async {
        let dir = tempfile::tempdir().unwrap();
        let database_url = format!("sqlite://{}", dir.path().join("crash.db").display());
        let discord = DiscordStandIn::start().await;
        let settings = Settings::new("crash", &database_url, &discord.url());
        let mut bot = BotProcess::start(&settings).await;
        connect(&bot, &database_url).await;
        let stop = Arc::new(AtomicBool::new(false));
        let load = tokio::spawn(send_until(bot.base.clone(), stop.clone()));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        bot.kill().await;
        stop.store(true, Ordering::Relaxed);
        let acked = load.await.unwrap();
        assert!(
            acked.len() >= 20,
            "the load was too small to mean anything: {}",
            acked.len()
        );
        let _restarted = BotProcess::start(&settings).await;
        let stored = stored_votes(&database_url).await;
        let missing: Vec<_> = acked
            .iter()
            .filter(|(id, _)| !stored.contains_key(id))
            .collect();
        assert!(
            missing.is_empty(),
            "acknowledged but not stored: {missing:?}"
        );
        let voters: HashSet<&String> = stored.values().collect();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        while mentions(&discord, POST_CHANNEL_ID).len() < voters.len()
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let counts = mentions(&discord, POST_CHANNEL_ID);
        let unannounced = voters
            .iter()
            .filter(|v| !counts.contains_key(v.as_str()))
            .count();
        assert_eq!(unannounced, 0, "of {} stored votes", voters.len());
        let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "announced more than once: {twice:?}");
        assert!(
            counts.keys().all(|v| voters.contains(v)),
            "only stored votes are announced"
        );
    })
    .await;
}
