//! `/remind on|off`: a voter's vote reminders, for everyone.

use crate::bot::{Context, Error, db, guild_id, now, reply_private};
use crate::guild;

/// DM reminders when you can vote again.
#[poise::command(slash_command, guild_only, subcommands("on", "off"))]
pub async fn remind(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// DM me when I can vote for this project again.
#[poise::command(slash_command, guild_only)]
pub async fn on(ctx: Context<'_>, project: Option<String>) -> Result<(), Error> {
    set(ctx, project, true).await
}

/// Stop the vote reminders for this project.
#[poise::command(slash_command, guild_only)]
pub async fn off(ctx: Context<'_>, project: Option<String>) -> Result<(), Error> {
    set(ctx, project, false).await
}

async fn set(ctx: Context<'_>, project: Option<String>, on: bool) -> Result<(), Error> {
    let voter = ctx.author().id.get().into();
    let (guild, project) = (guild_id(ctx)?, project.as_deref());
    let text = guild::remind_report(db(ctx), &guild, project, &voter, on, now(ctx)).await?;
    reply_private(ctx, text).await
}
