//! [`DiscordApi`] over REST: each call goes to Discord through [`DiscordRest`], under the
//! token state and the limits its clones share.

use std::time::Duration;

use futures_util::future::BoxFuture;

use super::DiscordError;
use super::api::{DiscordApi, Post, Recipient};
use super::payload::create_message;
use super::rest::{Answer, DiscordRest, RoleChange};
use crate::domain::ids::{ChannelId, GuildId, RoleId, UserId};

impl DiscordApi for DiscordRest {
    fn send<'a>(&'a self, post: Post<'a>) -> BoxFuture<'a, Answer> {
        let body = create_message(post.message, post.nonce);
        Box::pin(async move {
            match post.to {
                Recipient::Channel(channel_id) => self.post(channel_id, &body).await,
                Recipient::User(user_id) => DiscordRest::send_dm(self, user_id, &body).await,
            }
        })
    }

    fn change_role<'a>(
        &'a self,
        change: RoleChange,
        ids: (&'a GuildId, &'a UserId, &'a RoleId),
    ) -> BoxFuture<'a, Answer> {
        Box::pin(DiscordRest::change_role(self, change, ids))
    }

    fn user_name<'a>(
        &'a self,
        user_id: &'a UserId,
    ) -> BoxFuture<'a, Result<Option<String>, DiscordError>> {
        Box::pin(DiscordRest::user_name(self, user_id))
    }

    fn usable(&self) -> BoxFuture<'_, Result<(), Duration>> {
        Box::pin(DiscordRest::usable(self))
    }

    fn invalid_requests(&self) -> usize {
        DiscordRest::invalid_requests(self)
    }

    fn problem(&self) -> Option<String> {
        DiscordRest::problem(self)
    }

    fn lacks_embed_links(&self, channel_id: &ChannelId) -> bool {
        self.limits.embeds.lacks(channel_id)
    }

    fn embed_links_in(&self, guild_id: &GuildId, lacking: Option<Vec<ChannelId>>) {
        match lacking {
            Some(lacking) => self.limits.embeds.set_guild(guild_id, lacking),
            None => self.limits.embeds.forget_guild(guild_id),
        }
    }

    fn embed_links_everywhere(&self, known: Vec<(GuildId, ChannelId)>) {
        self.limits.embeds.replace_all(known);
    }

    fn share_budget(&self, instances: usize) {
        self.limits.global.share_with(instances);
    }

    fn budget_share(&self) -> usize {
        self.limits.global.share()
    }

    fn hold_calls(&self, wait: Duration) {
        self.limits.global.pause(wait);
    }

    fn token_rejected(&self) {
        DiscordRest::token_rejected(self);
    }
}
