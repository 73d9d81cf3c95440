//! The JSON body of a message the bot posts, and the calls that carry it.

use serde_json::{Value, json};

use super::rest::{DiscordRest, Purpose, Sent};
use super::{Discord, DiscordError, DryRunAction};
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::message::{Embed, OutgoingMessage, VOTE_BUTTON_LABEL};

/// `POST /channels/{id}/messages` body: content, the embed, the link button, mentions limited
/// to `allowed_users`, and with `nonce` Discord's duplicate check (`enforce_nonce`).
pub fn message_body(message: &OutgoingMessage, nonce: Option<&str>) -> Value {
    let message = message.clone().clipped();
    let mut body = json!({
        "content": message.content,
        "allowed_mentions": { "parse": [], "users": message.allowed_users },
    });
    if let Some(embed) = &message.embed {
        body["embeds"] = json!([embed_json(embed)]);
    }
    if let Some(url) = &message.button_url {
        body["components"] = json!([{
            "type": 1,
            "components": [{ "type": 2, "style": 5, "label": VOTE_BUTTON_LABEL, "url": url }],
        }]);
    }
    if let Some(nonce) = nonce {
        body["nonce"] = json!(nonce);
        body["enforce_nonce"] = json!(true);
    }
    body
}

fn embed_json(embed: &Embed) -> Value {
    let mut out = json!({ "description": embed.description, "color": embed.colour });
    if let Some(title) = &embed.title {
        out["title"] = json!(title);
    }
    if let Some(name) = &embed.author_name {
        out["author"] = json!({ "name": name });
        if let Some(icon) = &embed.author_icon {
            out["author"]["icon_url"] = json!(icon);
        }
    }
    out
}

impl DiscordRest {
    /// Posts a message body (see [`message_body`]) in the channel.
    pub(super) async fn post(
        &self,
        channel_id: &ChannelId,
        body: &Value,
    ) -> Result<Sent, DiscordError> {
        let url = format!("{}/channels/{channel_id}/messages", self.base);
        self.send(self.client.post(url).json(body)).await
    }

    /// A Discord user's name (global display name, else username): names bot projects.
    pub async fn user_name(&self, user_id: &UserId) -> Result<Option<String>, DiscordError> {
        let url = format!("{}/users/{user_id}", self.base);
        let (_, body) = self.execute(self.client.get(url), Purpose::Call).await?;
        let user: Value = serde_json::from_slice(&body).unwrap_or_default();
        let name = user["global_name"]
            .as_str()
            .or(user["username"].as_str())
            .filter(|n| !n.is_empty());
        Ok(name.map(String::from))
    }
}

impl Discord {
    /// Posts `message` (only its `allowed_users` may be pinged).
    pub async fn post_message(
        &self,
        channel_id: &ChannelId,
        message: &OutgoingMessage,
        nonce: Option<&str>,
    ) -> Result<Sent, DiscordError> {
        match self {
            Discord::Rest(rest) => rest.post(channel_id, &message_body(message, nonce)).await,
            Discord::DryRun(sink) => sink.sent(DryRunAction::Post {
                channel_id: channel_id.to_string(),
                body: message_body(message, None),
            }),
        }
    }

    /// A Discord user's name; `None` in dry run or when Discord has none.
    pub async fn user_name(&self, user_id: &UserId) -> Result<Option<String>, DiscordError> {
        match self {
            Discord::Rest(rest) => rest.user_name(user_id).await,
            Discord::DryRun(_) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::{Style, Voter};

    #[test]
    fn an_embed_announcement_body_has_the_mention_the_embed_and_a_link_button() {
        let voter_id = UserId::from(42);
        let voter = Voter {
            id: Some(&voter_id),
            name: "Ann",
            avatar_url: Some("https://cdn.example/a.png"),
        };
        let message = OutgoingMessage::announcement(
            Style::Embed,
            "Ann voted".into(),
            voter,
            Some("https://top.gg/bot/1/vote"),
        );
        let body = message_body(&message, Some("n"));
        assert_eq!(body["content"], "<@42>");
        assert_eq!(body["embeds"][0]["description"], "Ann voted");
        assert_eq!(
            body["embeds"][0]["author"]["icon_url"],
            "https://cdn.example/a.png"
        );
        let button = &body["components"][0]["components"][0];
        assert_eq!(
            (button["style"].as_u64(), button["url"].as_str()),
            (Some(5), Some("https://top.gg/bot/1/vote"))
        );
        assert_eq!(
            body["allowed_mentions"],
            json!({"parse": [], "users": ["42"]})
        );
        assert_eq!(body["enforce_nonce"], true);
    }
}
