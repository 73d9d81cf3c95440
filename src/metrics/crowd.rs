//! The figures of crowds of connections: `http.max_connections_per_ip` refusals, and idle
//! keep-alive connections closed to make room under either connection limit.

use metrics::{Label, Recorder};

use super::Metrics;

/// Connections closed at once because their address held `http.max_connections_per_ip`.
pub const HTTP_CONNECTIONS_REFUSED_PER_IP: &str = "topgg_bot_http_connections_refused_per_ip_total";
/// Idle keep-alive connections closed to make room for a new one, by `limit`
/// (`max_connections` or `max_connections_per_ip`).
pub const HTTP_IDLE_CONNECTIONS_CLOSED: &str = "topgg_bot_http_idle_connections_closed_total";

impl Metrics {
    /// A connection closed at once: its address held `http.max_connections_per_ip`.
    pub fn http_connection_refused_per_ip(&self) {
        self.counter(HTTP_CONNECTIONS_REFUSED_PER_IP, vec![])
            .increment(1);
    }

    /// An idle keep-alive connection closed to make room under `limit` (the config key's
    /// last part).
    pub fn http_idle_connection_closed(&self, limit: &'static str) {
        let labels = vec![Label::new("limit", limit)];
        self.counter(HTTP_IDLE_CONNECTIONS_CLOSED, labels)
            .increment(1);
    }

    pub(super) fn describe_crowd(&self) {
        self.recorder.describe_counter(
            HTTP_CONNECTIONS_REFUSED_PER_IP.into(),
            None,
            "Connections closed at once because their address held http.max_connections_per_ip"
                .into(),
        );
        self.recorder.describe_counter(
            HTTP_IDLE_CONNECTIONS_CLOSED.into(),
            None,
            "Idle keep-alive connections closed to make room for new ones, by limit".into(),
        );
        self.counter(HTTP_CONNECTIONS_REFUSED_PER_IP, vec![])
            .absolute(0);
    }
}
