//! Starting the poise framework on a serenity client, and stopping it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use poise::serenity_prelude as serenity;
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;

use super::guild_model::KnownGuilds;
use super::guild_writes::{GuildWrite, GuildWrites};
use super::readiness::GatewayStatus;
use super::shard_closes::{self, CloseEnd, ClosePolicy};
use super::{
    Data, Error, acknowledge, close_watch, commands, embed_watch, guild_events, on_error,
    quiet_mentions, registration, session_limit, token_wait,
};
use crate::config::{Config, DEFAULT_DISCORD_API_URL};
use crate::delivery::policy::backoff;
use crate::discord::Discord;
use crate::storage::Db;

/// What the gateway task needs besides the command data.
pub struct GatewayHandle {
    /// The shards' connection state; read by `/readyz`.
    pub status: GatewayStatus,
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
    pub clock: crate::domain::time::SharedClock,
    /// Connections verified by the webhook route: a secret set here is used at once.
    pub connections: crate::storage::ConnectionCache,
    /// Top.gg's API and the vote path recovery uses.
    pub recovery: crate::topgg::recovery::Recovery,
}

/// Keeps the gateway connected (all shards, or `discord.shards`) until stopped. A failure to
/// connect (Discord down, a bad token) is logged and retried with backoff: webhook intake and
/// delivery go on meanwhile. A close code that must not be retried (4010-4014) ends in one
/// reshard (4011 with the count not fixed) or in a gateway held stopped, the process idle.
pub async fn run_gateway(
    config: &Config,
    setup: GatewaySetup,
    handle: GatewayHandle,
) -> anyhow::Result<()> {
    let mut failures = 0;
    let mut may_reshard = config.shard_range().is_none();
    while !handle.stop.is_cancelled() {
        let started = Instant::now();
        let http = http_client(config, &setup.token, setup.client.clone());
        let guilds = Arc::new(KnownGuilds::default());
        let data = Data {
            db: setup.db.clone(),
            discord: setup.discord.clone(),
            clock: setup.clock.clone(),
            connections: setup.connections.clone(),
            public_url: config.http.public_url.clone(),
            recovery: setup.recovery.clone(),
            guilds: guilds.clone(),
            guild_writes: GuildWrites::start(setup.db.clone(), guilds),
        };
        let error = match connect_once(config, http, data, &handle, may_reshard).await {
            Ok(SessionEnd::Stopped) => return Ok(()),
            Ok(SessionEnd::Closed(CloseEnd::Reshard)) => {
                may_reshard = false;
                pause(IDENTIFY_INTERVAL, &handle.stop).await;
                continue;
            }
            Ok(SessionEnd::Closed(CloseEnd::Halted(why))) => {
                handle.status.hold(Some(why));
                handle.stop.cancelled().await;
                return Ok(());
            }
            Err(error) => error,
        };
        failures = if started.elapsed() > STABLE {
            1
        } else {
            failures + 1
        };
        let wait = backoff(failures).min(MAX_RECONNECT_WAIT);
        tracing::error!(error = format!("{error:#}"), retry_in = ?wait, "Discord gateway down; retrying");
        if token_wait::rejects_token(&error) {
            setup.discord.token_rejected();
            token_wait::until_accepted(&setup.discord, &handle.stop).await;
        }
        pause(wait, &handle.stop).await;
    }
    Ok(())
}

/// Sleeps `wait`, or until `stop`.
async fn pause(wait: Duration, stop: &CancellationToken) {
    tokio::select! {
        _ = tokio::time::sleep(wait) => {}
        _ = stop.cancelled() => {}
    }
}

/// A connection that lasted this long resets the reconnect backoff.
const STABLE: Duration = Duration::from_secs(60);
const MAX_RECONNECT_WAIT: Duration = Duration::from_secs(60);
/// Discord allows `max_concurrency` (at least 1) IDENTIFYs per 5 s.
const IDENTIFY_INTERVAL: Duration = Duration::from_secs(5);

/// How a gateway session ended, when not by a failure to retry.
enum SessionEnd {
    /// Stopped on purpose.
    Stopped,
    /// A close code decided it.
    Closed(CloseEnd),
}

/// One gateway session: `Err` for a failure to retry with backoff.
async fn connect_once(
    config: &Config,
    http: serenity::Http,
    data: Data,
    handle: &GatewayHandle,
    may_reshard: bool,
) -> anyhow::Result<SessionEnd> {
    let session = handle.stop.child_token();
    let mut client = serenity::ClientBuilder::new_with_http(http, serenity::GatewayIntents::GUILDS)
        .cache_settings(cache_settings())
        .framework(framework(data, session.clone()))
        .await
        .context("cannot build the Discord client")?;
    let Some((shards, total)) = shards_to_start(config, &client.http, handle).await? else {
        return Ok(SessionEnd::Stopped);
    };
    let shard_manager = client.shard_manager.clone();
    handle
        .status
        .start(shard_manager.clone(), shards.clone().collect());
    let (watching, closes) = close_watch::watch(shard_manager.clone());
    let decided = Arc::new(Mutex::new(None));
    let policy = ClosePolicy {
        may_reshard,
        ws_url: client.ws_url.clone(),
    };
    let on_closes = tokio::spawn(shard_closes::handle(
        closes,
        shard_manager.clone(),
        handle.status.clone(),
        policy,
        decided.clone(),
    ));
    let stop = handle.stop.clone();
    let stopper = tokio::spawn(async move {
        stop.cancelled().await;
        shard_manager.shutdown_all().await;
    });
    // serenity 0.12.5 reads the range's end as the last shard to start, inclusive
    // (`Client::start_connection`: `init = end_shard - start_shard + 1`).
    let inclusive = shards.start..shards.end.saturating_sub(1).max(shards.start);
    let started = client.start_shard_range(inclusive, total).await;
    drop(watching);
    on_closes.abort();
    stopper.abort();
    session.cancel();
    handle.status.stop();
    let decided = decided.lock().unwrap_or_else(|p| p.into_inner()).take();
    session_end(started, decided, handle.stop.is_cancelled())
}

