//! Starting the poise framework on a serenity client, and stopping it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use poise::serenity_prelude as serenity;
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;

use super::{Data, Error, commands, on_error, quiet_mentions};
use crate::config::{Config, DEFAULT_DISCORD_API_URL};

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

/// Connects the gateway (all shards, or `discord.shards`) and dispatches commands until stopped.
pub async fn run_gateway(
    config: &Config,
    http: serenity::Http,
    data: Data,
    handle: GatewayHandle,
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
    tokio::spawn(async move {
        stop.cancelled().await;
        shards.shutdown_all().await;
    });
    let started = match config.shard_range() {
        Some(r) => client.start_shard_range(r.first..r.last + 1, r.total).await,
        None => client.start_autosharded().await,
    };
    handle.connected.store(false, Ordering::Relaxed);
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
    let _ = framework;
    if let serenity::FullEvent::ShardStageUpdate { event } = event {
        tracing::info!(shard = %event.shard_id, stage = %event.new, "gateway stage");
    }
    Ok(())
}
