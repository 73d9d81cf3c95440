//! `topgg-bot demo`: the whole flow on a temporary SQLite file, with no token and no config.

use secrecy::SecretString;
use serde_json::Value;
use tokio::net::TcpListener;

use crate::app::Application;
use crate::config::Config;
use crate::discord::{DryRunAction, DryRunSink};
use crate::domain::ids::{ChannelId, ConnectionId, GuildId, RoleId};
use crate::domain::keys::LinkRef;
use crate::domain::rewards::{RewardDuration, RewardRole};
use crate::domain::time::{SharedClock, Timestamp};
use crate::samples::{sample_integration_create, sample_project, sample_vote, send_signed};
use crate::storage::{Db, JobStatus};

const GUILD: &str = "111111111111111111";
const GUILD_NAME: &str = "Demo Server";
const CHANNEL: &str = "222222222222222222";
const ROLE: &str = "333333333333333333";
const CONNECTION: &str = "demo-connection";
const WEBHOOK_SECRET: &str = "whs_demo_webhook_secret";
const INTEGRATION_SECRET: &str = "demo-integration-secret";

/// Runs the demo and prints each step.
pub async fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let config = demo_config(&dir.path().join("demo.db"), &base);
    println!(
        "topgg-bot demo: database {}, server {base}, Discord dry-run\n",
        config.database.url
    );
    let app = Application::with_listener(config, listener).await?;
    let db = app.db().clone();
    let clock = app.clock();
    let sink = app.dry_run_sink().expect("the demo runs Discord dry");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::new();
    let webhook_url = handshake(&client, &base).await?;
    configure_guild(&db, clock.now()).await?;
    send_votes(&client, &webhook_url).await?;
    wait_for_delivery(&db, &clock).await?;
    print_discord_calls(&sink);
    print_scheduled(&db, clock.now()).await?;

    let _ = stop.send(());
    server.await??;
    println!(
        "\ndemo finished: each acknowledged vote was stored once and delivered; the bad signature stored nothing."
    );
    Ok(())
}

fn demo_config(db_path: &std::path::Path, base: &str) -> Config {
    let mut config = Config::default();
    config.discord.dry_run = true;
    config.discord.gateway = false;
    config.topgg.integration_secret = Some(SecretString::new(INTEGRATION_SECRET.into()));
    config.database.url = format!("sqlite://{}", db_path.display()).into();
    config.http.public_url = base.to_string();
    config
}

/// Top.gg's side of the handshake: a server project, which links itself to its guild.
async fn handshake(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let project = sample_project("900000000000000001", "server", GUILD);
    let body =
        sample_integration_create(CONNECTION, WEBHOOK_SECRET, &project, "444444444444444444");
    let url = format!("{base}/topgg/integration");
    let (status, text) = send_signed(
        client,
        &url,
        INTEGRATION_SECRET,
        &serde_json::to_vec(&body)?,
    )
    .await?;
    println!("1. Top.gg -> POST /topgg/integration (integration.create)\n   <- {status} {text}");
    let reply: Value = serde_json::from_str(&text)?;
    let webhook_url = reply["webhook_url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    anyhow::ensure!(status == 200 && !webhook_url.is_empty(), "handshake failed");
    Ok(webhook_url)
}

/// What the gateway (the guild's name) and `/topgg channel` and `/topgg roles add` would store.
async fn configure_guild(db: &Db, now: Timestamp) -> anyhow::Result<()> {
    let (guild, connection) = (GuildId::parse(GUILD)?, ConnectionId::parse(CONNECTION)?);
    db.guild_present(&guild, GUILD_NAME, now).await?;
    db.set_channel(
        LinkRef::new(&guild, &connection),
        Some(&ChannelId::parse(CHANNEL)?),
    )
    .await?;
    let role = RewardRole {
        role_id: RoleId::parse(ROLE)?,
        votes_required: 1,
        duration: RewardDuration::UntilVoteExpires,
    };
    db.add_reward_role(LinkRef::new(&guild, &connection), &role)
        .await?;
    println!(
        "2. guild {GUILD} ({GUILD_NAME}): announcements in #{CHANNEL} (style embed), reward role {ROLE} from 1 vote until the vote expires"
    );
    Ok(())
}

async fn send_votes(client: &reqwest::Client, webhook_url: &str) -> anyhow::Result<()> {
    let project = sample_project("900000000000000001", "server", GUILD);
    println!("3. Top.gg -> POST {webhook_url} (vote.create)");
    let votes = [
        (
            "vote-1",
            "555555555555555551",
            "alice",
            WEBHOOK_SECRET,
            "first vote",
        ),
        (
            "vote-2",
            "555555555555555552",
            "@everyone",
            WEBHOOK_SECRET,
            "a voter named @everyone",
        ),
        (
            "vote-1",
            "555555555555555551",
            "alice",
            WEBHOOK_SECRET,
            "redelivery of vote-1 (duplicate)",
        ),
        (
            "vote-3",
            "555555555555555553",
            "mallory",
            "whs_wrong",
            "signed with the wrong secret",
        ),
    ];
    for (id, voter, name, secret, what) in votes {
        let body = serde_json::to_vec(&sample_vote(id, &project, voter, name))?;
        let (status, text) = send_signed(client, webhook_url, secret, &body).await?;
        println!("   {what:<36} <- {status} {text}");
    }
    Ok(())
}

/// Waits (at most 10 s) until no queued job is due any more.
async fn wait_for_delivery(db: &Db, clock: &SharedClock) -> anyhow::Result<()> {
    for _ in 0..200 {
        match db.next_due_at().await? {
            Some(due) if due <= clock.now() => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await
            }
            _ => return Ok(()),
        }
    }
    anyhow::bail!("the delivery worker did not drain the queue in 10 s")
}

fn print_discord_calls(sink: &DryRunSink) {
    let actions = sink.actions();
    println!(
        "4. What Discord would have received ({} calls):",
        actions.len()
    );
    for action in actions {
        match action {
            DryRunAction::Post { channel_id, body } => {
                let pretty = serde_json::to_string_pretty(&body).unwrap_or_default();
                println!("   POST /channels/{channel_id}/messages");
                for line in pretty.lines() {
                    println!("     {line}");
                }
            }
            other => println!("   {other}"),
        }
    }
}

async fn print_scheduled(db: &Db, now: Timestamp) -> anyhow::Result<()> {
    let now = now.as_millis();
    let scheduled: Vec<_> = db
        .all_jobs()
        .await?
        .into_iter()
        .filter(|j| j.status == JobStatus::Queued)
        .collect();
    println!("5. Still scheduled ({}):", scheduled.len());
    for job in scheduled {
        let payload: Value = serde_json::to_value(&job.work)?;
        let hours = (job.due_at.as_millis() - now) as f64 / 3_600_000.0;
        println!(
            "   {} of role {} for {} in {hours:.1} h (when the vote expires)",
            job.kind(),
            payload["role_id"].as_str().unwrap_or("?"),
            payload["user_id"].as_str().unwrap_or("?")
        );
    }
    Ok(())
}
