//! A Top.gg stand-in for integration tests: the v1 REST API under `/api/v1` (the project,
//! the vote list in cursor pages, one user's live vote, 401 for a wrong token, 429 with
//! `retry_after` on demand) and v1 webhooks signed as Top.gg signs them. Modelled on the
//! official SDKs' models (node-sdk 4, python-sdk): the list's records have no vote id and no
//! name; the list's timestamps carry milliseconds while a webhook's carry 7 fractional digits,
//! as Top.gg's do.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
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
            .route("/api/v1/projects/@me", get(project_route))
            .route("/api/v1/projects/@me/votes", get(votes_route))
            .route("/api/v1/projects/@me/votes/{user}", get(vote_route))
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
        };
        inner.next_id += 1;
        inner.votes.push(vote.clone());
        vote
    }

    /// A vote by `voter` now.
    pub fn vote(&self, voter: &str) -> TopggVote {
        self.vote_at(voter, Utc::now())
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
            if !matches!(tokio::time::timeout_at(deadline, changes.changed()).await, Ok(Ok(()))) {
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
fn millis(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn problem(status: StatusCode, detail: &str) -> Response {
    let body = json!({"type": "about:blank", "title": status.canonical_reason(),
                      "status": status.as_u16(), "detail": detail});
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

/// Records the request and answers 401 or 429 where due; `None`: go on.
fn gate(shared: &Shared, path: String, query: &[(String, String)], headers: &HeaderMap) -> Option<Response> {
    let mut inner = shared.inner.lock().unwrap_or_else(|p| p.into_inner());
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let expected = format!("Bearer {}", inner.token);
    let answer = if authorization.as_deref() != Some(expected.as_str()) {
        Some(problem(StatusCode::UNAUTHORIZED, "Invalid or missing API token"))
    } else if inner.rate_limited.0 > 0 {
        inner.rate_limited.0 -= 1;
        let secs = inner.rate_limited.1;
        let body = json!({"type": "about:blank", "title": "Too Many Requests", "status": 429,
                          "detail": "You are being rate limited", "retry_after": secs});
        let headers = [(header::RETRY_AFTER, format!("{}", secs.ceil() as u64))];
        Some((StatusCode::TOO_MANY_REQUESTS, headers, body.to_string()).into_response())
    } else {
        None
    };
    let status = answer.as_ref().map_or(200, |r| r.status().as_u16());
    inner.requests.push(ApiRequest {
        at: Instant::now(),
        path,
        query: query.to_vec(),
        authorization,
        status,
    });
    drop(inner);
    shared.changed.send_replace(());
    answer
}

type Params = Query<Vec<(String, String)>>;

async fn project_route(State(shared): State<Arc<Shared>>, Query(q): Params, headers: HeaderMap) -> Response {
    if let Some(answer) = gate(&shared, "/api/v1/projects/@me".into(), &q, &headers) {
        return answer;
    }
    let project = shared.inner.lock().unwrap().project.clone();
    axum::Json(project).into_response()
}

async fn votes_route(State(shared): State<Arc<Shared>>, Query(q): Params, headers: HeaderMap) -> Response {
    if let Some(answer) = gate(&shared, "/api/v1/projects/@me/votes".into(), &q, &headers) {
        return answer;
    }
    let param = |name: &str| q.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let (since, offset) = match (param("cursor"), param("startDate")) {
        (Some(cursor), _) => match parse_cursor(&cursor) {
            Some(at) => at,
            None => return problem(StatusCode::BAD_REQUEST, "Invalid cursor"),
        },
        (None, Some(start)) => match DateTime::parse_from_rfc3339(&start) {
            Ok(at) if at < Utc::now() - chrono::Duration::days(365) => {
                return problem(StatusCode::BAD_REQUEST, "startDate is more than a year ago");
            }
            Ok(at) => (at.with_timezone(&Utc).timestamp_millis(), 0),
            Err(_) => return problem(StatusCode::BAD_REQUEST, "Invalid startDate"),
        },
        (None, None) => return problem(StatusCode::BAD_REQUEST, "cursor or startDate is required"),
    };
    let inner = shared.inner.lock().unwrap();
    let mut votes: Vec<&TopggVote> = inner
        .votes
        .iter()
        .filter(|v| v.created_at.timestamp_millis() >= since)
        .collect();
    votes.sort_by_key(|v| v.created_at);
    let page: Vec<Value> = votes.iter().skip(offset).take(inner.page_size).map(|v| v.listed()).collect();
    let cursor = format!("{since}.{}", offset + page.len());
    axum::Json(json!({"cursor": cursor, "data": page})).into_response()
}

/// A cursor is `<startDate ms>.<offset>` (opaque to the bot).
fn parse_cursor(cursor: &str) -> Option<(i64, usize)> {
    let (since, offset) = cursor.split_once('.')?;
    Some((since.parse().ok()?, offset.parse().ok()?))
}

async fn vote_route(
    State(shared): State<Arc<Shared>>,
    Path(user): Path<String>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let path = format!("/api/v1/projects/@me/votes/{user}");
    if let Some(answer) = gate(&shared, path, &q, &headers) {
        return answer;
    }
    let discord = q.iter().any(|(k, v)| k == "source" && v == "discord");
    let inner = shared.inner.lock().unwrap();
    let live = inner
        .votes
        .iter()
        .filter(|v| if discord { v.platform_id == user } else { v.user_id == user })
        .filter(|v| v.expires_at > Utc::now())
        .max_by_key(|v| v.created_at);
    match live {
        Some(v) => axum::Json(json!({"created_at": millis(v.created_at),
            "expires_at": millis(v.expires_at), "weight": v.weight}))
        .into_response(),
        None => problem(StatusCode::NOT_FOUND, "No vote found"),
    }
}
