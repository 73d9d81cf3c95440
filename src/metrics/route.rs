//! The kept figures of one HTTP route (see [`RouteFigures`]).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use metrics::{Counter, Histogram, Label};

use super::{Metrics, OUTCOMES, REQUEST_DURATION, WEBHOOK_REQUESTS, outcome_index};

/// The request figures of one route. Each series is registered on its first request (so
/// `/metrics` shows the same series as before) and its handle kept: recording a request then
/// builds no labels and looks nothing up.
pub struct RouteFigures {
    metrics: Metrics,
    route: Arc<str>,
    duration: OnceLock<Histogram>,
    outcomes: [OnceLock<Counter>; OUTCOMES.len()],
}

impl RouteFigures {
    pub(super) fn new(metrics: Metrics, route: &str) -> Self {
        Self {
            metrics,
            route: route.into(),
            duration: OnceLock::new(),
            outcomes: Default::default(),
        }
    }

    /// The route this records for.
    pub fn route(&self) -> &str {
        &self.route
    }

    /// One answered request: its latency, and for the Top.gg routes its outcome.
    pub fn record(&self, status: u16, elapsed: Duration) {
        let route_label = || Label::new("route", self.route.to_string());
        self.duration
            .get_or_init(|| {
                self.metrics
                    .histogram(REQUEST_DURATION, vec![route_label()])
            })
            .record(elapsed.as_secs_f64());
        if self.route.starts_with("/topgg/") {
            let index = outcome_index(status);
            let counter = self.outcomes[index].get_or_init(|| {
                let labels = vec![route_label(), Label::new("outcome", OUTCOMES[index])];
                self.metrics.counter(WEBHOOK_REQUESTS, labels)
            });
            counter.increment(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_route_figures_add_to_the_same_series_and_show_only_what_was_seen() {
        let m = Metrics::new();
        let webhooks = m.route("/topgg/webhooks/{connection_id}");
        let healthz = m.route("/healthz");
        assert!(!m.render().contains("route="), "nothing recorded yet");
        webhooks.record(204, Duration::from_millis(2));
        webhooks.record(204, Duration::from_millis(2));
        m.http_request(webhooks.route(), 204, Duration::from_millis(2));
        healthz.record(200, Duration::from_millis(1));
        let text = m.render();
        let line = concat!(
            r#"topgg_bot_webhook_requests_total{route="/topgg/webhooks/{connection_id}","#,
            r#"outcome="accepted"} 3"#
        );
        assert!(text.contains(line), "{text}");
        assert!(!text.contains(r#"outcome="unauthorized""#), "{text}");
        assert!(
            text.contains(r#"topgg_bot_http_request_duration_seconds_count{route="/healthz"} 1"#)
        );
    }
}
