//! The stand-in's API routes: each request is recorded, then refused (401, 429) or answered
//! from the votes Top.gg holds.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{ApiRequest, Shared, TopggVote, millis};

fn problem(status: StatusCode, detail: &str) -> Response {
    let body = json!({"type": "about:blank", "title": status.canonical_reason(),
                      "status": status.as_u16(), "detail": detail});
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

/// Records the request and answers 401 or 429 where due; `None`: go on.
fn gate(
    shared: &Shared,
    path: String,
    query: &[(String, String)],
    headers: &HeaderMap,
) -> Option<Response> {
    let mut inner = shared.inner.lock().unwrap_or_else(|p| p.into_inner());
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let expected = format!("Bearer {}", inner.token);
    let answer = if authorization.as_deref() != Some(expected.as_str()) {
        Some(problem(
            StatusCode::UNAUTHORIZED,
            "Invalid or missing API token",
        ))
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

pub(super) async fn project(
    State(shared): State<Arc<Shared>>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    if let Some(answer) = gate(&shared, "/api/v1/projects/@me".into(), &q, &headers) {
        return answer;
    }
    let project = shared.inner.lock().unwrap().project.clone();
    axum::Json(project).into_response()
}

pub(super) async fn votes(
    State(shared): State<Arc<Shared>>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
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
        .filter(|v| v.listed && v.created_at.timestamp_millis() >= since)
        .collect();
    votes.sort_by_key(|v| v.created_at);
    let page: Vec<Value> = votes
        .iter()
        .skip(offset)
        .take(inner.page_size)
        .map(|v| v.listed())
        .collect();
    let cursor = format!("{since}.{}", offset + page.len());
    axum::Json(json!({"cursor": cursor, "data": page})).into_response()
}

/// A cursor is `<startDate ms>.<offset>` (opaque to the bot).
fn parse_cursor(cursor: &str) -> Option<(i64, usize)> {
    let (since, offset) = cursor.split_once('.')?;
    Some((since.parse().ok()?, offset.parse().ok()?))
}

pub(super) async fn vote(
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
        .filter(|v| {
            if discord {
                v.platform_id == user
            } else {
                v.user_id == user
            }
        })
        .filter(|v| v.expires_at > Utc::now())
        .max_by_key(|v| v.created_at);
    match live {
        Some(v) => axum::Json(json!({"created_at": millis(v.created_at),
            "expires_at": millis(v.expires_at), "weight": v.weight}))
        .into_response(),
        None => problem(StatusCode::NOT_FOUND, "No vote found"),
    }
}
