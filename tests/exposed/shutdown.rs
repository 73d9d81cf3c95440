//! SIGTERM with half-sent requests open: the process ends within 10 s.

use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

use crate::process::{BotProcess, Settings};
use crate::{bounded, connect};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_twenty_half_sent_requests_ends_the_process_within_ten_seconds() {
    bounded(Duration::from_secs(60), async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("term.db").display());
        let mut bot = BotProcess::start(&Settings::new("term", &url, "http://127.0.0.1:9")).await;
        let mut half_sent = Vec::new();
        for i in 0..20 {
            let mut stream = connect(&bot.base).await;
            let bytes: &[u8] = if i % 2 == 0 {
                b"POST /topgg/webhooks/conn HTTP/1.1\r\nhost: t\r\nx-topgg-sig"
            } else {
                b"POST /topgg/webhooks/conn HTTP/1.1\r\nhost: t\r\n\
                  content-length: 500\r\n\r\n{\"type\":\"vote.cr"
            };
            stream.write_all(bytes).await.unwrap();
            half_sent.push(stream);
        }
        let health = reqwest::get(format!("{}/healthz", bot.base)).await.unwrap();
        assert_eq!(health.status(), 200, "served beside the half-sent requests");
        let signalled = Instant::now();
        bot.terminate();
        let status = bot.wait(Duration::from_secs(10)).await;
        let took = signalled.elapsed();
        eprintln!("exited {status} {took:?} after SIGTERM");
        assert!(status.success(), "{status}: {}", bot.logs());
        drop(half_sent);
    })
    .await;
}
