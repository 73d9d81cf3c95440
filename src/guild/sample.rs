//! `/topgg test`: a sample announcement, and the permission checks.

use super::checks::{GuildFacts, findings};
use super::display::preview;
use super::role_pause::{resume_fixed_roles, resumed_line};
use super::{Caller, target};
use crate::discord::{Discord, DiscordError};
use crate::domain::ids::{ChannelId, RoleId};
use crate::domain::keys::{GuildChannel, LinkRef};
use crate::domain::template::DEFAULT_TEMPLATE;
use crate::storage::{Db, GuildLink};

/// `/topgg test`: posts the announcement a vote by the caller would post (pinging no one),
/// then reports what would keep votes from being announced or rewarded.
pub async fn test_announcement(
    db: &Db,
    discord: &Discord,
    caller: &Caller,
    project: Option<&str>,
    facts: &GuildFacts,
) -> anyhow::Result<String> {
    let guild_id = &caller.guild_id;
    let link = target(db, &caller.guild_id, project).await?;
    let mut reply = match &link.channel_id {
        None => "No announcement channel is set: choose one with `/topgg channel`.".to_string(),
        Some(channel) => post_sample(db, discord, caller, &link, channel).await,
    };
    let roles: Vec<RoleId> = db
        .reward_roles(LinkRef::new(guild_id, &link.connection_id))
        .await?
        .into_iter()
        .map(|r| r.role_id)
        .collect();
    for role_id in resume_fixed_roles(db, guild_id, facts, caller.now).await? {
        reply.push_str(&format!("\n{}", resumed_line(&role_id)));
    }
    let problems = findings(facts, link.channel_id.as_ref(), &roles);
    if problems.is_empty() {
        reply.push_str("\nChecks: I can post and give every reward role.");
    }
    for problem in problems {
        reply.push_str(&format!("\nProblem: {problem}"));
    }
    Ok(reply)
}

/// Posts the sample in `channel` (in text style where the bot lacks Embed Links, as votes
/// are announced there); a success resumes announcements that were paused there.
async fn post_sample(
    db: &Db,
    discord: &Discord,
    caller: &Caller,
    link: &GuildLink,
    channel: &ChannelId,
) -> String {
    let template = link.template.as_deref().unwrap_or(DEFAULT_TEMPLATE);
    // Without Embed Links there, votes are announced in text style: so is the sample.
    let style = match discord.lacks_embed_links(channel) {
        true => crate::domain::message::Style::Text,
        false => link.style(),
    };
    let mut message = preview(link, template, style, caller.voter(), caller.now);
    message.content = format!("(test) {}", message.content);
    message.allowed_users.clear();
    match discord.post_message(channel, &message, None).await {
        Ok(_) => {
            if let Err(e) = db
                .pause_channel(GuildChannel::new(&caller.guild_id, channel), None)
                .await
            {
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
