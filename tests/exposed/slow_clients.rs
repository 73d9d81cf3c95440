//! Slow and silent clients are cut off by the server within the configured bounds (set to
//! 1 s here; 10 s / 10 s / 60 s by default), and counted by phase.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use topgg_bot::config::Config;

use crate::exposed::{closed_within, connect, sample, scrape, trickle};
use topgg_testkit::bounded;
use topgg_testkit::{Backend, TestApp};

/// A generous bound for a 1 s timeout on a loaded machine.
const CUT_OFF_BY: Duration = Duration::from_secs(5);
const GAP: Duration = Duration::from_millis(100);

/// Every limit long except the ones a test sets to 1 s.
fn timeouts(header: u64, body: u64, idle: u64) -> impl FnOnce(&mut Config) {
    move |config| {
        config.http.header_timeout_secs = header;
        config.http.body_timeout_secs = body;
        config.http.idle_timeout_secs = idle;
    }
}

fn timed_out(metrics: &str, phase: &str) -> f64 {
    let series = format!("topgg_bot_http_connections_timed_out_total{{phase=\"{phase}\"}}");
    sample(metrics, &series)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_trickled_a_byte_at_a_time_are_cut_off_after_the_header_timeout() {
    bounded(Duration::from_secs(60), async {
        let app = TestApp::start_with(Backend::Sqlite, timeouts(1, 60, 60))
            .await
            .unwrap();
        let head = b"POST /topgg/webhooks/conn HTTP/1.1\r\nhost: t\r\n";
        let endless_header = vec![b'a'; 1000];
        let closed = trickle(&app.base, head, &endless_header, GAP, CUT_OFF_BY).await;
        let after = closed.expect("the connection is still open");
        assert!(
            after >= Duration::from_millis(900),
            "closed after {after:?}"
        );
        assert_eq!(timed_out(&scrape(&app.base).await, "headers"), 1.0);
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    bounded(Duration::from_secs(60), async {
        let app = TestApp::start_with(Backend::Sqlite, timeouts(1, 60, 60))
            .await
            .unwrap();
        let mut silent = connect(&app.base).await;
        let closed = closed_within(&mut silent, CUT_OFF_BY).await;
        assert!(closed.is_some(), "the silent connection is still open");
        assert_eq!(timed_out(&scrape(&app.base).await, "headers"), 1.0);
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_trickled_a_byte_at_a_time_is_cut_off_after_the_body_timeout() {
    bounded(Duration::from_secs(60), async {
        let app = TestApp::start_with(Backend::Sqlite, timeouts(60, 1, 60))
            .await
            .unwrap();
        let head = b"POST /topgg/webhooks/conn HTTP/1.1\r\nhost: t\r\n\
            content-type: application/json\r\ncontent-length: 1000\r\n\r\n";
        let body = vec![b' '; 1000];
        let closed = trickle(&app.base, head, &body, GAP, CUT_OFF_BY).await;
        let after = closed.expect("the connection is still open");
        assert!(
            after >= Duration::from_millis(900),
            "closed after {after:?}"
        );
        assert_eq!(timed_out(&scrape(&app.base).await, "body"), 1.0);
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    bounded(Duration::from_secs(60), async {
        let app = TestApp::start_with(Backend::Sqlite, timeouts(60, 60, 1))
            .await
            .unwrap();
        let mut kept = connect(&app.base).await;
        kept.write_all(b"GET /healthz HTTP/1.1\r\nhost: t\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let mut chunk = [0u8; 1024];
        while !answer.ends_with(b"\r\n\r\nok") {
            let n = kept.read(&mut chunk).await.unwrap();
            assert!(n > 0, "closed before answering");
            answer.extend_from_slice(&chunk[..n]);
        }
        assert!(answer.starts_with(b"HTTP/1.1 200"));
        let closed = closed_within(&mut kept, CUT_OFF_BY).await;
        let after = closed.expect("the idle connection is still open");
        assert!(
            after >= Duration::from_millis(900),
            "closed after {after:?}"
        );
        assert_eq!(timed_out(&scrape(&app.base).await, "idle"), 1.0);
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_serves_several_requests_within_the_limits() {
    bounded(Duration::from_secs(60), async {
        let app = TestApp::start_with(Backend::Sqlite, timeouts(2, 2, 2))
            .await
            .unwrap();
        let client = reqwest::Client::new();
        for _ in 0..3 {
            let response = client
                .get(format!("{}/healthz", app.base))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            // The behaviour under test: the connection idles between requests, within the
            // 2 s idle limit.
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let metrics = scrape(&app.base).await;
        assert_eq!(timed_out(&metrics, "idle"), 0.0, "{metrics}");
        app.stop().await;
    })
    .await;
}
