//! A client of Top.gg's v1 API (`topgg.api_url`), with a project's API token: the project,
//! its vote list (cursor pages), one user's live vote. Every request of the process keeps
//! one pace (far below Top.gg's 100 requests/s), a 429 is waited out for its `retry_after`,
//! and a 401 comes back as [`ApiError::Rejected`]. The token goes only into the
//! `Authorization` header: never into a URL, a log line or an error.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::pace::Pace;
use crate::domain::ids::{UserId, VoterId};
use crate::domain::time::Timestamp;

/// How long one request may take, connecting included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Requests that answer 429 are tried this many times in all.
const ATTEMPTS: usize = 3;
/// A `retry_after` longer than this is not waited out within a call.
const LONGEST_WAIT: Duration = Duration::from_secs(3600);

/// Why a call to Top.gg's API failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401: Top.gg does not accept the token; it must not be used again until replaced.
    #[error("Top.gg rejected the API token (401): {0}")]
    Rejected(String),
    /// 429 on every attempt.
    #[error("Top.gg is rate limiting requests (retry after {0:?})")]
    RateLimited(Duration),
    #[error("Top.gg answered {status}: {detail}")]
    Status { status: u16, detail: String },
    #[error("Top.gg could not be reached: {0}")]
    Transport(String),
    #[error("Top.gg's answer could not be read: {0}")]
    Body(String),
}

/// `GET /projects/@me`: the project a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiProject {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub platform: String,
    #[serde(default)]
    pub platform_id: Option<String>,
}

/// One page of `GET /projects/@me/votes`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VotePage {
    /// The next page's cursor (the last page: none, or a page without votes).
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub data: Vec<ListedVote>,
}

/// A vote in Top.gg's list: no vote id, no name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ListedVote {
    /// The voter's Top.gg id.
    pub user_id: String,
    /// The voter's id on the project's platform (Discord for Discord projects; read as text
    /// so that one odd id cannot make a whole page unreadable).
    pub platform_id: VoterId,
    #[serde(default = "one")]
    pub weight: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// `GET /projects/@me/votes/{user}`: a user's live vote.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LiveVote {
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    #[serde(default = "one")]
    pub weight: i64,
}

fn one() -> i64 {
    1
}

/// The client; cheap to clone (the pace is shared by every clone).
#[derive(Clone)]
pub struct TopggApi {
    client: reqwest::Client,
    base: String,
    pace: Pace,
}

impl TopggApi {
    /// A client of the API at `base_url` (`topgg.api_url`), over the app's HTTP client.
    pub fn new(client: reqwest::Client, base_url: &str) -> Self {
        Self {
            client,
            base: base_url.trim_end_matches('/').to_string(),
            pace: Pace::default(),
        }
    }

    /// Uses `pace` instead of the default one (tests).
    pub fn with_pace(mut self, pace: Pace) -> Self {
        self.pace = pace;
        self
    }

    /// The project the token belongs to.
    pub async fn project(&self, token: &SecretString) -> Result<ApiProject, ApiError> {
        self.get(token, "/projects/@me", &[]).await
    }

    /// The first page of votes created since `since` (at most a year back).
    pub async fn votes_since(
        &self,
        token: &SecretString,
        since: Timestamp,
    ) -> Result<VotePage, ApiError> {
        let start = since
            .to_datetime()
            .to_rfc3339_opts(SecondsFormat::Millis, true);
        let query = [("startDate", start.as_str())];
        self.get(token, "/projects/@me/votes", &query).await
    }

    /// The page after `cursor`.
    pub async fn votes_after(
        &self,
        token: &SecretString,
        cursor: &str,
    ) -> Result<VotePage, ApiError> {
        let query = [("cursor", cursor)];
        self.get(token, "/projects/@me/votes", &query).await
    }

    /// The live vote of a Discord user, if they have one.
    pub async fn live_vote(
        &self,
        token: &SecretString,
        user: &UserId,
    ) -> Result<Option<LiveVote>, ApiError> {
        // A parsed snowflake: digits only, so nothing from outside shapes the path.
        let path = format!("/projects/@me/votes/{}", user.get());
        match self.get(token, &path, &[("source", "discord")]).await {
            Err(ApiError::Status { status: 404, .. }) => Ok(None),
            other => other.map(Some),
        }
    }

