//! Prometheus metrics: every name, its description, and one-line recording helpers.
//!
//! Each [`Application`](crate::app::Application) owns its own recorder rather than installing
//! a process-global one: the figures on `/metrics` are exactly this app's, several apps in one
//! process (tests, the demo) never mix, and nothing depends on installation order.

use std::sync::Arc;
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, Key, Label, Level, Metadata, Recorder};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};

pub use crowd::{HTTP_CONNECTIONS_REFUSED_PER_IP, HTTP_IDLE_CONNECTIONS_CLOSED};
pub use route::RouteFigures;

use crate::storage::QueueFigures;

mod crowd;
mod describe;
mod route;

/// Requests to the two Top.gg routes, by `route` and `outcome` (see [`outcome_of`]).
pub const WEBHOOK_REQUESTS: &str = "topgg_bot_webhook_requests_total";
/// Time to answer a request, by `route` (every route).
pub const REQUEST_DURATION: &str = "topgg_bot_http_request_duration_seconds";
/// Votes stored for the first time.
pub const VOTES_STORED: &str = "topgg_bot_votes_stored_total";
/// Votes received again (same `data.id`) and ignored.
pub const VOTES_DUPLICATE: &str = "topgg_bot_votes_duplicate_total";
/// Votes committed to the local spool because Postgres could not take them.
pub const VOTES_SPOOLED: &str = "topgg_bot_votes_spooled_total";
/// Votes in the local spool waiting for Postgres, refreshed on each scrape.
pub const SPOOL_DEPTH: &str = "topgg_bot_spool_depth";
/// How long the oldest vote in the spool has waited, refreshed on each scrape.
pub const SPOOL_OLDEST_AGE: &str = "topgg_bot_spool_oldest_age_seconds";
/// Dead letters kept, by `source`: `webhook` (a signed body this version cannot read) or
/// `spool` (a spooled vote that could not be moved).
pub const DEAD_LETTERS: &str = "topgg_bot_dead_letters_total";
/// Discord actions attempted by delivery, by `kind` and `outcome`.
pub const DISCORD_ACTIONS: &str = "topgg_bot_discord_actions_total";
/// Queued Discord jobs in the database (all instances), refreshed every few seconds.
pub const QUEUE_DEPTH: &str = "topgg_bot_queue_depth";
/// Jobs that failed for good (kept for `/topgg status`), refreshed every few seconds.
pub const QUEUE_FAILED: &str = "topgg_bot_queue_failed_jobs";
/// How long the most overdue queued job has been due, refreshed every few seconds.
pub const QUEUE_OLDEST_DUE_AGE: &str = "topgg_bot_queue_oldest_due_age_seconds";
/// Rows removed by retention, by `table`.
pub const PRUNED_ROWS: &str = "topgg_bot_pruned_rows_total";
/// Requests answered with an error (4xx, 503), by `route` template and `reason`.
pub const HTTP_REJECTIONS: &str = "topgg_bot_http_rejections_total";
/// Connections closed at once because `http.max_connections` were already open.
pub const HTTP_CONNECTIONS_REFUSED: &str = "topgg_bot_http_connections_refused_total";
/// Connections closed for a slow or silent client, by `phase`: `headers`, `body`, `idle`.
pub const HTTP_CONNECTIONS_TIMED_OUT: &str = "topgg_bot_http_connections_timed_out_total";
/// Failed accepts (such as the process running out of file descriptors).
pub const HTTP_ACCEPT_ERRORS: &str = "topgg_bot_http_accept_errors_total";
/// HTTP connections open now.
pub const HTTP_CONNECTIONS_OPEN: &str = "topgg_bot_http_connections_open";
/// 401, 403 and 429 answers from Discord in the last 10 minutes (gauge).
pub const DISCORD_INVALID_REQUESTS: &str = "topgg_bot_discord_invalid_requests";

const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// What became of a Discord attempt, as the `outcome` label of [`DISCORD_ACTIONS`] names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionOutcome {
    Done,
    /// Retried later without counting as a failure (a rate limit, a rejected token).
    RateLimited,
    /// A failed attempt that will be retried.
    Retry,
    /// Given up on.
    Failed,
}

impl ActionOutcome {
    pub fn label(self) -> &'static str {
        match self {
            ActionOutcome::Done => "done",
            ActionOutcome::RateLimited => "rate_limited",
            ActionOutcome::Retry => "retry",
            ActionOutcome::Failed => "failed",
        }
    }
}

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

