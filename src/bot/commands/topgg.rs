//! `/topgg`: the admin commands (guild only, Manage Server by default).

use poise::serenity_prelude as serenity;

use super::api::api;
use super::roles::roles;
use super::webhook::webhook;
use crate::bot::facts::guild_facts;
use crate::bot::render::reply_showing;
use crate::bot::{Context, Error, autocomplete, caller, db, guild_id, reply_private};
use crate::domain::ids::ChannelId;
use crate::domain::message::Style;
use crate::guild;

/// Set up Top.gg vote announcements and rewards for this server.
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands(
        "status", "link", "unlink", "channel", "message", "roles", "test", "display", "webhook",
        "api"
    ),
    subcommand_required
)]
pub async fn topgg(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Show each linked project's health: votes, deliveries, settings and permission checks.
#[poise::command(slash_command)]
async fn status(ctx: Context<'_>) -> Result<(), Error> {
    let report = guild::status_report(db(ctx), &caller(ctx)?, &guild_facts(ctx)).await?;
    reply_private(ctx, report).await
}

/// Link a Top.gg connection you made to this server.
#[poise::command(slash_command)]
async fn link(
    ctx: Context<'_>,
    #[description = "Your connection (default: your only one waiting)"]
    #[autocomplete = "autocomplete::connection"]
    connection: Option<String>,
) -> Result<(), Error> {
    let (discord, caller) = (&ctx.data().discord, caller(ctx)?);
    let connection = connection.as_deref();
    let reply = guild::link_project(db(ctx), discord, &caller, connection).await?;
    reply_private(ctx, reply).await
}

/// Remove a project from this server, with its settings and reward roles.
#[poise::command(slash_command)]
async fn unlink(ctx: Context<'_>, project: Option<String>) -> Result<(), Error> {
    let reply = guild::unlink(db(ctx), &guild_id(ctx)?, project.as_deref()).await?;
    reply_private(ctx, reply).await
}

/// Choose the channel where votes are announced (omit it to turn announcements off).
#[poise::command(slash_command)]
async fn channel(
    ctx: Context<'_>,
    #[description = "Announcement channel"]
    #[channel_types("Text", "News")]
    channel: Option<serenity::ChannelId>,
    project: Option<String>,
) -> Result<(), Error> {
    let (guild, project) = (guild_id(ctx)?, project.as_deref());
    let channel = channel.map(|c| ChannelId::from(c.get()));
    let facts = guild_facts(ctx);
    let reply = guild::set_channel(db(ctx), &guild, project, channel.as_ref(), &facts).await?;
    reply_private(ctx, reply).await
}

/// How announcements look.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum StyleChoice {
    /// The voter's mention, and an embed with the text, their avatar and a Vote button.
    #[name = "embed"]
    Embed,
    /// The text alone.
    #[name = "text"]
    Text,
}

/// Set the announcement template and style (omit the template to restore the default).
#[poise::command(slash_command)]
async fn message(
    ctx: Context<'_>,
    #[description = "Placeholders: {user} {user.name} {project} {votes} {streak} {next_vote} {vote_url} {query.ref}"]
    #[max_length = 1500]
    template: Option<String>,
    #[description = "embed (default) or text"] style: Option<StyleChoice>,
    project: Option<String>,
) -> Result<(), Error> {
    let (caller, project) = (caller(ctx)?, project.as_deref());
    let style = style.map(|s| match s {
        StyleChoice::Embed => Style::Embed,
        StyleChoice::Text => Style::Text,
    });
    let template = template.as_deref();
    let preview = guild::set_template(db(ctx), &caller, project, template, style).await?;
    ctx.send(reply_showing(&preview.text, &preview.message))
        .await?;
    Ok(())
}

/// Set how this server shows the project: name and vote link (omit both for the defaults).
#[poise::command(slash_command)]
async fn display(
    ctx: Context<'_>,
    #[description = "The project's name here"]
    #[max_length = 100]
    name: Option<String>,
    #[description = "The project's vote page (https://...)"]
    #[max_length = 512]
    vote_url: Option<String>,
    project: Option<String>,
) -> Result<(), Error> {
    let (guild, project) = (guild_id(ctx)?, project.as_deref());
    let (name, vote_url) = (name.as_deref(), vote_url.as_deref());
    let reply = guild::set_display(db(ctx), &guild, project, name, vote_url).await?;
    reply_private(ctx, reply).await
}

/// Post a sample announcement and report the permission checks.
#[poise::command(slash_command)]
async fn test(ctx: Context<'_>, project: Option<String>) -> Result<(), Error> {
    let (discord, caller) = (&ctx.data().discord, caller(ctx)?);
    let (project, facts) = (project.as_deref(), guild_facts(ctx));
    let reply = guild::test_announcement(db(ctx), discord, &caller, project, &facts).await?;
    reply_private(ctx, reply).await
}
