//! The calls that carry messages (a channel post, a direct message) and the user names
//! announcements show; bodies come from [`payload`](super::payload).

use poise::serenity_prelude::CreateMessage;

use super::answers::UserAnswer;
use super::payload::{create_message, message_json};
use super::rest::{DiscordRest, Purpose, Sent};
use super::{Discord, DiscordError, DryRunAction};
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::message::OutgoingMessage;

impl DiscordRest {
    /// Posts a message (see [`create_message`]) in the channel.
    pub(super) async fn post(
        &self,
        channel_id: &ChannelId,
        message: &CreateMessage,
    ) -> Result<Sent, DiscordError> {
        let url = format!("{}/channels/{channel_id}/messages", self.base);
        self.send(self.client.post(url).json(message)).await
    }

    /// A Discord user's name (global display name, else username): names bot projects.
    pub async fn user_name(&self, user_id: &UserId) -> Result<Option<String>, DiscordError> {
        let url = format!("{}/users/{user_id}", self.base);
        let (_, body) = self.execute(self.client.get(url), Purpose::Call).await?;
        Ok(UserAnswer::read(&body).shown_name().map(String::from))
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
            Discord::Rest(rest) => rest.post(channel_id, &create_message(message, nonce)).await,
            Discord::DryRun(sink) => sink.sent(DryRunAction::Post {
                channel_id: channel_id.to_string(),
                body: message_json(message, None),
            }),
        }
    }

    /// Sends `message` to `user_id` in a direct message (see [`DiscordRest::send_dm`]), posted
    /// once for `nonce`; the dry run records it as a message in channel `dm:<user_id>`.
    pub async fn send_dm(
        &self,
        user_id: &UserId,
        message: &OutgoingMessage,
        nonce: &str,
    ) -> Result<Sent, DiscordError> {
        match self {
            Discord::Rest(rest) => {
                let body = create_message(message, Some(nonce));
                rest.send_dm(user_id, &body).await
            }
            Discord::DryRun(sink) => sink.sent(DryRunAction::Message {
                channel_id: format!("dm:{user_id}"),
                content: message.clone().clipped().content,
                allowed_users: Vec::new(),
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