    /// GETs `path`, keeping the pace and waiting out 429s.
    async fn get<T: DeserializeOwned>(
        &self,
        token: &SecretString,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ApiError> {
        let url = format!("{}{path}", self.base);
        let mut waited = Duration::ZERO;
        for _ in 0..ATTEMPTS {
            self.pace.wait().await;
            let request = self
                .client
                .get(&url)
                .query(query)
                .bearer_auth(token.expose_secret())
                .timeout(REQUEST_TIMEOUT);
            let response = request
                .send()
                .await
                .map_err(|e| ApiError::Transport(e.without_url().to_string()))?;
            match read(response, token).await? {
                Answer::Body(body) => {
                    return serde_json::from_slice(&body)
                        .map_err(|e| ApiError::Body(e.to_string()));
                }
                Answer::RetryAfter(wait) => {
                    tracing::warn!(?wait, "Top.gg's API answered 429; waiting");
                    self.pace.hold_for(wait);
                    waited = wait;
                }
            }
        }
        Err(ApiError::RateLimited(waited))
    }
}

/// A response as the client acts on it.
enum Answer {
    Body(Vec<u8>),
    RetryAfter(Duration),
}

async fn read(response: reqwest::Response, token: &SecretString) -> Result<Answer, ApiError> {
    let status = response.status();
    let header_wait = retry_after_header(&response);
    let body = response
        .bytes()
        .await
        .map_err(|e| ApiError::Transport(e.without_url().to_string()))?;
    if status.is_success() {
        return Ok(Answer::Body(body.to_vec()));
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        let wait = retry_after_body(&body)
            .or(header_wait)
            .unwrap_or(Duration::from_secs(1));
        return Ok(Answer::RetryAfter(wait.min(LONGEST_WAIT)));
    }
    let detail = problem_detail(&body, token);
    if status == StatusCode::UNAUTHORIZED {
        return Err(ApiError::Rejected(detail));
    }
    Err(ApiError::Status {
        status: status.as_u16(),
        detail,
    })
}

/// `Retry-After` in seconds.
fn retry_after_header(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    seconds(value.to_str().ok()?.trim().parse().ok()?)
}

/// `retry_after` (seconds) in a JSON body.
fn retry_after_body(body: &[u8]) -> Option<Duration> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let field = &value["retry_after"];
    let secs = field
        .as_f64()
        .or_else(|| field.as_str().and_then(|s| s.trim().parse().ok()))?;
    seconds(secs)
}

fn seconds(secs: f64) -> Option<Duration> {
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(1e6)))
}

/// The RFC 7807 `detail` (or `title`) of an error body, short, without the token.
fn problem_detail(body: &[u8], token: &SecretString) -> String {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let text = ["detail", "title"]
        .iter()
        .find_map(|k| value[*k].as_str())
        .unwrap_or("no reason given");
    let secret = token.expose_secret();
    let text = match secret.is_empty() {
        true => text.to_string(),
        false => text.replace(secret.as_str(), "[token]"),
    };
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_from_the_body_in_seconds() {
        let wait = retry_after_body(br#"{"retry_after": 1.5}"#);
        assert_eq!(wait, Some(Duration::from_millis(1500)));
        assert_eq!(
            retry_after_body(br#"{"retry_after": "2"}"#),
            Some(Duration::from_secs(2))
        );
        assert_eq!(retry_after_body(br#"{"retry_after": -1}"#), None);
        assert_eq!(retry_after_body(b"not json"), None);
    }

    #[test]
    fn a_problem_detail_never_carries_the_token() {
        let token = SecretString::new("secret-token".into());
        let body = br#"{"title":"Unauthorized","detail":"token secret-token is invalid"}"#;
        let detail = problem_detail(body, &token);
        assert_eq!(detail, "token [token] is invalid");
        assert_eq!(problem_detail(b"", &token), "no reason given");
    }

    #[test]
    fn a_vote_page_reads_as_the_official_sdks_model_it() {
        let page: VotePage = serde_json::from_str(
            r#"{"cursor":"abc","data":[{"user_id":"1","platform_id":"2","weight":2,
            "created_at":"2026-02-09T00:47:14.2510149+00:00",
            "expires_at":"2026-02-09T12:47:14.251Z","extra":true}]}"#,
        )
        .unwrap();
        assert_eq!(page.cursor.as_deref(), Some("abc"));
        let vote = &page.data[0];
        assert_eq!((vote.platform_id.as_str(), vote.weight), ("2", 2));
        assert_eq!(Timestamp::from(vote.created_at).as_millis() % 1000, 251);
    }
}
