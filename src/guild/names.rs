//! Project names from Discord: a bot project is named by its bot user's name (Discord
//! `GET /users/{platform_id}`), read when it is linked and refreshed daily. Server projects
//! take their guild's name from the gateway (see [`crate::bot`]).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::discord::Discord;
use crate::domain::ids::{ConnectionId, UserId};
use crate::domain::time::{SharedClock, Timestamp};
use crate::storage::Db;

/// A bot's name is read again when older than this.
pub const NAME_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// How often the refresh looks for stale names.
const REFRESH_EVERY: Duration = Duration::from_secs(3600);

/// Reads a bot project's name from Discord and stores it; returns it when Discord had one.
/// A failure is logged and leaves the stored name (the refresh tries again later).
pub async fn resolve_bot_name(
    db: &Db,
    discord: &Discord,
    connection_id: &ConnectionId,
    bot_user_id: &str,
    now: Timestamp,
) -> Option<String> {
    // Stored before ids were parsed: a platform id that is not a snowflake names no bot.
    let bot = UserId::parse(bot_user_id).ok()?;
    let lookup = tokio::time::timeout(Duration::from_secs(2), discord.user_name(&bot));
    let name = match lookup.await {
        Ok(Ok(name)) => name,
        Ok(Err(e)) => {
            tracing::info!(connection = %connection_id, error = %e, "cannot read the bot's name");
            return None;
        }
        Err(_) => {
            tracing::info!(connection = %connection_id, "Discord did not tell the bot's name in time");
            return None;
        }
    };
    if let Err(e) = db
        .set_project_name(connection_id, name.as_deref(), now)
        .await
    {
        tracing::warn!(error = format!("{e:#}"), "cannot store a project name");
    }
    name
}

/// One pass at `now`: every linked bot project whose name is older than [`NAME_MAX_AGE`].
pub async fn refresh_names(db: &Db, discord: &Discord, now: Timestamp) -> anyhow::Result<usize> {
    let stale = db.names_to_refresh(now - NAME_MAX_AGE).await?;
    for project in &stale {
        resolve_bot_name(
            db,
            discord,
            &project.connection_id,
            &project.project_platform_id,
            now,
        )
        .await;
    }
    Ok(stale.len())
}

/// Refreshes names at start and every hour of the app's clock until `stop`.
pub async fn run_refresh(
    db: Db,
    discord: Discord,
    clock: SharedClock,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    if discord.is_dry_run() {
        stop.cancelled().await;
        return Ok(());
    }
    let mut next = clock.now();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            _ = clock.sleep_until(next) => {
                let now = clock.now();
                if let Err(e) = refresh_names(&db, &discord, now).await {
                    tracing::warn!(error = format!("{e:#}"), "name refresh failed");
                }
                next = now + REFRESH_EVERY;
            }
        }
    }
}