/// This application's metrics; cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// A fresh recorder with every metric described and the unlabelled counters at zero.
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.into()), &LATENCY_BUCKETS)
            .expect("the latency buckets are not empty")
            .build_recorder();
        let metrics = Metrics {
            recorder: Arc::new(recorder),
        };
        metrics.describe();
        metrics.describe_crowd();
        metrics.counter(VOTES_STORED, vec![]).absolute(0);
        metrics.counter(VOTES_DUPLICATE, vec![]).absolute(0);
        metrics.counter(VOTES_SPOOLED, vec![]).absolute(0);
        metrics.gauge(SPOOL_DEPTH).set(0.0);
        metrics.gauge(SPOOL_OLDEST_AGE).set(0.0);
        for source in ["webhook", "spool"] {
            let labels = vec![Label::new("source", source)];
            metrics.counter(DEAD_LETTERS, labels).absolute(0);
        }
        metrics
            .counter(HTTP_CONNECTIONS_REFUSED, vec![])
            .absolute(0);
        metrics.counter(HTTP_ACCEPT_ERRORS, vec![]).absolute(0);
        metrics.gauge(HTTP_CONNECTIONS_OPEN).set(0.0);
        metrics.gauge(DISCORD_INVALID_REQUESTS).set(0.0);
        metrics
    }

    /// The Prometheus text exposition of every figure.
    pub fn render(&self) -> String {
        self.recorder.handle().render()
    }

    /// Drains histogram samples into their buckets (keeps memory flat between scrapes).
    pub fn run_upkeep(&self) {
        self.recorder.handle().run_upkeep();
    }

    /// One answered request: its latency, and for the Top.gg routes its outcome. The HTTP
    /// layer keeps a [`RouteFigures`] per route instead, which skips the look-up.
    pub fn http_request(&self, route: &str, status: u16, elapsed: Duration) {
        self.route(route).record(status, elapsed);
    }

    /// The figures of requests to `route` (a template, or `unmatched`), to keep and record into.
    pub fn route(&self, route: &str) -> RouteFigures {
        RouteFigures::new(self.clone(), route)
    }

    /// A `vote.create` handled: first sight (`stored`) or a duplicate.
    pub fn vote(&self, stored: bool) {
        let name = if stored {
            VOTES_STORED
        } else {
            VOTES_DUPLICATE
        };
        self.counter(name, vec![]).increment(1);
    }

    /// A `vote.create` committed to the spool.
    pub fn vote_spooled(&self) {
        self.counter(VOTES_SPOOLED, vec![]).increment(1);
    }

    /// Votes in the spool now.
    pub fn spool_depth(&self, depth: i64) {
        self.gauge(SPOOL_DEPTH).set(depth as f64);
    }

    /// The spool now: how long its oldest vote has waited, and how many of its votes went to
    /// the dead letters since start-up.
    pub fn spool(&self, oldest_age: Duration, dead_lettered: u64) {
        self.gauge(SPOOL_OLDEST_AGE).set(oldest_age.as_secs_f64());
        let labels = vec![Label::new("source", "spool")];
        self.counter(DEAD_LETTERS, labels).absolute(dead_lettered);
    }

    /// A dead letter kept from `source` (`webhook`).
    pub fn dead_letter(&self, source: &'static str) {
        let labels = vec![Label::new("source", source)];
        self.counter(DEAD_LETTERS, labels).increment(1);
    }

    /// One Discord attempt of a job of `kind`, and what became of it.
    pub fn discord_action(&self, kind: &str, outcome: ActionOutcome) {
        let labels = vec![
            Label::new("kind", kind.to_string()),
            Label::new("outcome", outcome.label()),
        ];
        self.counter(DISCORD_ACTIONS, labels).increment(1);
    }

    /// The queue as the database reports it now.
    pub fn queue(&self, figures: &QueueFigures) {
        self.gauge(QUEUE_DEPTH).set(figures.queued as f64);
        self.gauge(QUEUE_FAILED).set(figures.failed as f64);
        self.gauge(QUEUE_OLDEST_DUE_AGE)
            .set(figures.oldest_due_age_ms as f64 / 1000.0);
    }

    /// Rows retention removed from `table`.
    pub fn pruned(&self, table: &'static str, rows: u64) {
        self.counter(PRUNED_ROWS, vec![Label::new("table", table)])
            .increment(rows);
    }

    /// A request on `route` (template, or `unmatched`) answered with an error for `reason`.
    pub fn http_rejection(&self, route: &str, reason: &str) {
        let labels = vec![
            Label::new("route", route.to_string()),
            Label::new("reason", reason.to_string()),
        ];
        self.counter(HTTP_REJECTIONS, labels).increment(1);
    }

    /// A connection closed at once: `http.max_connections` were open.
    pub fn http_connection_refused(&self) {
        self.counter(HTTP_CONNECTIONS_REFUSED, vec![]).increment(1);
    }

    /// A connection closed because its client was too slow in `phase`.
    pub fn http_connection_timed_out(&self, phase: &'static str) {
        let labels = vec![Label::new("phase", phase)];
        self.counter(HTTP_CONNECTIONS_TIMED_OUT, labels)
            .increment(1);
    }

    /// An `accept` that failed.
    pub fn http_accept_error(&self) {
        self.counter(HTTP_ACCEPT_ERRORS, vec![]).increment(1);
    }

    /// Discord's 401/403/429 answers of the last 10 minutes.
    pub fn discord_invalid_requests(&self, count: usize) {
        self.gauge(DISCORD_INVALID_REQUESTS).set(count as f64);
    }

    /// How many HTTP connections are open now.
    pub fn http_connections_open(&self, open: usize) {
        self.gauge(HTTP_CONNECTIONS_OPEN).set(open as f64);
    }

    fn counter(&self, name: &'static str, labels: Vec<Label>) -> Counter {
        let key = Key::from_parts(name, labels);
        self.recorder.register_counter(&key, &METADATA)
    }

    fn gauge(&self, name: &'static str) -> Gauge {
        self.recorder
            .register_gauge(&Key::from_static_name(name), &METADATA)
    }

    fn histogram(&self, name: &'static str, labels: Vec<Label>) -> Histogram {
        let key = Key::from_parts(name, labels);
        self.recorder.register_histogram(&key, &METADATA)
    }
}

