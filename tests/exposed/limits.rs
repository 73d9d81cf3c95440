//! `http.max_connections`: connections beyond it are closed at once and counted; accept
//! errors (out of file descriptors) are logged at a bounded rate and survived.

use std::cell::Cell;
use std::time::Duration;

use topgg_bot::config::Config;

use crate::exposed::{closed_within, connect, sample, scrape};
use topgg_testkit::process::{BotProcess, Settings};
use topgg_testkit::{Backend, TestApp};
use topgg_testkit::{bounded, eventually};

const LIMIT: usize = 4;
const EXTRA: usize = 6;

fn small_limit(config: &mut Config) {
    config.http.max_connections = LIMIT;
    config.http.header_timeout_secs = 60;
}

/// `GET /healthz` until it answers 200 (each failed try is one more refused connection); how
/// many tries failed.
async fn wait_until_served(base: &str, limit: Duration) -> usize {
    let client = reqwest::Client::new();
    let failures = Cell::new(0);
    let served = eventually(limit, || async {
        let answer = client.get(format!("{base}/healthz")).send().await;
        let served = answer.is_ok_and(|r| r.status() == 200);
        if !served {
            failures.set(failures.get() + 1);
        }
        served.then_some(())
    });
    assert!(served.await.is_some(), "not served again within {limit:?}");
    failures.get()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_are_closed_at_once_and_counted() {
    bounded(Duration::from_secs(60), async {
        let app = TestApp::start_with(Backend::Sqlite, small_limit)
            .await
            .unwrap();
        let mut held = Vec::new();
        for _ in 0..LIMIT {
            held.push(connect(&app.base).await);
        }
        for i in 0..EXTRA {
            let mut extra = connect(&app.base).await;
            let closed = closed_within(&mut extra, Duration::from_secs(2)).await;
            assert!(closed.is_some(), "extra connection {i} is still open");
        }
        for (i, stream) in held.iter_mut().enumerate() {
            let closed = closed_within(stream, Duration::from_millis(200)).await;
            assert!(closed.is_none(), "held connection {i} was closed");
        }
        drop(held);
        let failed_tries = wait_until_served(&app.base, Duration::from_secs(10)).await;
        let metrics = scrape(&app.base).await;
        let refused = sample(&metrics, "topgg_bot_http_connections_refused_total");
        assert_eq!(refused, (EXTRA + failed_tries) as f64, "{metrics}");
        app.stop().await;
    })
    .await;
}

/// Lowers the running process's open-file limit (util-linux `prlimit`).
fn limit_open_files(pid: u32, limit: u32) {
    let status = std::process::Command::new("prlimit")
        .args([
            "--pid",
            &pid.to_string(),
            &format!("--nofile={limit}:{limit}"),
        ])
        .status()
        .expect("run prlimit");
    assert!(status.success(), "prlimit failed");
}

fn accept_error_lines(logs: &str) -> usize {
    logs.lines()
        .filter(|l| l.contains("cannot accept connections"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_file_descriptors_accept_errors_are_logged_once_and_the_server_recovers() {
    bounded(Duration::from_secs(90), async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("fd.db").display());
        let bot = BotProcess::start(&Settings::new("fd", &url, "http://127.0.0.1:9")).await;
        limit_open_files(bot.pid(), 64);
        // Connections until the server runs out of descriptors and says so (a few more than
        // 64; connecting on would only fill the listen backlog and stall).
        let mut flood = Vec::new();
        let exhaust = async {
            while accept_error_lines(&bot.logs()) == 0 {
                flood.push(connect(&bot.base).await);
            }
        };
        let logged = tokio::time::timeout(Duration::from_secs(30), exhaust).await;
        assert!(logged.is_ok(), "no accept error logged");
        // What is under test: the exhaustion lasting several of the loop's 100 ms back-offs.
        tokio::time::sleep(Duration::from_millis(500)).await;
        drop(flood);
        wait_until_served(&bot.base, Duration::from_secs(20)).await;
        let errors = sample(
            &scrape(&bot.base).await,
            "topgg_bot_http_accept_errors_total",
        );
        assert!(errors >= 2.0, "{errors} accept errors counted");
        assert!(errors < 200.0, "{errors} accept errors: the loop spins");
        assert_eq!(accept_error_lines(&bot.logs()), 1, "{}", bot.logs());
    })
    .await;
}
