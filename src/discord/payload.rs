//! Every message the bot sends, built once with serenity's builders from an
//! [`OutgoingMessage`]: channel posts (announcements, digests, test notices) and reminder DMs
//! as a [`CreateMessage`], and the parts a preview shows ([`shown_parts`]), which a post is
//! made of too, so a preview cannot drift from the post.

use std::num::NonZeroU64;

use poise::serenity_prelude as serenity;
use serenity::{
    CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed, CreateEmbedAuthor,
    CreateMessage, Nonce,
};

use crate::domain::ids::UserId;
use crate::domain::message::{Embed, OutgoingMessage, VOTE_BUTTON_LABEL};

/// What Discord shows of a message besides its content: the embed and the Vote link button.
#[derive(Debug, Clone, Default)]
pub struct ShownParts {
    pub embeds: Vec<CreateEmbed>,
    /// Empty when the message has no button.
    pub components: Vec<CreateActionRow>,
}

/// The embed and button of `message` as posted (clipped to Discord's limits).
pub fn shown_parts(message: &OutgoingMessage) -> ShownParts {
    parts_of_clipped(&message.clone().clipped())
}

/// `POST /channels/{id}/messages` body: content, the embed, the link button, mentions limited
/// to `allowed_users` (`parse: []`), and with `nonce` Discord's duplicate check
/// (`enforce_nonce`). Serialises to Discord's JSON.
pub fn create_message(message: &OutgoingMessage, nonce: Option<&str>) -> CreateMessage {
    let message = message.clone().clipped();
    let parts = parts_of_clipped(&message);
    let mut out = CreateMessage::new()
        .content(message.content)
        .embeds(parts.embeds)
        .allowed_mentions(only_users(&message.allowed_users));
    if !parts.components.is_empty() {
        out = out.components(parts.components);
    }
    if let Some(nonce) = nonce {
        out = out.nonce(Nonce::String(nonce.into())).enforce_nonce(true);
    }
    out
}

/// [`create_message`] as the JSON Discord receives (and the dry run records).
pub fn message_json(message: &OutgoingMessage, nonce: Option<&str>) -> serde_json::Value {
    serde_json::to_value(create_message(message, nonce))
        .expect("serenity's message builder always serialises")
}

fn parts_of_clipped(message: &OutgoingMessage) -> ShownParts {
    let embeds = message.embed.iter().map(create_embed).collect();
    let components = message
        .button_url
        .iter()
        .map(|url| {
            let button = CreateButton::new_link(url).label(VOTE_BUTTON_LABEL);
            CreateActionRow::Buttons(vec![button])
        })
        .collect();
    ShownParts { embeds, components }
}

fn create_embed(embed: &Embed) -> CreateEmbed {
    let mut out = CreateEmbed::new()
        .description(&embed.description)
        .colour(embed.colour);
    if let Some(title) = &embed.title {
        out = out.title(title);
    }
    if let Some(name) = &embed.author_name {
        let mut author = CreateEmbedAuthor::new(name);
        if let Some(icon) = &embed.author_icon {
            author = author.icon_url(icon);
        }
        out = out.author(author);
    }
    out
}

/// Mentions of these users only: no `@everyone`, roles or other users, whatever the text says
/// (an id 0, which no user has, is left out: serenity's ids are never 0).
fn only_users(users: &[UserId]) -> CreateAllowedMentions {
    let ids = users.iter().filter_map(|u| NonZeroU64::new(u.get()));
    CreateAllowedMentions::new().users(ids.map(serenity::UserId::from))
}

#[cfg(test)]
mod tests;
