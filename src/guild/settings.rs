//! `/topgg channel` and `/topgg message`: where and how a link's votes are announced.

use super::checks::{GuildFacts, findings};
use super::display::preview;
use super::{Caller, refuse, target, with_warnings};
use crate::domain::ids::{ChannelId, GuildId};
use crate::domain::keys::LinkRef;
use crate::domain::message::{OutgoingMessage, Style};
use crate::domain::template::DEFAULT_TEMPLATE;
use crate::storage::Db;

/// Longest template accepted (a rendered message is clipped to Discord's limits anyway).
pub const MAX_TEMPLATE_CHARS: usize = 1500;

/// A reply that shows an announcement as it will be posted.
#[derive(Debug, Clone)]
pub struct Preview {
    /// What the command did, in a sentence.
    pub text: String,
    /// The announcement a vote would post.
    pub message: OutgoingMessage,
}

/// `/topgg channel`: sets or (with `None`) clears the announcement channel; warns of what
/// would keep the bot from posting there.
pub async fn set_channel(
    db: &Db,
    guild_id: &GuildId,
    project: Option<&str>,
    channel_id: Option<&ChannelId>,
    facts: &GuildFacts,
) -> anyhow::Result<String> {
    let link = target(db, guild_id, project).await?;
    let channel = channel_id;
    db.set_channel(LinkRef::new(guild_id, &link.connection_id), channel_id)
        .await?;
    let reply = match channel {
        Some(channel) => format!(
            "Votes for **{}** will be announced in <#{channel}>.",
            link.label()
        ),
        None => format!(
            "Announcements for **{}** are off. Reward roles still work.",
            link.label()
        ),
    };
    Ok(with_warnings(reply, findings(facts, channel_id, &[])))
}

/// `/topgg message`: sets or restores the template (and the style, when given); answers with
/// a sentence and the announcement a vote by the caller would post.
pub async fn set_template(
    db: &Db,
    caller: &Caller,
    project: Option<&str>,
    template: Option<&str>,
    style: Option<Style>,
) -> anyhow::Result<Preview> {
    let guild_id = &caller.guild_id;
    let link = target(db, guild_id, project).await?;
    let given = template.map(str::trim).filter(|t| !t.is_empty());
    if given.is_some_and(|t| t.chars().count() > MAX_TEMPLATE_CHARS) {
        return refuse(format!(
            "Templates are limited to {MAX_TEMPLATE_CHARS} characters."
        ));
    }
    // Only `style` given: the template stays; nothing given: the default is restored.
    let kept = (given.is_none() && style.is_some()).then_some(link.template.as_deref());
    let template = kept.flatten().or(given);
    db.set_template(LinkRef::new(guild_id, &link.connection_id), template)
        .await?;
    let style = style.unwrap_or(link.style());
    db.set_style(LinkRef::new(guild_id, &link.connection_id), style)
        .await?;
    let message = preview(
        &link,
        template.unwrap_or(DEFAULT_TEMPLATE),
        style,
        caller.voter(),
        caller.now,
    );
    let what = if template.is_some() {
        "Template saved"
    } else {
        "Default template restored"
    };
    let text = format!(
        "{what} (style `{}`). A vote will look like this:",
        style.as_str()
    );
    Ok(Preview { text, message })
}
