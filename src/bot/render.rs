//! Replies that show an announcement as Discord will post it (embed and Vote button).

use poise::serenity_prelude as serenity;

use crate::domain::message::{Embed, OutgoingMessage, VOTE_BUTTON_LABEL, clip, limits};

/// An ephemeral reply: `text`, then the message as it will look.
pub fn reply_showing(text: &str, message: &OutgoingMessage) -> poise::CreateReply {
    let content = clip(&format!("{text}\n\n{}", message.content), limits::CONTENT);
    let mut reply = poise::CreateReply::default()
        .content(content)
        .ephemeral(true);
    if let Some(embed) = &message.embed {
        reply = reply.embed(create_embed(embed));
    }
    if let Some(url) = &message.button_url {
        let button = serenity::CreateButton::new_link(url).label(VOTE_BUTTON_LABEL);
        reply = reply.components(vec![serenity::CreateActionRow::Buttons(vec![button])]);
    }
    reply
}

fn create_embed(embed: &Embed) -> serenity::CreateEmbed {
    let mut out = serenity::CreateEmbed::new()
        .description(&embed.description)
        .colour(embed.colour);
    if let Some(title) = &embed.title {
        out = out.title(title);
    }
    if let Some(name) = &embed.author_name {
        let mut author = serenity::CreateEmbedAuthor::new(name);
        if let Some(icon) = &embed.author_icon {
            author = author.icon_url(icon);
        }
        out = out.author(author);
    }
    out
}
