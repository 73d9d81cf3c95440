//! [`DiscordApi`]: every call delivery makes to Discord, written once per implementation (the
//! live REST client, [`DiscordRest`](super::DiscordRest), and the dry run,
//! [`DryRunSink`](super::DryRunSink)); a message to a channel and a direct message are one
//! [`Post`] to either; [`Discord`] is the one handle the app passes around.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::limiter::MAX_CALLS_PER_SECOND;
use super::rest::{Answer, RoleChange};
use super::{DiscordError, DryRunSink};
use crate::domain::ids::{ChannelId, GuildId, RoleId, UserId};
use crate::domain::message::OutgoingMessage;

/// Where a message goes.
#[derive(Debug, Clone, Copy)]
pub enum Recipient<'a> {
    Channel(&'a ChannelId),
    /// The user, in a direct message.
    User(&'a UserId),
}

/// A message to post, and the nonce that makes a retry post it once.
#[derive(Debug, Clone, Copy)]
pub struct Post<'a> {
    pub to: Recipient<'a>,
    pub message: &'a OutgoingMessage,
    pub nonce: Option<&'a str>,
}

/// What delivery asks of Discord. The calls are required; what only the live client keeps
/// (the token's state, the limits, where Embed Links is missing) defaults to "nothing to
/// keep", which is what the dry run needs.
pub trait DiscordApi: Send + Sync {
    /// Posts `post.message` to its recipient (only its `allowed_users` may be pinged).
    fn send<'a>(&'a self, post: Post<'a>) -> BoxFuture<'a, Answer>;

    /// Posts `message` in `channel_id`; `nonce` makes a retry post once.
    fn post_message<'a>(
        &'a self,
        channel_id: &'a ChannelId,
        message: &'a OutgoingMessage,
        nonce: Option<&'a str>,
    ) -> BoxFuture<'a, Answer> {
        let to = Recipient::Channel(channel_id);
        self.send(Post { to, message, nonce })
    }

    /// Sends `message` to `user_id` in a direct message, posted once for `nonce`.
    fn send_dm<'a>(
        &'a self,
        user_id: &'a UserId,
        message: &'a OutgoingMessage,
        nonce: &'a str,
    ) -> BoxFuture<'a, Answer> {
        let to = Recipient::User(user_id);
        self.send(Post {
            to,
            message,
            nonce: Some(nonce),
        })
    }

    /// Gives the member (`guild`, `user`) the role, or takes it away.
    fn change_role<'a>(
        &'a self,
        change: RoleChange,
        ids: (&'a GuildId, &'a UserId, &'a RoleId),
    ) -> BoxFuture<'a, Answer>;

    /// A Discord user's name (global display name, else username); `None` when there is none.
    fn user_name<'a>(
        &'a self,
        user_id: &'a UserId,
    ) -> BoxFuture<'a, Result<Option<String>, DiscordError>>;

    /// `Ok` when delivery may call Discord; while the token is rejected, how long to wait.
    fn usable(&self) -> BoxFuture<'_, Result<(), Duration>> {
        Box::pin(async { Ok(()) })
    }

    /// Discord's 401/403/429 answers of the last 10 minutes (for `/metrics`).
    fn invalid_requests(&self) -> usize {
        0
    }

    /// Why Discord cannot be used now (a rejected token, the edge blocking the address, the
    /// invalid-request budget spent), for `/readyz`.
    fn problem(&self) -> Option<String> {
        None
    }

    /// Whether the bot lacks Embed Links in `channel_id`, as the gateway last showed it (no
    /// call): its announcements are then posted in `text` style.
    fn lacks_embed_links(&self, _channel_id: &ChannelId) -> bool {
        false
    }

    /// What the gateway shows of `guild_id`: exactly `lacking` of its channels lack Embed
    /// Links (`None`: the bot left the guild, forget it).
    fn embed_links_in(&self, _guild_id: &GuildId, _lacking: Option<Vec<ChannelId>>) {}

    /// What the database says of every guild (see [`embed_links_in`](Self::embed_links_in)).
    fn embed_links_everywhere(&self, _known: Vec<(GuildId, ChannelId)>) {}

    /// `instances` live instances share Discord's budget: this one takes an equal part.
    fn share_budget(&self, _instances: usize) {}

    /// This instance's Discord calls per rolling second.
    fn budget_share(&self) -> usize {
        MAX_CALLS_PER_SECOND
    }

    /// Holds every call for `wait` (a few seconds at most).
    fn hold_calls(&self, _wait: Duration) {}

    /// Another client (the gateway) met a 401: delivery stops as if it had.
    fn token_rejected(&self) {}

    /// The sink recording the calls, when this is the dry run.
    fn dry_run_sink(&self) -> Option<&DryRunSink> {
        None
    }
}

/// Where delivery sends its actions: the live client or the dry run, shared by every clone.
#[derive(Clone)]
pub struct Discord(Arc<dyn DiscordApi>);

impl Discord {
    /// Discord over REST.
    pub fn live(rest: super::DiscordRest) -> Self {
        Self(Arc::new(rest))
    }

    /// The dry run: every call is recorded in `sink`, none is sent.
    pub fn dry_run(sink: DryRunSink) -> Self {
        Self(Arc::new(sink))
    }

    /// Whether calls are recorded instead of sent.
    pub fn is_dry_run(&self) -> bool {
        self.0.dry_run_sink().is_some()
    }
}

impl std::ops::Deref for Discord {
    type Target = dyn DiscordApi;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}
