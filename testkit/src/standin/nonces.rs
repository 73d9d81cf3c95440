//! `enforce_nonce`: a message posted again with the same nonce in the same channel within a
//! few minutes returns the earlier message instead of posting a new one; Discord forgets the
//! nonce after that, so a later repeat posts a new message. The stand-in remembers it for
//! [`NONCE_MEMORY`] on its own clock, which a test moves on with
//! [`DiscordStandIn::advance_clock`].
//! <https://discord.com/developers/docs/resources/message#create-message-jsonform-params>

use std::time::{Duration, Instant};

use serde_json::Value;

use super::DiscordStandIn;
use super::state::Inner;

/// How long a nonce is remembered ("a few minutes" at Discord).
pub const NONCE_MEMORY: Duration = Duration::from_secs(5 * 60);

impl DiscordStandIn {
    /// Moves the stand-in's clock `by` ahead of real time (nonces remembered longer than
    /// [`NONCE_MEMORY`] on it are forgotten).
    pub fn advance_clock(&self, by: Duration) {
        self.state.lock().clock_offset += by;
    }
}

/// The `nonce` as text (Discord accepts a string or an integer).
pub(super) fn nonce_text(body: &Value) -> Option<String> {
    match &body["nonce"] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The nonce Discord deduplicates on: only with `enforce_nonce: true`.
pub(super) fn enforced_nonce(body: &Value) -> Option<String> {
    if body["enforce_nonce"].as_bool() == Some(true) {
        nonce_text(body)
    } else {
        None
    }
}

/// The message an unexpired `nonce` created in `channel`, as of `now` (real time).
pub(super) fn remembered(
    inner: &mut Inner,
    channel: u64,
    nonce: &str,
    now: Instant,
) -> Option<Value> {
    let now = now + inner.clock_offset;
    inner
        .nonces
        .retain(|_, (_, at)| now.duration_since(*at) < NONCE_MEMORY);
    let key = (channel, nonce.to_string());
    inner.nonces.get(&key).map(|(message, _)| message.clone())
}

/// Remembers that `nonce` created `message` in `channel` at `now` (real time).
pub(super) fn remember(
    inner: &mut Inner,
    channel: u64,
    nonce: String,
    message: &Value,
    now: Instant,
) {
    let at = now + inner.clock_offset;
    inner.nonces.insert((channel, nonce), (message.clone(), at));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::standin::POST_CHANNEL_ID;

    async fn post(standin: &DiscordStandIn, nonce: &str) -> Value {
        let url = format!(
            "{}/api/v10/channels/{POST_CHANNEL_ID}/messages",
            standin.url()
        );
        let body = json!({ "content": "hi", "nonce": nonce, "enforce_nonce": true });
        let response = reqwest::Client::new()
            .post(url)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    #[tokio::test]
    async fn a_nonce_returns_the_earlier_message_for_five_minutes_then_posts_anew() {
        let standin = DiscordStandIn::start().await;
        let first = post(&standin, "n-1").await;

        standin.advance_clock(NONCE_MEMORY - Duration::from_secs(1));
        let repeat = post(&standin, "n-1").await;
        assert_eq!(repeat["id"], first["id"], "still remembered");

        standin.advance_clock(Duration::from_secs(2));
        let later = post(&standin, "n-1").await;
        assert_ne!(later["id"], first["id"], "forgotten after five minutes");
        assert_eq!(standin.messages_in(POST_CHANNEL_ID).len(), 2);
    }
}
