//! The help text and unit of every metric, as `/metrics` shows them.

use metrics::{Recorder, Unit};

use super::{
    DEAD_LETTERS, DISCORD_ACTIONS, DISCORD_INVALID_REQUESTS, HTTP_ACCEPT_ERRORS,
    HTTP_CONNECTIONS_OPEN, HTTP_CONNECTIONS_REFUSED, HTTP_CONNECTIONS_TIMED_OUT, HTTP_REJECTIONS,
    Metrics, PRUNED_ROWS, QUEUE_DEPTH, QUEUE_FAILED, QUEUE_OLDEST_DUE_AGE, REQUEST_DURATION,
    SPOOL_DEPTH, SPOOL_OLDEST_AGE, VOTES_DUPLICATE, VOTES_SPOOLED, VOTES_STORED, WEBHOOK_REQUESTS,
};

impl Metrics {
    pub(super) fn describe(&self) {
        let r = &self.recorder;
        let counters = [
            (
                WEBHOOK_REQUESTS,
                "Requests to the Top.gg routes by route and outcome",
            ),
            (VOTES_STORED, "Votes stored for the first time"),
            (VOTES_DUPLICATE, "Votes received again and ignored"),
            (
                VOTES_SPOOLED,
                "Votes committed to the local spool while Postgres could not take them",
            ),
            (
                DISCORD_ACTIONS,
                "Discord actions attempted, by job kind and outcome",
            ),
            (PRUNED_ROWS, "Rows removed by retention, by table"),
            (
                DEAD_LETTERS,
                "Signed bodies that could not be read and spooled votes that could not be moved, kept as dead letters, by source",
            ),
            (
                HTTP_REJECTIONS,
                "Requests answered with an error, by route and reason",
            ),
            (
                HTTP_CONNECTIONS_REFUSED,
                "Connections closed at once because http.max_connections were open",
            ),
            (
                HTTP_CONNECTIONS_TIMED_OUT,
                "Connections closed for a slow or silent client, by phase",
            ),
            (
                HTTP_ACCEPT_ERRORS,
                "Failed accepts (such as out of file descriptors)",
            ),
        ];
        for (name, help) in counters {
            r.describe_counter(name.into(), None, help.into());
        }
        let gauges = [
            (QUEUE_DEPTH, "Queued Discord jobs (whole database)"),
            (SPOOL_DEPTH, "Votes in the local spool waiting for Postgres"),
            (
                SPOOL_OLDEST_AGE,
                "Seconds the oldest vote in the local spool has waited",
            ),
            (
                QUEUE_FAILED,
                "Discord jobs that failed for good (whole database)",
            ),
            (
                QUEUE_OLDEST_DUE_AGE,
                "Seconds the most overdue queued job has waited",
            ),
            (HTTP_CONNECTIONS_OPEN, "HTTP connections open now"),
            (
                DISCORD_INVALID_REQUESTS,
                "Discord 401/403/429 answers in the last 10 minutes (calls stop past 5,000)",
            ),
        ];
        for (name, help) in gauges {
            r.describe_gauge(name.into(), None, help.into());
        }
        r.describe_histogram(
            REQUEST_DURATION.into(),
            Some(Unit::Seconds),
            "Time to answer an HTTP request, by route".into(),
        );
    }
}