/// The shards this instance runs (`discord.shards`, or all Discord recommends) and the
/// total, once Discord's session start limit allows starting them; `None` when stopped first.
async fn shards_to_start(
    config: &Config,
    http: &serenity::Http,
    handle: &GatewayHandle,
) -> anyhow::Result<Option<(std::ops::Range<u32>, u32)>> {
    let range = config.shard_range();
    let fixed = range.map(|r| r.last - r.first + 1);
    let limits = session_limit::wait_for_session_starts(http, fixed, &handle.status, &handle.stop);
    let Some(gateway) = limits.await? else {
        return Ok(None);
    };
    Ok(Some(match range {
        Some(r) => (r.first..r.last + 1, r.total),
        None => (0..gateway.shards, gateway.shards),
    }))
}

/// What the session's end means: stopped on purpose, a close code's decision (4013 and 4014
/// arrive as serenity's error), or a failure to retry.
fn session_end(
    started: Result<(), serenity::Error>,
    decided: Option<CloseEnd>,
    stopping: bool,
) -> anyhow::Result<SessionEnd> {
    if stopping {
        return Ok(SessionEnd::Stopped);
    }
    if let Some(end) = decided {
        return Ok(SessionEnd::Closed(end));
    }
    match started {
        Ok(()) => anyhow::bail!("the Discord gateway closed"),
        Err(serenity::Error::Gateway(serenity::GatewayError::InvalidGatewayIntents)) => {
            Ok(SessionEnd::Closed(CloseEnd::Halted(intents_refused(4013))))
        }
        Err(serenity::Error::Gateway(serenity::GatewayError::DisallowedGatewayIntents)) => {
            Ok(SessionEnd::Closed(CloseEnd::Halted(intents_refused(4014))))
        }
        Err(e) => Err(anyhow::Error::new(e).context("the Discord gateway failed")),
    }
}

/// serenity keeps the current user only: what the bot needs of guilds, [`KnownGuilds`] keeps
/// (a cached `Guild` of 50 channels and 30 roles is about 65 KB).
fn cache_settings() -> serenity::cache::Settings {
    let mut settings = serenity::cache::Settings::default();
    settings.cache_guilds = false;
    settings.cache_channels = false;
    settings.cache_users = false;
    settings.max_messages = 0;
    settings
}

/// 4013 or 4014: the intents the bot asks for are refused; retrying cannot help.
fn intents_refused(code: u16) -> String {
    let why = format!(
        "stopped: Discord refused the gateway intents with {code}; enable them for the application, then restart"
    );
    tracing::error!(code, "{why}");
    why
}

/// The poise framework: every command acknowledged at once; its setup always completes (the
/// slash commands are registered by a task of their own, retried until Discord accepts them).
fn framework(data: Data, session: CancellationToken) -> poise::Framework<Data, Error> {
    poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands(),
            on_error: |error| Box::pin(on_error(error)),
            pre_command: |ctx| Box::pin(acknowledge(ctx)),
            event_handler: |framework, event| Box::pin(on_event(framework, event)),
            initialize_owners: false,
            allowed_mentions: Some(quiet_mentions()),
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                tracing::info!(bot = %ready.user.name, guilds = ready.guilds.len(), "gateway ready");
                let commands =
                    poise::builtins::create_application_commands(&framework.options().commands);
                registration::spawn(ctx.http.clone(), commands, session);
                Ok(data)
            })
        })
        .build()
}

/// Gateway events the bot keeps track of (guilds joined, renamed and left, their roles and
/// channels): [`KnownGuilds`] and the Embed Links watch are updated at once; the database
/// writes are queued for the session's [`GuildWrites`], holding only what they need.
async fn on_event(
    framework: poise::FrameworkContext<'_, Data, Error>,
    event: &serenity::FullEvent,
) -> Result<(), Error> {
    let data = framework.user_data;
    let bot_id = framework.serenity_context.cache.current_user().id.get();
    let changed = data.guilds.apply(bot_id, event);
    data.guild_writes.send(GuildWrite {
        embed_links: embed_watch::on_event(&data.guilds, bot_id, changed, &data.discord, event),
        change: guild_events::GuildChange::of(event),
        roles: guild_events::after_role_change(bot_id, event),
        now: data.clock.now(),
    });
    Ok(())
}
