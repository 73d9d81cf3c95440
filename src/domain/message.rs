//! What an announcement looks like on Discord (pure): the content, one embed and a link
//! button, always within Discord's limits (a message over them is refused, so it is clipped
//! instead).

use serde::{Deserialize, Serialize};

use super::ids::UserId;

/// Discord's limits on a message.
pub mod limits {
    pub const CONTENT: usize = 2000;
    pub const EMBED_DESCRIPTION: usize = 4096;
    pub const EMBED_TITLE: usize = 256;
    pub const EMBED_AUTHOR_NAME: usize = 256;
    /// Title, description, author name (and fields, footer) together.
    pub const EMBED_TOTAL: usize = 6000;
    pub const URL: usize = 512;
    pub const BUTTON_LABEL: usize = 80;
    /// Ids in `allowed_mentions.users`.
    pub const ALLOWED_USERS: usize = 100;
}

/// The colour of announcement embeds (Top.gg's pink).
pub const EMBED_COLOUR: u32 = 0xFF_33_66;
/// The label of the link button to the vote page.
pub const VOTE_BUTTON_LABEL: &str = "Vote";

/// How a link's announcements look: `/topgg message style:`. Stored by its lowercase name in
/// `links.style` (`NULL`: the default), read and written by derive: a stored name this version
/// does not know is a decode error naming it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, sqlx::Type, strum::IntoStaticStr,
)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Style {
    /// Content = the voter's mention; an embed carries the rendered template.
    #[default]
    Embed,
    /// Content = the rendered template.
    Text,
}

impl Style {
    /// The stored (and shown) name: `embed` or `text`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The embed of an announcement or a digest.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Embed {
    #[serde(default)]
    pub title: Option<String>,
    pub description: String,
    /// The voter's name, shown with their avatar.
    #[serde(default)]
    pub author_name: Option<String>,
    #[serde(default)]
    pub author_icon: Option<String>,
    #[serde(default)]
    pub colour: u32,
}

/// A message ready to post: only `allowed_users` may be pinged, whatever the text says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutgoingMessage {
    pub content: String,
    pub embed: Option<Embed>,
    /// A link button to this URL (the vote page), when there is one.
    pub button_url: Option<String>,
    pub allowed_users: Vec<UserId>,
}

/// The voter as an announcement shows them; `id` is `None` for a voter who is not a Discord
/// user (named, never mentioned).
#[derive(Debug, Clone, Copy)]
pub struct Voter<'a> {
    pub id: Option<&'a UserId>,
    pub name: &'a str,
    pub avatar_url: Option<&'a str>,
}

impl OutgoingMessage {
    /// One vote's announcement in `style`, from the rendered template.
    pub fn announcement(
        style: Style,
        rendered: String,
        voter: Voter<'_>,
        vote_url: Option<&str>,
    ) -> Self {
        let allowed_users: Vec<UserId> = voter.id.into_iter().cloned().collect();
        let button_url = vote_url.and_then(link_url);
        match style {
            Style::Text => OutgoingMessage {
                content: rendered,
                embed: None,
                button_url,
                allowed_users,
            },
            Style::Embed => OutgoingMessage {
                content: voter.id.map(|id| format!("<@{id}>")).unwrap_or_default(),
                embed: Some(Embed {
                    title: None,
                    description: rendered,
                    author_name: Some(super::text::plain(voter.name)).filter(|n| !n.is_empty()),
                    author_icon: voter.avatar_url.and_then(link_url),
                    colour: EMBED_COLOUR,
                }),
                button_url,
                allowed_users,
            },
        }
    }

    /// The same message within Discord's limits: texts clipped, invalid URLs dropped, at most
    /// 100 users allowed to be mentioned.
    pub fn clipped(mut self) -> Self {
        self.content = clip(&self.content, limits::CONTENT);
        self.button_url = self.button_url.as_deref().and_then(link_url);
        self.allowed_users.truncate(limits::ALLOWED_USERS);
        if let Some(embed) = &mut self.embed {
            embed.title = embed.title.as_deref().map(|t| clip(t, limits::EMBED_TITLE));
            embed.author_name = embed
                .author_name
                .as_deref()
                .map(|n| clip(n, limits::EMBED_AUTHOR_NAME));
            embed.author_icon = embed.author_icon.as_deref().and_then(link_url);
            let used = embed.title.as_deref().map_or(0, count)
                + embed.author_name.as_deref().map_or(0, count);
            let room = limits::EMBED_DESCRIPTION.min(limits::EMBED_TOTAL - used);
            embed.description = clip(&embed.description, room);
        }
        self
    }
}