/// The `outcome` label values of [`WEBHOOK_REQUESTS`], indexed by [`outcome_index`].
const OUTCOMES: [&str; 7] = [
    "accepted",
    "bad_request",
    "unauthorized",
    "not_found",
    "too_large",
    "unavailable",
    "error",
];

/// A Top.gg request's outcome from its status: `accepted`, `unauthorized`, `bad_request`,
/// `not_found`, `too_large`, `unavailable` (storage down, retry), or `error`.
pub fn outcome_of(status: u16) -> &'static str {
    OUTCOMES[outcome_index(status)]
}

fn outcome_index(status: u16) -> usize {
    match status {
        200..=299 => 0,
        400 => 1,
        401 => 2,
        404 => 3,
        413 => 4,
        503 => 5,
        _ => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_recorder_shows_the_vote_counters_at_zero() {
        let text = Metrics::new().render();
        assert!(text.contains("topgg_bot_votes_stored_total 0"), "{text}");
        assert!(text.contains("topgg_bot_votes_duplicate_total 0"), "{text}");
    }

    #[test]
    fn two_recorders_keep_separate_figures() {
        let (a, b) = (Metrics::new(), Metrics::new());
        a.vote(true);
        assert!(a.render().contains("topgg_bot_votes_stored_total 1"));
        assert!(b.render().contains("topgg_bot_votes_stored_total 0"));
    }

    #[test]
    fn a_request_to_a_topgg_route_counts_its_outcome_and_latency() {
        let m = Metrics::new();
        m.http_request(
            "/topgg/webhooks/{connection_id}",
            401,
            Duration::from_millis(3),
        );
        m.http_request("/healthz", 200, Duration::from_millis(1));
        let text = m.render();
        let line = concat!(
            r#"topgg_bot_webhook_requests_total{route="/topgg/webhooks/{connection_id}","#,
            r#"outcome="unauthorized"} 1"#
        );
        assert!(text.contains(line), "{text}");
        assert!(!text.contains(r#"webhook_requests_total{route="/healthz""#));
        assert!(
            text.contains(r#"topgg_bot_http_request_duration_seconds_count{route="/healthz"} 1"#)
        );
    }
}
