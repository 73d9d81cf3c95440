//! Starting the poise framework on a serenity client, and stopping it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use poise::serenity_prelude as serenity;
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;

use super::{Data, Error, commands, on_error, quiet_mentions};
use crate::config::{Config, DEFAULT_DISCORD_API_URL};
use crate::delivery::policy::backoff;
use crate::discord::Discord;
use crate::storage::Db;

/// What the gateway task needs besides the command data.
pub struct GatewayHandle {
    /// Set while a shard is connected; read by `/readyz`.
    pub connected: Arc<AtomicBool>,
    pub stop: CancellationToken,
}

/// serenity's REST client over the shared reqwest client. A non-default `discord.api_url`
/// routes every call there (a proxy or a stand-in) and turns serenity's ratelimiter off.
pub fn http_client(
    config: &Config,
    token: &SecretString,
    client: reqwest::Client,
) -> serenity::Http {
    let mut builder = serenity::HttpBuilder::new(token.expose_secret()).client(client);
    if config.discord.api_url != DEFAULT_DISCORD_API_URL {
        builder = builder
            .proxy(config.discord.api_url.clone())
            .ratelimiter_disabled(true);
    }
    builder.build()
}

/// What the gateway needs to (re)connect.
pub struct GatewaySetup {
    pub token: SecretString,
    pub client: reqwest::Client,
    pub db: Db,
    pub discord: Discord,
}

/// Keeps the gateway connected (all shards, or `discord.shards`) until stopped. A failure to
/// connect (Discord down, a bad token) is logged and retried with backoff: webhook intake and
/// delivery go on meanwhile.
pub async fn run_gateway(
    config: &Config,
    setup: GatewaySetup,
    handle: GatewayHandle,
) -> anyhow::Result<()> {
    let mut failures = 0;
    while !handle.stop.is_cancelled() {
        let started = Instant::now();
        let http = http_client(config, &setup.token, setup.client.clone());
        let data = Data {
            db: setup.db.clone(),
            discord: setup.discord.clone(),
            gateway_connected: handle.connected.clone(),
        };
        let Err(error) = connect_once(config, http, data, &handle).await else {
            return Ok(());
        };
        handle.connected.store(false, Ordering::Relaxed);
        failures = if started.elapsed() > STABLE {
            1
        } else {
            failures + 1
        };
        let wait = backoff(failures).min(MAX_RECONNECT_WAIT);
        tracing::error!(error = format!("{error:#}"), retry_in = ?wait, "Discord gateway down; retrying");
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = handle.stop.cancelled() => {}
        }
    }
    Ok(())
}

/// A connection that lasted this long resets the reconnect backoff.
const STABLE: Duration = Duration::from_secs(60);
const MAX_RECONNECT_WAIT: Duration = Duration::from_secs(60);

/// One gateway session: `Ok` only when stopped on purpose.
async fn connect_once(
    config: &Config,
    http: serenity::Http,
    data: Data,
    handle: &GatewayHandle,
) -> anyhow::Result<()> {
    let connected = handle.connected.clone();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands(),
            on_error: |error| Box::pin(on_error(error)),
            event_handler: |framework, event| Box::pin(track_connection(framework, event)),
            initialize_owners: false,
            allowed_mentions: Some(quiet_mentions()),
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                poise::builtins::register_globally(ctx, &framework.options().commands).await?;
                tracing::info!(bot = %ready.user.name, guilds = ready.guilds.len(), "gateway ready; commands registered");
                connected.store(true, Ordering::Relaxed);
                Ok(data)
            })
        })
        .build();
    let mut client = serenity::ClientBuilder::new_with_http(http, serenity::GatewayIntents::GUILDS)
        .framework(framework)
        .await
        .context("cannot build the Discord client")?;
    let shards = client.shard_manager.clone();
    let stop = handle.stop.clone();
    let stopper = tokio::spawn(async move {
        stop.cancelled().await;
        shards.shutdown_all().await;
    });
    let started = match config.shard_range() {
        Some(r) => client.start_shard_range(r.first..r.last + 1, r.total).await,
        None => client.start_autosharded().await,
    };
    stopper.abort();
    match started {
        Ok(()) if handle.stop.is_cancelled() => Ok(()),
        Ok(()) => anyhow::bail!("the Discord gateway closed"),
        Err(e) => Err(anyhow::Error::new(e).context("the Discord gateway failed")),
    }
}

/// Keeps `/readyz` in step with the shard's connection stage.
async fn track_connection(
    framework: poise::FrameworkContext<'_, Data, Error>,
    event: &serenity::FullEvent,
) -> Result<(), Error> {
    super::guild_events::on_event(&framework.user_data.db, event).await;
    if let serenity::FullEvent::ShardStageUpdate { event } = event {
        tracing::info!(shard = %event.shard_id, stage = %event.new, "gateway stage");
        let connected = event.new == serenity::ConnectionStage::Connected;
        framework
            .user_data
            .gateway_connected
            .store(connected, Ordering::Relaxed);
    }
    Ok(())
}
