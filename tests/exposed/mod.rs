//! The server alone on the internet: slow and silent clients are cut off, connections are
//! bounded, accept errors are survived, rejections cannot flood the logs, and SIGTERM ends
//! the process promptly. Real sockets; the real binary where logs or signals matter.

mod buffers;
mod crowds;
mod limits;
mod probes;
mod rejections;
mod shutdown;
mod slow_clients;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A TCP connection to `base` (`http://host:port`).
pub async fn connect(base: &str) -> TcpStream {
    TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .expect("connect")
}

/// Reads (and discards) until the server closes `stream` (end of file or reset); how long
/// that took, or `None` when it is still open after `limit`.
pub async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut chunk = [0u8; 4096];
    let closed = async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(limit, closed)
        .await
        .ok()
        .map(|()| started.elapsed())
}

/// Sends `head` at once, then `trickle` one byte every `gap`, until the server closes the
/// connection; how long after connecting it did, or `None` when still open after `limit`.
pub async fn trickle(
    base: &str,
    head: &[u8],
    trickle: &[u8],
    gap: Duration,
    limit: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    let mut stream = connect(base).await;
    stream.write_all(head).await.expect("send the head");
    let (mut reader, mut writer) = stream.into_split();
    let bytes = trickle.to_vec();
    let writing = tokio::spawn(async move {
        for byte in bytes {
            tokio::time::sleep(gap).await;
            if writer.write_all(&[byte]).await.is_err() {
                return;
            }
        }
        std::future::pending::<()>().await;
    });
    let mut chunk = [0u8; 1024];
    let closed = async {
        loop {
            match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    let outcome = tokio::time::timeout(limit, closed).await;
    writing.abort();
    outcome.ok().map(|()| started.elapsed())
}

/// `GET /metrics` of `base`.
pub async fn scrape(base: &str) -> String {
    reqwest::get(format!("{base}/metrics"))
        .await
        .expect("scrape /metrics")
        .text()
        .await
        .unwrap()
}

/// The value of the sample `series` (name and labels, exactly as rendered), 0 if absent.
pub fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().expect("a number"))
}
