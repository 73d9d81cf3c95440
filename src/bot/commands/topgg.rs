//! `/topgg`: the admin commands (guild only, Manage Server by default).

use poise::serenity_prelude as serenity;

use super::roles::roles;
use crate::bot::facts::guild_facts;
use crate::bot::{Context, Error, autocomplete, caller_manages_guild, guild_id, reply_private};
use crate::discord::DiscordError;
use crate::domain::now_ms;
use crate::domain::template::DEFAULT_TEMPLATE;
use crate::guild::{self, checks::findings, choose_link};
use crate::storage::GuildLink;

/// Set up Top.gg vote announcements and rewards for this server.
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands("status", "link", "unlink", "channel", "message", "roles", "test"),
    subcommand_required
)]
pub async fn topgg(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// The link a subcommand targets.
pub(super) async fn target(ctx: Context<'_>, project: Option<&str>) -> Result<GuildLink, Error> {
    let links = ctx.data().db.links_in_guild(&guild_id(ctx)?).await?;
    choose_link(links, project)
}

/// Show each linked project's health: votes, deliveries, settings and permission checks.
#[poise::command(slash_command)]
async fn status(ctx: Context<'_>) -> Result<(), Error> {
    let guild = ctx
        .guild_id()
        .ok_or_else(|| anyhow::anyhow!("guild only"))?;
    let facts = guild_facts(ctx, guild);
    let caller = ctx.author().id.to_string();
    let report = guild::status_report(
        &ctx.data().db,
        &guild.to_string(),
        &caller,
        &facts,
        now_ms(),
    )
    .await?;
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
    let caller = ctx.author().id.to_string();
    let manages = caller_manages_guild(ctx);
    let db = &ctx.data().db;
    let reply = guild::claim(
        db,
        &guild_id(ctx)?,
        &caller,
        manages,
        connection.as_deref(),
        now_ms(),
    )
    .await?;
    reply_private(ctx, reply).await
}

/// Remove a project from this server, with its settings and reward roles.
#[poise::command(slash_command)]
async fn unlink(
    ctx: Context<'_>,
    #[description = "The project"]
    #[autocomplete = "autocomplete::project"]
    project: Option<String>,
) -> Result<(), Error> {
    let link = target(ctx, project.as_deref()).await?;
    ctx.data()
        .db
        .unlink(&guild_id(ctx)?, &link.connection_id)
        .await?;
    reply_private(
        ctx,
        format!("Unlinked **{}** from this server.", link.label()),
    )
    .await
}

/// Choose the channel where votes are announced (omit it to turn announcements off).
#[poise::command(slash_command)]
async fn channel(
    ctx: Context<'_>,
    #[description = "Announcement channel"]
    #[channel_types("Text", "News")]
    channel: Option<serenity::ChannelId>,
    #[description = "The project"]
    #[autocomplete = "autocomplete::project"]
    project: Option<String>,
) -> Result<(), Error> {
    let link = target(ctx, project.as_deref()).await?;
    let channel = channel.map(|c| c.to_string());
    let mut reply =
        guild::set_channel(&ctx.data().db, &guild_id(ctx)?, &link, channel.as_deref()).await?;
    if let Some(guild) = ctx.guild_id() {
        for problem in findings(&guild_facts(ctx, guild), channel.as_deref(), &[]) {
            reply.push_str(&format!("\nWarning: {problem}"));
        }
    }
    reply_private(ctx, reply).await
}

/// Set the announcement template (omit it to restore the default); shows a preview.
#[poise::command(slash_command)]
async fn message(
    ctx: Context<'_>,
    #[description = "Placeholders: {user} {user.name} {project} {votes} {streak} {next_vote} {vote_url}"]
    #[max_length = 1500]
    template: Option<String>,
    #[description = "The project"]
    #[autocomplete = "autocomplete::project"]
    project: Option<String>,
) -> Result<(), Error> {
    let link = target(ctx, project.as_deref()).await?;
    let caller = ctx.author().id.to_string();
    let db = &ctx.data().db;
    let reply =
        guild::set_template(db, &guild_id(ctx)?, &link, template.as_deref(), &caller).await?;
    reply_private(ctx, reply).await
}

/// Post a sample announcement and report the permission checks.
#[poise::command(slash_command)]
async fn test(
    ctx: Context<'_>,
    #[description = "The project"]
    #[autocomplete = "autocomplete::project"]
    project: Option<String>,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let link = target(ctx, project.as_deref()).await?;
    let guild = ctx
        .guild_id()
        .ok_or_else(|| anyhow::anyhow!("guild only"))?;
    let caller = ctx.author().id.to_string();
    let mut reply = match &link.channel_id {
        None => "No announcement channel is set: choose one with `/topgg channel`.".to_string(),
        Some(channel) => post_sample(ctx, &link, channel, &caller).await,
    };
    let roles: Vec<String> = ctx
        .data()
        .db
        .reward_roles(&guild.to_string(), &link.connection_id)
        .await?
        .into_iter()
        .map(|r| r.role_id)
        .collect();
    let problems = findings(&guild_facts(ctx, guild), link.channel_id.as_deref(), &roles);
    if problems.is_empty() {
        reply.push_str("\nChecks: I can post and give every reward role.");
    }
    for problem in problems {
        reply.push_str(&format!("\nProblem: {problem}"));
    }
    reply_private(ctx, reply).await
}

async fn post_sample(ctx: Context<'_>, link: &GuildLink, channel: &str, caller: &str) -> String {
    let template = link.template.as_deref().unwrap_or(DEFAULT_TEMPLATE);
    let content = format!("(test) {}", guild::settings_preview(link, template, caller));
    match ctx
        .data()
        .discord
        .create_message(channel, &content, &[caller], None)
        .await
    {
        Ok(_) => format!("Posted a sample announcement in <#{channel}>."),
        Err(DiscordError::Permanent { message, .. }) => {
            format!("I couldn't post in <#{channel}>: Discord said \"{message}\".")
        }
        Err(e) => format!("I couldn't post in <#{channel}> right now ({e}); try again shortly."),
    }
}
