//! `GET /metrics` and the layer that times and counts every request.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderName;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::body::Trace;
use super::error::Rejection;
use super::log_limit::LogLimiter;
use crate::metrics::{Metrics, RouteFigures};

const TRACE: HeaderName = HeaderName::from_static("x-topgg-trace");

/// At most one log line per route and rejection reason in this period.
const REJECTION_LOG_PERIOD: Duration = Duration::from_secs(10);

/// The route label of a request no route matched.
const UNMATCHED: &str = "unmatched";

/// What the tracking layer needs: the figures (with each route's kept) and the rejection
/// log's rate limit.
#[derive(Clone)]
pub struct Tracking {
    metrics: Metrics,
    /// One per route template given, and `unmatched` last.
    routes: Arc<[RouteFigures]>,
    log: Arc<LogLimiter>,
}

impl Tracking {
    pub fn new(metrics: Metrics, routes: &[&str]) -> Self {
        let routes = routes.iter().chain([&UNMATCHED]);
        Self {
            routes: routes.map(|route| metrics.route(route)).collect(),
            metrics,
            log: Arc::new(LogLimiter::new(REJECTION_LOG_PERIOD)),
        }
    }

    /// The kept figures of `route` (a template), if it is one of the router's.
    fn figures(&self, route: &str) -> Option<&RouteFigures> {
        self.routes.iter().find(|figures| figures.route() == route)
    }
}

/// The Prometheus text exposition. Touches no database: the queue gauges are kept fresh by
/// the background task of [`super::probes`].
pub async fn render(State(state): State<Arc<AppState>>) -> Response {
    state.metrics.spool_depth(state.votes.spool_depth());
    if let Some(spool) = state.votes.spool() {
        let age = spool.oldest_age(state.clock.now());
        state.metrics.spool(age, spool.dead_lettered());
    }
    let content_type = [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")];
    (content_type, state.metrics.render()).into_response()
}

/// Records each request's latency by route template (never the raw path, which carries
/// connection ids) and, for the Top.gg routes, its outcome. Every error answer is counted by
/// route and reason and logged at a bounded rate.
pub async fn track(State(tracking): State<Tracking>, request: Request, next: Next) -> Response {
    // The template is shared (an `Arc<str>`): kept without copying its text.
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
    // Cheap to keep (shared bytes); read only for a line about a rejection.
    let trace = request.headers().get(TRACE).cloned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status();
    match tracking.figures(route) {
        Some(figures) => figures.record(status.as_u16(), started.elapsed()),
        None => tracking
            .metrics
            .http_request(route, status.as_u16(), started.elapsed()),
    }
    let rejection = response.extensions().get::<Rejection>();
    if rejection.is_some() || status.is_client_error() {
        let (reason, detail) = match rejection {
            Some(r) => (r.reason, r.detail.as_str()),
            None => (generic_reason(status.as_u16()), "-"),
        };
        tracking.metrics.http_rejection(route, reason);
        if let Some(suppressed) = tracking.log.admit(&format!("{route} {reason}")) {
            let trace = Trace(trace.as_ref());
            log_rejection(status.as_u16(), route, reason, detail, &trace, suppressed);
        }
    }
    response
}

/// One line for a rejected request (and the ones suppressed before it): an error for a
/// storage failure, a warning for what a client did.
fn log_rejection(status: u16, route: &str, reason: &str, detail: &str, trace: &Trace, n: u64) {
    if status >= 500 {
        tracing::error!(status, route, reason, error = detail, %trace, suppressed = n,
            "storage failed; answering 503 (one line per route every 10 s)");
    } else {
        tracing::warn!(status, route, reason, error = detail, %trace, suppressed = n,
            "request rejected (one line per route and reason every 10 s)");
    }
}

/// The reason label of a client error the router answered itself (no [`Rejection`]).
fn generic_reason(status: u16) -> &'static str {
    match status {
        405 => "method_not_allowed",
        415 => "unsupported_media_type",
        _ => "client_error",
    }
}
