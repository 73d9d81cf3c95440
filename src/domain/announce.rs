//! One vote's announcement as a link shows it (pure): template values, the rendered message,
//! the voter's digest line.

use super::events::Vote;
use super::ids::{ChannelId, UserId};
use super::message::{Embed, OutgoingMessage, Voter, clip};
use super::nonce::announcement_nonce;
use super::tally::Tally;
use super::template::{DEFAULT_TEMPLATE, TemplateValues, render};
use super::text::{literal, plain};
use super::time::Timestamp;
use super::work::{LinkSettings, PlannedJob, Work};

/// The message an announcement job posts (clipped to Discord's limits).
pub fn announce_message(
    content: &str,
    voter_id: Option<&UserId>,
    embed: Option<&Embed>,
    button_url: Option<&str>,
) -> OutgoingMessage {
    OutgoingMessage {
        content: content.to_string(),
        embed: embed.cloned(),
        button_url: button_url.map(String::from),
        allowed_users: voter_id.into_iter().cloned().collect(),
    }
    .clipped()
}

/// The announcement as style `text` shows it, for a channel where Discord would drop its
/// embed: the rendered template the embed carried becomes the content (clipped when posted),
/// with the same button and the same voter allowed to be mentioned. Other work is unchanged.
pub fn in_text_style(mut work: Work) -> Work {
    match &mut work {
        Work::Announce { content, embed, .. } => {
            if let Some(embed) = embed.take() {
                *content = embed.description;
            }
        }
        Work::TestNotice { .. }
        | Work::GrantRole { .. }
        | Work::RemoveRole { .. }
        | Work::Remind { .. } => {}
    }
    work
}

/// The template values of a vote as `link` shows it; `voter` is the vote's Discord voter
/// ([`Vote::discord_voter`]).
pub fn vote_values<'a>(
    vote: &'a Vote,
    voter: Option<&'a UserId>,
    tally: &Tally,
    link: &'a LinkSettings,
) -> TemplateValues<'a> {
    TemplateValues {
        user_id: voter,
        user_name: &vote.user.name,
        project_name: link.project_name.as_deref(),
        project_id: &vote.project.platform_id,
        votes: tally.total,
        streak: tally.streak,
        weight: vote.weight,
        next_vote_at: vote.expiry(),
        vote_url: link.vote_url.as_deref().unwrap_or_default(),
        query: vote.query.as_ref(),
    }
}

pub(super) fn announcement(
    vote: &Vote,
    tally: &Tally,
    link: &LinkSettings,
    channel_id: &ChannelId,
    now: Timestamp,
) -> PlannedJob {
    let discord_voter = vote.discord_voter();
    let values = vote_values(vote, discord_voter.as_ref(), tally, link);
    let template = link.template.as_deref().unwrap_or(DEFAULT_TEMPLATE);
    let voter = Voter {
        id: discord_voter.as_ref(),
        name: &vote.user.name,
        avatar_url: vote.user.avatar_url.as_deref(),
    };
    let message = OutgoingMessage::announcement(
        link.style,
        render(template, &values),
        voter,
        link.vote_url.as_deref(),
    )
    .clipped();
    PlannedJob {
        guild_id: link.guild_id.clone(),
        work: Work::Announce {
            channel_id: channel_id.clone(),
            content: message.content,
            voter_id: discord_voter.clone(),
            nonce: announcement_nonce(&vote.id, &link.guild_id),
            embed: message.embed.map(Box::new),
            button_url: message.button_url,
            summary: summary_line(vote, discord_voter.as_ref(), tally),
            project: literal(values.project_name.unwrap_or(values.project_id)),
            voter_name: shown_name(vote),
        },
        due_at: now,
        grant: None,
    }
}

/// The voter's name as a digest line shows it (written literally, at most 40 characters).
fn shown_name(vote: &Vote) -> String {
    literal(&clip(&plain(&vote.user.name), 40))
}

/// The voter's line in a digest: mention (Discord voters only), name (shown as written), total.
fn summary_line(vote: &Vote, voter: Option<&UserId>, tally: &Tally) -> String {
    let name = shown_name(vote);
    let who = match (voter, name.is_empty()) {
        (Some(id), true) => format!("<@{id}>"),
        (Some(id), false) => format!("<@{id}> {name}"),
        (None, true) => "Someone".to_string(),
        (None, false) => name,
    };
    format!("{who} ({} votes)", tally.total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::Style;

    fn announce(style: Style) -> Work {
        let voter_id = UserId::from(42);
        let voter = Voter {
            id: Some(&voter_id),
            name: "Ann",
            avatar_url: None,
        };
        let url = Some("https://top.gg/bot/1/vote");
        let m = OutgoingMessage::announcement(style, "<@42> voted".into(), voter, url);
        Work::Announce {
            channel_id: ChannelId::from(3),
            content: m.content,
            voter_id: Some(voter_id.clone()),
            nonce: "n".into(),
            embed: m.embed.map(Box::new),
            button_url: m.button_url,
            summary: "<@42> Ann (1 votes)".into(),
            project: "Bot".into(),
            voter_name: "Ann".into(),
        }
    }

    #[test]
    fn an_embed_announcement_in_text_style_is_what_style_text_would_have_queued() {
        assert_eq!(in_text_style(announce(Style::Embed)), announce(Style::Text));
        assert_eq!(in_text_style(announce(Style::Text)), announce(Style::Text));
    }
}
