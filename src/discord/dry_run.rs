//! `discord.dry_run`: Discord replaced by a sink that logs and records each action (its
//! [`DiscordApi`] implementation).

use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;

use super::DiscordError;
use super::api::{DiscordApi, Post, Recipient};
use super::payload::message_json;
use super::rest::{Answer, RoleChange};
use crate::domain::ids::{GuildId, RoleId, UserId};

/// One action the bot would have sent to Discord.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DryRunAction {
    Message {
        channel_id: String,
        content: String,
        allowed_users: Vec<String>,
    },
    AddRole {
        guild_id: String,
        user_id: String,
        role_id: String,
    },
    RemoveRole {
        guild_id: String,
        user_id: String,
        role_id: String,
    },
    /// A full message: the JSON body Discord would receive (content, embed, button).
    Post {
        channel_id: String,
        body: serde_json::Value,
    },
}

impl std::fmt::Display for DryRunAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DryRunAction::Message {
                channel_id,
                content,
                allowed_users,
            } => {
                let mentions = match allowed_users.as_slice() {
                    [] => "nobody".to_string(),
                    users => users.join(", "),
                };
                write!(
                    f,
                    "message in #{channel_id} (may mention {mentions}): {content}"
                )
            }
            DryRunAction::Post { channel_id, body } => {
                write!(f, "POST /channels/{channel_id}/messages {body}")
            }
            DryRunAction::AddRole {
                guild_id,
                user_id,
                role_id,
            } => {
                write!(f, "add role {role_id} to {user_id} in guild {guild_id}")
            }
            DryRunAction::RemoveRole {
                guild_id,
                user_id,
                role_id,
            } => {
                write!(
                    f,
                    "remove role {role_id} from {user_id} in guild {guild_id}"
                )
            }
        }
    }
}

/// Records actions instead of sending them.
#[derive(Clone, Default)]
pub struct DryRunSink {
    actions: Arc<Mutex<Vec<DryRunAction>>>,
}

impl DryRunSink {
    pub fn record(&self, action: DryRunAction) {
        tracing::info!(action = %action, "dry run: Discord call not sent");
        self.actions
            .lock()
            .expect("dry-run log poisoned")
            .push(action);
    }

    /// Records `action` as the answer of a call that was not sent.
    fn sent<'a>(&self, action: DryRunAction) -> BoxFuture<'a, Answer> {
        self.record(action);
        Box::pin(std::future::ready(Ok(super::Sent::default())))
    }

    /// Every action so far, oldest first.
    pub fn actions(&self) -> Vec<DryRunAction> {
        self.actions.lock().expect("dry-run log poisoned").clone()
    }
}

/// The dry run: each call is recorded as the action it stands for.
impl DiscordApi for DryRunSink {
    /// A post is recorded as the JSON body Discord would receive; a direct message as a
    /// message in channel `dm:<user_id>`.
    fn send<'a>(&'a self, post: Post<'a>) -> BoxFuture<'a, Answer> {
        self.sent(match post.to {
            Recipient::Channel(channel_id) => DryRunAction::Post {
                channel_id: channel_id.to_string(),
                body: message_json(post.message, None),
            },
            Recipient::User(user_id) => DryRunAction::Message {
                channel_id: format!("dm:{user_id}"),
                content: post.message.clone().clipped().content,
                allowed_users: Vec::new(),
            },
        })
    }

    fn change_role<'a>(
        &'a self,
        change: RoleChange,
        (guild_id, user_id, role_id): (&'a GuildId, &'a UserId, &'a RoleId),
    ) -> BoxFuture<'a, Answer> {
        let (guild_id, user_id, role_id) = (
            guild_id.to_string(),
            user_id.to_string(),
            role_id.to_string(),
        );
        self.sent(match change {
            RoleChange::Add => DryRunAction::AddRole {
                guild_id,
                user_id,
                role_id,
            },
            RoleChange::Remove => DryRunAction::RemoveRole {
                guild_id,
                user_id,
                role_id,
            },
        })
    }

    /// The dry run knows no names.
    fn user_name<'a>(
        &'a self,
        _user_id: &'a UserId,
    ) -> BoxFuture<'a, Result<Option<String>, DiscordError>> {
        Box::pin(std::future::ready(Ok(None)))
    }

    fn dry_run_sink(&self) -> Option<&DryRunSink> {
        Some(self)
    }
}
