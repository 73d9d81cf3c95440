//! Replies that show an announcement as Discord will post it: its embed and Vote button are
//! built by [`discord::payload::shown_parts`](crate::discord::payload::shown_parts), the
//! function the post itself is built with.

use crate::discord::payload::shown_parts;
use crate::domain::message::{OutgoingMessage, clip, limits};

/// An ephemeral reply: `text`, then the message as it will look.
pub fn reply_showing(text: &str, message: &OutgoingMessage) -> poise::CreateReply {
    let content = clip(&format!("{text}\n\n{}", message.content), limits::CONTENT);
    let parts = shown_parts(message);
    let mut reply = poise::CreateReply::default()
        .content(content)
        .ephemeral(true);
    for embed in parts.embeds {
        reply = reply.embed(embed);
    }
    if !parts.components.is_empty() {
        reply = reply.components(parts.components);
    }
    reply
}

#[cfg(test)]
mod tests {
    use poise::serenity_prelude::CreateInteractionResponseMessage;
    use serde_json::Value;

    use super::*;
    use crate::discord::payload::message_json;
    use crate::domain::ids::UserId;
    use crate::domain::message::samples::not_on_discord;
    use crate::domain::message::{Style, Voter};

    /// The reply as Discord receives it (the interaction callback's `data`).
    fn sent_reply(reply: poise::CreateReply) -> Value {
        let data = reply.to_slash_initial_response(CreateInteractionResponseMessage::new());
        serde_json::to_value(data).unwrap()
    }

    #[test]
    fn the_preview_shows_the_embed_and_button_the_post_carries() {
        let voter_id = UserId::from(42);
        let voter = Voter {
            id: Some(&voter_id),
            name: &"N".repeat(300),
            avatar_url: Some("https://cdn.example/a.png"),
        };
        let long = "x".repeat(5000);
        let url = Some("https://top.gg/bot/1/vote");
        let message = OutgoingMessage::announcement(Style::Embed, long, voter, url);
        let post = message_json(&message, Some("n"));
        let preview = sent_reply(reply_showing("Preview:", &message));
        assert_eq!(preview["embeds"], post["embeds"]);
        assert_eq!(preview["components"], post["components"]);
        assert_eq!(post["embeds"].as_array().map(Vec::len), Some(1));
        assert_eq!(post["components"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn a_preview_of_a_text_message_without_a_button_shows_neither() {
        let voter = not_on_discord("Ann");
        let message = OutgoingMessage::announcement(Style::Text, "hi".into(), voter, None);
        let preview = sent_reply(reply_showing("Preview:", &message));
        assert_eq!(preview["embeds"], serde_json::json!([]));
        assert!(preview.get("components").is_none(), "{preview}");
    }
}
