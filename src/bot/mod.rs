//! The Discord bot: poise slash commands over the plain functions of [`crate::guild`], and
//! the gateway client that delivers them.

mod autocomplete;
mod close_watch;
mod commands;
mod embed_watch;
mod facts;
mod gateway;
mod guild_events;
mod guild_model;
mod guild_writes;
mod readiness;
mod registration;
mod render;
mod session_limit;
mod shard_closes;
mod token_wait;

use poise::serenity_prelude as serenity;

pub use close_watch::layer as gateway_close_layer;
pub use commands::all as commands;
pub use gateway::{GatewayHandle, GatewaySetup, http_client, run_gateway};
pub use readiness::GatewayStatus;

use crate::discord::Discord;
use crate::domain::ids::GuildId;
use crate::domain::time::Timestamp;
use crate::guild::{Caller, GUILD_ONLY, UserError, in_guild};
use crate::storage::Db;

/// What every command shares.
pub struct Data {
    pub db: Db,
    pub discord: Discord,
    /// Where "now" comes from.
    pub clock: crate::domain::time::SharedClock,
    /// Connections verified by the webhook route (`/topgg webhook` refreshes its own).
    pub connections: crate::storage::ConnectionCache,
    /// `http.public_url`: the base of every webhook URL.
    pub public_url: String,
    /// Top.gg's API and the vote path recovery uses (`/topgg api`, "Check my vote").
    pub recovery: crate::topgg::recovery::Recovery,
    /// What the bot knows of each guild of this session (serenity's guild cache is off).
    pub guilds: std::sync::Arc<guild_model::KnownGuilds>,
    /// The session's queue of database writes that guild events cause.
    pub guild_writes: guild_writes::GuildWrites,
}

pub type Error = anyhow::Error;
pub type Context<'a> = poise::Context<'a, Data, Error>;

/// The database commands read and change.
fn db(ctx: Context<'_>) -> &Db {
    &ctx.data().db
}

/// When the command runs, on the app's clock.
fn now(ctx: Context<'_>) -> Timestamp {
    ctx.data().clock.now()
}

/// The guild a command runs in (a [`UserError`] outside one).
fn guild_id(ctx: Context<'_>) -> anyhow::Result<GuildId> {
    in_guild(ctx.guild_id().map(|id| GuildId::from(id.get())))
}

/// Who runs the command, and in which guild (a [`UserError`] outside one).
fn caller(ctx: Context<'_>) -> anyhow::Result<Caller> {
    let author = ctx.author();
    Ok(Caller {
        guild_id: guild_id(ctx)?,
        user_id: author.id.get().into(),
        name: author.name.clone(),
        avatar_url: Some(author.face()),
        manages_guild: caller_manages_guild(ctx),
        now: now(ctx),
    })
}

/// Whether the caller has Manage Server (or Administrator) where they ran the command.
fn caller_manages_guild(ctx: Context<'_>) -> bool {
    let poise::Context::Application(app) = ctx else {
        return false;
    };
    app.interaction
        .member
        .as_ref()
        .and_then(|m| m.permissions)
        .is_some_and(|p| p.manage_guild() || p.administrator())
}

/// Commands whose replies the whole channel sees; every other command answers privately.
const PUBLIC_COMMANDS: [&str; 2] = ["vote", "leaderboard"];

/// Commands that answer with a form (a modal), which must be their first response: they open
/// it before anything else, well within Discord's 3 s.
const MODAL_COMMANDS: [&str; 1] = ["topgg api"];

/// Acknowledges every command (but [`MODAL_COMMANDS`]) at once, before it touches the database or Discord (Discord
/// drops an interaction not answered within 3 s); the reply then replaces the loading message.
/// Ephemerality is decided here, by the first response: private unless [`PUBLIC_COMMANDS`].
async fn acknowledge(ctx: Context<'_>) {
    let name = &ctx.command().qualified_name;
    let root = name.split(' ').next().unwrap_or_default();
    if MODAL_COMMANDS.iter().any(|c| c == name) {
        return;
    }
    let deferred = if PUBLIC_COMMANDS.contains(&root) {
        ctx.defer().await
    } else {
        ctx.defer_ephemeral().await
    };
    if let Err(error) = deferred {
        tracing::warn!(command = %name, %error, "cannot acknowledge a command");
    }
}

/// Answers only the caller.
async fn reply_private(ctx: Context<'_>, text: impl Into<String>) -> Result<(), Error> {
    let text = clip(text.into());
    ctx.send(poise::CreateReply::default().content(text).ephemeral(true))
        .await?;
    Ok(())
}

/// Answers in the channel.
async fn reply_public(ctx: Context<'_>, text: impl Into<String>) -> Result<(), Error> {
    ctx.send(poise::CreateReply::default().content(clip(text.into())))
        .await?;
    Ok(())
}

/// Discord rejects messages over 2,000 characters.
fn clip(mut text: String) -> String {
    if text.chars().count() > 2000 {
        text = text.chars().take(1990).collect::<String>() + "\n…";
    }
    text
}

/// The answer to a command that failed.
const APOLOGY: &str =
    "Something went wrong on my side; it has been logged. Please try again later.";

/// What the caller reads when a command fails: a [`UserError`]'s sentence, else the apology.
fn error_reply(error: &Error) -> &str {
    match error.downcast_ref::<UserError>() {
        Some(user_error) => &user_error.0,
        None => APOLOGY,
    }
}

/// Sentences for [`UserError`]s (and poise's own guild-only refusal, in the same words as
/// ours); an apology (and a log line) for everything else.
async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    let (ctx, text) = match error {
        poise::FrameworkError::Command { error, ctx, .. } => {
            if error.downcast_ref::<UserError>().is_none() {
                tracing::error!(command = %ctx.command().qualified_name, error = format!("{error:#}"), "command failed");
            }
            (ctx, error_reply(&error).to_string())
        }
        poise::FrameworkError::GuildOnly { ctx, .. } => (ctx, GUILD_ONLY.to_string()),
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                tracing::warn!(error = %e, "error while handling an error");
            }
            return;
        }
    };
    if let Err(e) = reply_private(ctx, text).await {
        tracing::warn!(error = %e, "cannot send the error reply");
    }
}

/// Role and channel mentions in replies never ping.
fn quiet_mentions() -> serenity::CreateAllowedMentions {
    serenity::CreateAllowedMentions::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guild_only_refusal_reads_as_its_sentence() {
        let refused = in_guild(None).unwrap_err();
        assert_eq!(error_reply(&refused), GUILD_ONLY);
        assert_eq!(GUILD_ONLY, "This command only works in a server.");
    }

    #[test]
    fn any_other_failure_reads_as_the_apology() {
        let failed = anyhow::anyhow!("the database is gone");
        assert_eq!(error_reply(&failed), APOLOGY);
    }
}
