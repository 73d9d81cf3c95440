//! `discord.dry_run`: Discord replaced by a sink that logs and records each action.

use std::sync::{Arc, Mutex};

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
    pub fn sent(&self, action: DryRunAction) -> Result<super::Sent, super::DiscordError> {
        self.record(action);
        Ok(super::Sent::default())
    }

    /// Every action so far, oldest first.
    pub fn actions(&self) -> Vec<DryRunAction> {
        self.actions.lock().expect("dry-run log poisoned").clone()
    }
}
