//! Signed `vote.create` events for the harness's connection.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Bot, CONNECTION, WEBHOOK_SECRET};
use crate::standin::PLAIN_USER_ID;

/// How long a vote of [`Bot::vote`] lasts, as on Top.gg.
const VOTE_LIFETIME: Duration = Duration::from_secs(12 * 3600);

impl Bot {
    /// A signed vote `id` by `PLAIN_USER_ID` (named `plain`); returns the HTTP status.
    pub async fn vote(&self, id: &str) -> u16 {
        self.vote_with(id, PLAIN_USER_ID, "plain", json!({})).await
    }

    /// A signed vote `id` by `voter` (named `v`); returns the HTTP status.
    pub async fn vote_by(&self, id: &str, voter: u64) -> u16 {
        self.vote_with(id, voter, "v", json!({})).await
    }

    /// A signed vote cast now on the app's clock, lasting 12 hours; `extra` is merged into
    /// `data` (weight, query...). Returns the HTTP status.
    pub async fn vote_with(&self, id: &str, voter: u64, name: &str, extra: Value) -> u16 {
        let mut body = self.vote_body(id, voter, name, VOTE_LIFETIME);
        if let (Some(data), Value::Object(extra)) = (body["data"].as_object_mut(), extra) {
            data.extend(extra);
        }
        self.send_vote(&body).await
    }

    /// A signed vote by `voter`, cast now on the app's clock, expiring in `expires_in`.
    pub async fn vote_expiring(
        &self,
        id: &str,
        voter: u64,
        name: &str,
        expires_in: Duration,
    ) -> u16 {
        let body = self.vote_body(id, voter, name, expires_in);
        self.send_vote(&body).await
    }

    fn vote_body(&self, id: &str, voter: u64, name: &str, expires_in: Duration) -> Value {
        let now = self.app.clock.now();
        let expires = (now + expires_in).to_datetime();
        let now = now.to_datetime();
        let user = json!({
            "id": "t", "platform_id": voter.to_string(), "name": name,
            "avatar_url": self.voter_avatar,
        });
        json!({"type": "vote.create", "data": {
            "id": id, "weight": 1,
            "created_at": now.to_rfc3339(), "expires_at": expires.to_rfc3339(),
            "project": self.project, "user": user,
        }})
    }

    async fn send_vote(&self, body: &Value) -> u16 {
        self.app.webhook(CONNECTION, WEBHOOK_SECRET, body).await.0
    }
}