fn count(text: &str) -> usize {
    text.chars().count()
}

/// `text` cut to at most `max` characters, ending with `…` when cut.
pub fn clip(text: &str, max: usize) -> String {
    if count(text) <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A URL Discord accepts in a button or an embed: http(s), no spaces, at most 512 characters.
pub fn link_url(url: &str) -> Option<String> {
    let url = url.trim();
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    let ok = scheme_ok
        && url.len() <= limits::URL
        && url.len() > "https://".len()
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::samples::{ann, not_on_discord};
    use super::*;

    /// An announcement of `text` for Ann (user 42), with a Vote button to `vote_url`.
    fn announcement_for_ann(style: Style, text: &str, vote_url: Option<&str>) -> OutgoingMessage {
        OutgoingMessage::announcement(style, text.into(), ann(&UserId::from(42)), vote_url)
    }

    #[test]
    fn an_embed_announcement_mentions_the_voter_and_carries_the_text_name_and_avatar() {
        let m = announcement_for_ann(Style::Embed, "thanks", Some("https://top.gg/bot/1/vote"));
        assert_eq!(m.content, "<@42>");
        let embed = m.embed.unwrap();
        assert_eq!(embed.description, "thanks");
        assert_eq!(embed.author_name.as_deref(), Some("Ann"));
        assert_eq!(
            embed.author_icon.as_deref(),
            Some("https://cdn.example/a.png")
        );
        assert_eq!(m.button_url.as_deref(), Some("https://top.gg/bot/1/vote"));
        assert_eq!(m.allowed_users, [UserId::from(42)]);
    }

    #[test]
    fn an_announcement_for_a_voter_who_is_not_a_discord_user_mentions_nobody() {
        let voter = not_on_discord("Ann");
        let m = OutgoingMessage::announcement(Style::Embed, "Ann voted".into(), voter, None);
        assert_eq!((m.content.as_str(), m.allowed_users.len()), ("", 0));
        assert_eq!(m.embed.unwrap().author_name.as_deref(), Some("Ann"));
    }

    #[test]
    fn a_text_announcement_is_the_rendered_template_and_no_vote_url_means_no_button() {
        let m = announcement_for_ann(Style::Text, "thanks", None);
        assert_eq!(
            (m.content.as_str(), m.embed, m.button_url),
            ("thanks", None, None)
        );
    }

    #[test]
    fn over_long_texts_are_clipped_to_discords_limits() {
        let long = "x".repeat(10_000);
        let text = announcement_for_ann(Style::Text, &long, None).clipped();
        assert_eq!(text.content.chars().count(), limits::CONTENT);
        assert!(text.content.ends_with('…'));
        let embed = announcement_for_ann(Style::Embed, &long, None).clipped();
        let description = embed.embed.unwrap().description;
        assert_eq!(description.chars().count(), limits::EMBED_DESCRIPTION);
    }

    #[test]
    fn urls_discord_would_refuse_are_dropped() {
        assert_eq!(link_url("javascript:alert(1)"), None);
        assert_eq!(link_url("https://a b"), None);
        assert_eq!(link_url(&format!("https://{}", "a".repeat(600))), None);
        assert_eq!(
            link_url(" https://top.gg/x ").as_deref(),
            Some("https://top.gg/x")
        );
    }

    #[test]
    fn clipping_counts_characters_not_bytes() {
        assert_eq!(clip("ééé", 3), "ééé");
        assert_eq!(clip("éééé", 3), "éé…");
    }
}

/// Voters and messages the unit tests of several modules build alike.
#[cfg(test)]
pub mod samples {
    use super::{OutgoingMessage, UserId, Voter};

    /// Ann, user `id`, with an avatar.
    pub fn ann(id: &UserId) -> Voter<'_> {
        Voter {
            id: Some(id),
            name: "Ann",
            avatar_url: Some("https://cdn.example/a.png"),
        }
    }

    /// A voter who is not a Discord user: `name` only.
    pub fn not_on_discord(name: &str) -> Voter<'_> {
        Voter {
            id: None,
            name,
            avatar_url: None,
        }
    }

    /// A plain message of `content` that may ping `users`.
    pub fn pinging(content: &str, users: &[u64]) -> OutgoingMessage {
        OutgoingMessage {
            content: content.into(),
            allowed_users: users.iter().copied().map(UserId::from).collect(),
            ..OutgoingMessage::default()
        }
    }
}
