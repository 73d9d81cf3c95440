//! The REST calls that post a message in a channel and read a user's name; bodies come from
//! [`payload`](super::payload).

use poise::serenity_prelude::CreateMessage;

use super::DiscordError;
use super::answers::UserAnswer;
use super::rest::{DiscordRest, Purpose, Sent};
use crate::domain::ids::{ChannelId, UserId};

impl DiscordRest {
    /// Posts a message (see [`create_message`](super::payload::create_message)) in the channel.
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
