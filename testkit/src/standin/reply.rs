//! What the bot answered to an interaction, as `DiscordStandIn::reply_to` collects it.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{DiscordStandIn, RecordedRequest};

/// The interaction callback body and, for a deferral (callback type 5 or 6), the body of the
/// `PATCH .../messages/@original` or the first follow-up that followed it.
#[derive(Clone, Debug)]
pub struct Reply {
    /// 4 message, 5 deferred message, 6 deferred update, 7 update, 8 autocomplete, 9 modal.
    pub callback_type: u64,
    pub callback: Value,
    pub edit: Option<Value>,
}

impl Reply {
    pub fn deferred(&self) -> bool {
        matches!(self.callback_type, 5 | 6)
    }

    /// The message data that ended up shown: the edit for a deferral, else `callback.data`.
    pub fn data(&self) -> &Value {
        self.edit.as_ref().unwrap_or(&self.callback["data"])
    }

    pub fn content(&self) -> Option<&str> {
        self.data()["content"].as_str()
    }

    /// Ephemeral is decided by the first response's flags (64); later edits cannot change it.
    pub fn ephemeral(&self) -> bool {
        self.callback["data"]["flags"].as_u64().unwrap_or(0) & 64 != 0
    }

    /// Autocomplete choices (callback type 8).
    pub fn choices(&self) -> Vec<Value> {
        self.callback["data"]["choices"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn embeds(&self) -> Vec<Value> {
        self.data()["embeds"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl DiscordStandIn {
    /// Waits for the accepted callback of interaction `id` and, if it deferred, the edit of
    /// `@original` (or the first follow-up) that followed; both within `timeout`.
    pub async fn reply_to(&self, id: u64, timeout: Duration) -> Option<Reply> {
        let deadline = Instant::now() + timeout;
        let prefix = format!("/interactions/{id}/");
        let is_callback = |r: &RecordedRequest| {
            r.is("POST", &prefix) && r.path.ends_with("/callback") && r.status == 204
        };
        let callback = self.wait_for(is_callback, timeout).await?;
        let callback_type = callback.body["type"].as_u64().unwrap_or(0);
        let mut reply = Reply {
            callback_type,
            callback: callback.body.clone(),
            edit: None,
        };
        if reply.deferred() {
            let token = callback
                .path
                .split('/')
                .nth(3)
                .unwrap_or_default()
                .to_string();
            // Discord shows the first follow-up of a deferred response in its place, as it
            // shows an edit of `@original` (poise sends a follow-up after `defer`).
            let is_edit = |r: &RecordedRequest| {
                let edit = r.method == "PATCH"
                    && r.path.ends_with(&format!("/{token}/messages/@original"));
                let follow_up = r.method == "POST" && r.path.ends_with(&format!("/{token}"));
                (edit || follow_up) && r.status == 200
            };
            let left = deadline.saturating_duration_since(Instant::now());
            reply.edit = Some(self.wait_for(is_edit, left).await?.body);
        }
        Some(reply)
    }
}
