//! How a guild shows a project: `/topgg display` overrides, and the rendered preview of an
//! announcement.

use super::{refuse, sanitize, target};
use crate::domain::ids::GuildId;
use crate::domain::keys::LinkRef;
use crate::domain::message::{OutgoingMessage, Style, Voter, link_url};
use crate::domain::template::{self, TemplateValues, render};
use crate::domain::time::{HOUR, Timestamp};
use crate::storage::{Db, GuildLink};

/// Longest `/topgg display name`.
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;

/// The announcement a vote by `voter` would post with `template` at `now` (sample figures).
pub fn preview(
    link: &GuildLink,
    template: &str,
    style: Style,
    voter: Voter<'_>,
    now: Timestamp,
) -> OutgoingMessage {
    let url = link.vote_url();
    let values = TemplateValues {
        user_id: voter.id,
        user_name: voter.name,
        project_name: link.project_name.as_deref(),
        project_id: &link.project_platform_id,
        votes: 12,
        streak: 3,
        weight: 1,
        next_vote_at: now + 12 * HOUR,
        vote_url: url.as_deref().unwrap_or_default(),
        query: None,
    };
    OutgoingMessage::announcement(style, render(template, &values), voter, url.as_deref()).clipped()
}

/// `/topgg display`: how this guild names the project and links its vote page; both omitted
/// restore the defaults.
pub async fn set_display(
    db: &Db,
    guild_id: &GuildId,
    project: Option<&str>,
    name: Option<&str>,
    vote_url: Option<&str>,
) -> anyhow::Result<String> {
    let link = target(db, guild_id, project).await?;
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let vote_url = vote_url.map(str::trim).filter(|u| !u.is_empty());
    if name.is_some_and(|n| n.chars().count() > MAX_DISPLAY_NAME_CHARS) {
        return refuse(format!(
            "Names are limited to {MAX_DISPLAY_NAME_CHARS} characters."
        ));
    }
    let url = match vote_url {
        None => None,
        Some(u) => match link_url(u) {
            Some(url) => Some(url),
            None => return refuse("`vote_url` must be an http(s) link of at most 512 characters."),
        },
    };
    // One option given: the other keeps its value; both omitted: the defaults come back.
    let (name, url) = match (name, url) {
        (None, None) => (None, None),
        (name, url) => (
            name.or(link.display_name.as_deref()),
            url.or_else(|| link.display_vote_url.clone()),
        ),
    };
    db.set_display(
        LinkRef::new(guild_id, &link.connection_id),
        name,
        url.as_deref(),
    )
    .await?;
    let shown = name
        .map(sanitize)
        .unwrap_or_else(|| "its default name".into());
    let link_text = url
        .or_else(|| template::vote_url(&link.project_type, &link.project_platform_id))
        .unwrap_or_else(|| "no vote link".into());
    Ok(format!(
        "This server now shows the project as **{shown}**, with {link_text}."
    ))
}
