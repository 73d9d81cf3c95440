//! `GET /metrics` and the layer that times and counts every request.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::domain::now_ms;

/// The Prometheus text exposition, with the queue gauges read from the database first.
pub async fn render(State(state): State<AppState>) -> Response {
    match state.db.queue_figures(now_ms()).await {
        Ok(figures) => state.metrics.queue(&figures),
        Err(e) => tracing::warn!(error = format!("{e:#}"), "cannot read queue figures"),
    }
    state.metrics.spool_depth(state.votes.spool_depth());
    let content_type = [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")];
    (content_type, state.metrics.render()).into_response()
}

/// Records each request's latency by route template (never the raw path, which carries
/// connection ids) and, for the Top.gg routes, its outcome.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .metrics
        .http_request(&route, response.status().as_u16(), started.elapsed());
    response
}
