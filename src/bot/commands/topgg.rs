//! `/topgg`: the admin commands (guild only, Manage Server by default).

use poise::serenity_prelude as serenity;

use super::roles::roles;
use crate::bot::facts::guild_facts;
use crate::bot::render::reply_showing;
use crate::bot::{Context, Error, autocomplete, caller_manages_guild, guild_id, reply_private};
use crate::discord::DiscordError;
use crate::domain::ids::{ChannelId, GuildId, RoleId, UserId};
use crate::domain::message::{Style, Voter};
use crate::domain::now_ms;
use crate::domain::template::DEFAULT_TEMPLATE;
use crate::guild::{self, checks::findings, choose_link};
use crate::storage::GuildLink;

/// Set up Top.gg vote announcements and rewards for this server.
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands(
        "status", "link", "unlink", "channel", "message", "roles", "test", "display"
    ),
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
    let caller = ctx.author().id.get().into();
    let report = guild::status_report(
        &ctx.data().db,
        &guild.get().into(),
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
    ctx.defer_ephemeral().await?;
    let caller = ctx.author().id.get().into();
    let manages = caller_manages_guild(ctx);
    let (db, discord) = (&ctx.data().db, &ctx.data().discord);
    let chosen = guild::claim(
        db,
        &guild_id(ctx)?,
        &caller,
        manages,
        connection.as_deref(),
        now_ms(),
    )
    .await?;
    let name = match chosen.project_type.as_str() {
        "bot" => {
            let (id, bot) = (&chosen.connection_id, &chosen.project_platform_id);
            guild::names::resolve_bot_name(db, discord, id, bot).await
        }
        _ => None,
    };
    reply_private(ctx, guild::claimed_reply(&chosen, name.as_deref())).await
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
    let channel = channel.map(|c| ChannelId::from(c.get()));
    let db = &ctx.data().db;
    let mut reply = guild::set_channel(db, &guild_id(ctx)?, &link, channel.as_ref()).await?;
    if let Some(guild) = ctx.guild_id() {
        for problem in findings(&guild_facts(ctx, guild), channel.as_ref(), &[]) {
            reply.push_str(&format!("\nWarning: {problem}"));
        }
    }
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
    #[description = "The project"]
    #[autocomplete = "autocomplete::project"]
    project: Option<String>,
) -> Result<(), Error> {
    let link = target(ctx, project.as_deref()).await?;
    let style = style.map(|s| match s {
        StyleChoice::Embed => Style::Embed,
        StyleChoice::Text => Style::Text,
    });
    let (author, avatar) = (ctx.author(), ctx.author().face());
    let author_id = UserId::from(author.id.get());
    let voter = Voter {
        id: &author_id,
        name: &author.name,
        avatar_url: Some(&avatar),
    };
    let db = &ctx.data().db;
    let (text, preview) = guild::set_template(
        db,
        &guild_id(ctx)?,
        &link,
        template.as_deref(),
        style,
        voter,
    )
    .await?;
    ctx.send(reply_showing(&text, &preview)).await?;
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
    #[description = "The project"]
    #[autocomplete = "autocomplete::project"]
    project: Option<String>,
) -> Result<(), Error> {
    let link = target(ctx, project.as_deref()).await?;
    let db = &ctx.data().db;
    let reply = guild::set_display(
        db,
        &guild_id(ctx)?,
        &link,
        name.as_deref(),
        vote_url.as_deref(),
    )
    .await?;
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
    let mut reply = match &link.channel_id {
        None => "No announcement channel is set: choose one with `/topgg channel`.".to_string(),
        Some(channel) => post_sample(ctx, &link, channel, &guild.get().into()).await,
    };
    let roles: Vec<RoleId> = ctx
        .data()
        .db
        .reward_roles(&guild.get().into(), &link.connection_id)
        .await?
        .into_iter()
        .map(|r| r.role_id)
        .collect();
    let problems = findings(&guild_facts(ctx, guild), link.channel_id.as_ref(), &roles);
    if problems.is_empty() {
        reply.push_str("\nChecks: I can post and give every reward role.");
    }
    for problem in problems {
        reply.push_str(&format!("\nProblem: {problem}"));
    }
    reply_private(ctx, reply).await
}

/// Posts the announcement a vote by the caller would post, pinging no one; a success resumes
/// announcements that were paused.
async fn post_sample(
    ctx: Context<'_>,
    link: &GuildLink,
    channel: &ChannelId,
    guild: &GuildId,
) -> String {
    let template = link.template.as_deref().unwrap_or(DEFAULT_TEMPLATE);
    let (author, avatar) = (ctx.author(), ctx.author().face());
    let author_id = UserId::from(author.id.get());
    let voter = Voter {
        id: &author_id,
        name: &author.name,
        avatar_url: Some(&avatar),
    };
    let mut message = guild::settings_preview(link, template, link.style(), voter);
    message.content = format!("(test) {}", message.content);
    message.allowed_users.clear();
    let posted = ctx
        .data()
        .discord
        .post_message(channel.as_str(), &message, None)
        .await;
    match posted {
        Ok(_) => {
            let resumed = ctx.data().db.pause_channel(guild, channel, None).await;
            if let Err(e) = resumed {
                tracing::warn!(error = format!("{e:#}"), "cannot resume announcements");
            }
            format!("Posted a sample announcement in <#{channel}>.")
        }
        Err(DiscordError::Permanent { message, .. }) => {
            format!("I couldn't post in <#{channel}>: Discord said \"{message}\".")
        }
        Err(e) => format!("I couldn't post in <#{channel}> right now ({e}); try again shortly."),
    }
}
