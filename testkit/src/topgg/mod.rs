//! A Top.gg stand-in for integration tests: the v1 REST API under `/api/v1` (the project,
//! the vote list in cursor pages, one user's live vote, 401 for a wrong token, 429 with
//! `retry_after` on demand) and v1 webhooks signed as Top.gg signs them. Modelled on the
//! official SDKs' models (node-sdk 4, python-sdk): the list's records have no vote id and no
//! name; the list's timestamps carry milliseconds while a webhook's carry 7 fractional digits,
//! as Top.gg's do.

mod routes;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use tokio::sync::watch;

/// The token the stand-in accepts unless told otherwise.
pub const API_TOKEN: &str = "topgg-api-token-for-tests";

/// A vote Top.gg holds.
#[derive(Clone, Debug)]
pub struct TopggVote {
    /// The id webhooks carry (the list never shows it).
    pub id: String,
    pub user_id: String,
    pub platform_id: String,
    pub name: String,
    pub weight: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Whether the vote list shows it yet (Top.gg's list can lag the live check).
    pub listed: bool,
}

impl TopggVote {
    /// The signed body Top.gg would deliver for it (`project` as in the vote.create event).
    pub fn webhook_body(&self, project: &Value) -> Value {
        json!({"type": "vote.create", "data": {
            "id": self.id, "weight": self.weight,
            "created_at": seven_digits(self.created_at), "expires_at": seven_digits(self.expires_at),
            "project": project, "query": {},
            "user": {"id": self.user_id, "platform_id": self.platform_id, "name": self.name,
                     "avatar_url": "https://cdn.discordapp.com/embed/avatars/0.png"},
        }})
    }

    fn listed(&self) -> Value {
        json!({"user_id": self.user_id, "platform_id": self.platform_id, "weight": self.weight,
               "created_at": millis(self.created_at), "expires_at": millis(self.expires_at)})
    }
}

/// A request the API half answered.
#[derive(Clone, Debug)]
pub struct ApiRequest {
    pub at: Instant,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub authorization: Option<String>,
    pub status: u16,
}

impl ApiRequest {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Inner {
    token: String,
    project: Value,
    votes: Vec<TopggVote>,
    page_size: usize,
    /// The next this many requests answer 429 with this `retry_after` (seconds).
    rate_limited: (usize, f64),
    requests: Vec<ApiRequest>,
    next_id: u64,
}

struct Shared {
    inner: Mutex<Inner>,
    changed: watch::Sender<()>,
}

/// The running stand-in; dropping it stops the server.
pub struct TopggStandIn {
    shared: Arc<Shared>,
    base: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TopggStandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TopggStandIn {
    /// A stand-in for the project `project` (`id`, `type`, `platform`, `platform_id`, as in
    /// an integration.create), accepting [`API_TOKEN`], 100 votes a page.
    pub async fn start(project: &Value) -> TopggStandIn {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/api/v1", listener.local_addr().unwrap());
        let mut described = project.clone();
        described["name"] = json!("Stand-in Project");
        described["headline"] = json!("A project on the Top.gg stand-in");
        for (key, value) in [("votes", 0), ("votes_total", 0), ("review_count", 0)] {
            described[key] = json!(value);
        }
        described["tags"] = json!([]);
        described["review_score"] = json!(0.0);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                token: API_TOKEN.into(),
                project: described,
                votes: Vec::new(),
                page_size: 100,
                rate_limited: (0, 0.0),
                requests: Vec::new(),
                next_id: 1,
            }),
            changed: watch::channel(()).0,
        });
        let app = Router::new()
            .route("/api/v1/projects/@me", get(routes::project))
            .route("/api/v1/projects/@me/votes", get(routes::votes))
            .route("/api/v1/projects/@me/votes/{user}", get(routes::vote))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TopggStandIn {
            shared,
            base,
            server,
        }
    }

    /// The API's base URL, for `topgg.api_url`.
    pub fn api_url(&self) -> String {
        self.base.clone()
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Votes per page of the list.
    pub fn set_page_size(&self, size: usize) {
        self.inner().page_size = size.max(1);
    }

    /// The token the API accepts from now on (others get 401).
    pub fn set_token(&self, token: &str) {
        self.inner().token = token.into();
    }

    /// The next `count` requests answer 429 with `retry_after` seconds (body and header).
    pub fn rate_limit_next(&self, count: usize, retry_after_secs: f64) {
        self.inner().rate_limited = (count, retry_after_secs);
    }

    /// A vote by `voter` (a Discord id) at `at`, valid for 12 h.
    pub fn vote_at(&self, voter: &str, at: DateTime<Utc>) -> TopggVote {
        let mut inner = self.inner();
        let vote = TopggVote {
            id: format!("topgg-vote-{}", inner.next_id),
            user_id: format!("topgg-{voter}"),
            platform_id: voter.into(),
            name: format!("voter {voter}"),
            weight: 1,
            created_at: at,
            expires_at: at + chrono::Duration::hours(12),
            listed: true,
        };
        inner.next_id += 1;
        inner.votes.push(vote.clone());
        vote
    }

    /// A vote by `voter` now.
    pub fn vote(&self, voter: &str) -> TopggVote {
        self.vote_at(voter, Utc::now())
    }

    /// A vote by `voter` now that the live check shows but the list does not yet (Top.gg's
    /// list lags): only "Check my vote" can find it, whenever a recovery pass runs.
    pub fn vote_not_yet_listed(&self, voter: &str) -> TopggVote {
        let vote = self.vote(voter);
        let mut inner = self.inner();
        if let Some(held) = inner.votes.iter_mut().find(|v| v.id == vote.id) {
            held.listed = false;
        }
        TopggVote {
            listed: false,
            ..vote
        }
    }

    /// Every API request so far.
    pub fn requests(&self) -> Vec<ApiRequest> {
        self.inner().requests.clone()
    }

    /// Requests to the vote list so far.
    pub fn list_requests(&self) -> Vec<ApiRequest> {
        let all = self.requests();
        all.into_iter()
            .filter(|r| r.path == "/api/v1/projects/@me/votes")
            .collect()
    }

    /// Waits until `probe` holds for the requests (checked after each one); `None` past
    /// `timeout`.
    pub async fn wait_for<T>(
        &self,
        timeout: Duration,
        probe: impl Fn(&[ApiRequest]) -> Option<T>,
    ) -> Option<T> {
        let mut changes = self.shared.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changes.mark_unchanged();
            if let Some(found) = probe(&self.requests()) {
                return Some(found);
            }
            if !matches!(
                tokio::time::timeout_at(deadline, changes.changed()).await,
                Ok(Ok(()))
            ) {
                return probe(&self.requests());
            }
        }
    }
}

/// `2026-02-09T00:47:14.2510149+00:00`, as webhooks carry it.
fn seven_digits(at: DateTime<Utc>) -> String {
    let ticks = at.timestamp_subsec_nanos() / 100;
    format!("{}.{ticks:07}+00:00", at.format("%Y-%m-%dT%H:%M:%S"))
}

/// `2026-02-09T00:47:14.251Z`.
pub(crate) fn millis(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}
