//! The few Discord REST calls delivery makes, over the same reqwest client serenity uses.
//!
//! Delivery calls Discord directly rather than through serenity's `Http` because serenity's
//! error type drops the 429 `retry_after` and the rate-limit headers, which delivery must
//! honour itself whenever `discord.api_url` points at a proxy (serenity's limiter is off then).

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::error::{DiscordError, classify, exhausted_bucket_wait};

/// A successful call, and how long its rate-limit bucket now needs to rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sent {
    pub bucket_wait: Option<Duration>,
}

#[derive(Clone)]
pub struct DiscordRest {
    pub(super) client: reqwest::Client,
    pub(super) base: String,
    token: SecretString,
}

impl DiscordRest {
    /// `api_url` is `https://discord.com` or a proxy/stand-in base.
    pub fn new(client: reqwest::Client, api_url: &str, token: SecretString) -> Self {
        Self {
            client,
            base: format!("{}/api/v10", api_url.trim_end_matches('/')),
            token,
        }
    }

    /// Posts `content` that may mention only `allowed_users`; `nonce` makes a retry post once.
    pub async fn create_message(
        &self,
        channel_id: &str,
        content: &str,
        allowed_users: &[&str],
        nonce: Option<&str>,
    ) -> Result<Sent, DiscordError> {
        let mut body = json!({
            "content": content,
            "allowed_mentions": { "parse": [], "users": allowed_users },
        });
        if let Some(nonce) = nonce {
            body["nonce"] = json!(nonce);
            body["enforce_nonce"] = json!(true);
        }
        let url = format!("{}/channels/{channel_id}/messages", self.base);
        self.send(self.client.post(url).json(&body)).await
    }

    pub async fn add_role(
        &self,
        guild_id: &str,
        user_id: &str,
        role_id: &str,
    ) -> Result<Sent, DiscordError> {
        let url = format!(
            "{}/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
            self.base
        );
        self.send(
            self.client
                .put(url)
                .header("x-audit-log-reason", "Top.gg vote reward"),
        )
        .await
    }

    pub async fn remove_role(
        &self,
        guild_id: &str,
        user_id: &str,
        role_id: &str,
    ) -> Result<Sent, DiscordError> {
        let url = format!(
            "{}/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
            self.base
        );
        self.send(
            self.client
                .delete(url)
                .header("x-audit-log-reason", "Top.gg vote reward expired"),
        )
        .await
    }

    /// The bot's own user name: proves the token works.
    pub async fn current_user_name(&self) -> Result<String, DiscordError> {
        let url = format!("{}/users/@me", self.base);
        let response = self.execute(self.client.get(url)).await?;
        let user: serde_json::Value = response.json().await.unwrap_or_default();
        Ok(user["username"].as_str().unwrap_or("unknown").to_string())
    }

    pub(super) async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Sent, DiscordError> {
        let response = self.execute(request).await?;
        Ok(Sent {
            bucket_wait: exhausted_bucket_wait(response.headers()),
        })
    }

    /// Sends with the bot's token; a non-2xx answer becomes a classified [`DiscordError`].
    pub(super) async fn execute(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, DiscordError> {
        let response = request
            .header(
                "authorization",
                format!("Bot {}", self.token.expose_secret()),
            )
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .map_err(|e| DiscordError::Transient(describe_transport_error(&e)))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        Err(classify(status, &headers, &body))
    }
}

/// A transport failure without the URL (it may carry ids, never secrets, but stays short).
fn describe_transport_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "Discord did not answer in time".into()
    } else if error.is_connect() {
        "cannot connect to Discord".into()
    } else {
        "request to Discord failed".into()
    }
}
