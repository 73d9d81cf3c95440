//! `/remind on|off`: a voter's vote reminders, for everyone.

use crate::bot::{Context, Error, autocomplete, guild_id, reply_private};
use crate::domain::now_ms;
use crate::guild::{choose_link, remind_report};

/// DM reminders when you can vote again.
#[poise::command(slash_command, guild_only, subcommands("on", "off"))]
pub async fn remind(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// DM me when I can vote for this project again.
#[poise::command(slash_command, guild_only)]
pub async fn on(
    ctx: Context<'_>,
    #[description = "The project"]
    #[autocomplete = "autocomplete::project"]
    project: Option<String>,
) -> Result<(), Error> {
    set(ctx, project, true).await
}

/// Stop the vote reminders for this project.
#[poise::command(slash_command, guild_only)]
pub async fn off(
    ctx: Context<'_>,
    #[description = "The project"]
    #[autocomplete = "autocomplete::project"]
    project: Option<String>,
) -> Result<(), Error> {
    set(ctx, project, false).await
}

async fn set(ctx: Context<'_>, project: Option<String>, on: bool) -> Result<(), Error> {
    let db = &ctx.data().db;
    let link = choose_link(
        db.links_in_guild(&guild_id(ctx)?).await?,
        project.as_deref(),
    )?;
    let voter = ctx.author().id.get().into();
    let text = remind_report(db, &link, &voter, on, now_ms()).await?;
    reply_private(ctx, text).await
}
