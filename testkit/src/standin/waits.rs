//! Awaiting what the bot does: every recorded request and gateway event wakes the waiters,
//! so a test waits exactly as long as the bot takes, never a fixed time.

use std::time::Duration;

use serde_json::Value;

use super::{DiscordStandIn, RecordedRequest};

impl DiscordStandIn {
    /// Checks `probe` now and after every change the stand-in sees (a request answered, a
    /// gateway event) until it yields a value; `None` when `timeout` passes first.
    pub async fn wait_until<T>(
        &self,
        timeout: Duration,
        mut probe: impl FnMut(&Self) -> Option<T>,
    ) -> Option<T> {
        let mut changes = self.state.changes();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changes.mark_unchanged();
            if let Some(found) = probe(self) {
                return Some(found);
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return probe(self),
            }
        }
    }

    /// The messages of `channel` once `done` holds for them, or as they are when `timeout`
    /// passes (for the caller's assertion to report).
    pub async fn messages_when(
        &self,
        channel: u64,
        timeout: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let found = self
            .wait_until(timeout, |d| {
                let messages = d.messages_in(channel);
                done(&messages).then_some(messages)
            })
            .await;
        found.unwrap_or_else(|| self.messages_in(channel))
    }

    /// The messages of `channel` once there are at least `count`, or as they are at `timeout`.
    pub async fn wait_for_messages(
        &self,
        channel: u64,
        count: usize,
        timeout: Duration,
    ) -> Vec<Value> {
        self.messages_when(channel, timeout, |m| m.len() >= count)
            .await
    }

    /// The DMs to `user_id` once there are at least `count`, or as they are at `timeout`.
    pub async fn wait_for_dms(&self, user_id: u64, count: usize, timeout: Duration) -> Vec<Value> {
        let found = self
            .wait_until(timeout, |d| {
                let dms = d.dms_to(user_id);
                (dms.len() >= count).then_some(dms)
            })
            .await;
        found.unwrap_or_else(|| self.dms_to(user_id))
    }

    /// Requests matching `method` and `path_prefix` (as [`Self::requests_matching`]) once
    /// `done` holds for them, or as they are when `timeout` passes.
    pub async fn requests_when(
        &self,
        method: &str,
        path_prefix: &str,
        timeout: Duration,
        done: impl Fn(&[RecordedRequest]) -> bool,
    ) -> Vec<RecordedRequest> {
        let found = self
            .wait_until(timeout, |d| {
                let requests = d.requests_matching(method, path_prefix);
                done(&requests).then_some(requests)
            })
            .await;
        found.unwrap_or_else(|| self.requests_matching(method, path_prefix))
    }
}
