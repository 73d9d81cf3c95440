//! SIGKILL of the real binary under load, then a restart on the same SQLite database.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::Connection as _;
use topgg_bot::samples::sample_vote;
use topgg_testkit::post_signed;

use crate::faults::{CONNECTION, SECRET, mentions};
use topgg_testkit::process::{BotProcess, Settings};
use topgg_testkit::server_project;
use topgg_testkit::standin::{DiscordStandIn, GUILD_ID, POST_CHANNEL_ID};
use topgg_testkit::{bounded, eventually, queue_drained};

const SENDERS: usize = 8;
/// Votes acknowledged before the SIGKILL, which lands while the senders keep sending.
const LOAD_BEFORE_KILL: usize = 100;

/// Vote `n` of sender `s`; each has its own voter, so a mention names exactly one vote.
fn crash_vote(s: usize, n: usize) -> (String, String, serde_json::Value) {
    let id = format!("crash-{s}-{n}");
    let voter = (1_800_000_000_000_000_000u64 + (s * 100_000 + n) as u64).to_string();
    let body = sample_vote(&id, &server_project(&GUILD_ID.to_string()), &voter, "voter");
    (id, voter, body)
}

/// (vote id, voter) of each vote answered 204.
type Acked = Arc<Mutex<Vec<(String, String)>>>;

/// Sends votes from `SENDERS` tasks until `stop`, adding each 204 to `acked`.
async fn send_until(base: String, stop: Arc<AtomicBool>, acked: Acked) {
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
                    if let Ok((204, _)) = post_signed(&client, &url, SECRET, &body).await {
                        acked.lock().unwrap().push((id, voter));
                    }
                }
            })
        })
        .collect();
    for sender in senders {
        sender.await.unwrap();
    }
}

async fn stored_votes(database_url: &str) -> HashMap<String, String> {
    let mut conn = sqlx::SqliteConnection::connect(database_url).await.unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT vote_id, voter_id FROM votes")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    rows.into_iter().collect()
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
        bot.connect_announcing(&database_url, CONNECTION, SECRET)
            .await;
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Acked::default();
        let load = tokio::spawn(send_until(bot.base.clone(), stop.clone(), acked.clone()));
        let loaded = || async { (acked.lock().unwrap().len() >= LOAD_BEFORE_KILL).then_some(()) };
        let under_load = eventually(Duration::from_secs(60), loaded).await;
        assert!(under_load.is_some(), "the load never got going");
        bot.kill().await;
        stop.store(true, Ordering::Relaxed);
        load.await.unwrap();
        let acked = acked.lock().unwrap().clone();
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
        let all_announced = |d: &DiscordStandIn| {
            let counts = mentions(d, POST_CHANNEL_ID);
            (counts.len() >= voters.len()).then_some(counts)
        };
        let announced = discord.wait_until(Duration::from_secs(90), all_announced);
        assert!(announced.await.is_some(), "not all stored votes announced");
        // Counted once no job is left queued: no late repeat can follow.
        let db = topgg_bot::storage::Db::connect(&database_url)
            .await
            .unwrap();
        let drained = queue_drained(&db, Duration::from_secs(60)).await;
        assert!(drained.is_some(), "{:?}", db.all_jobs().await);
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
