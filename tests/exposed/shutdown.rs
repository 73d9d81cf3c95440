//! Shutdown: SIGTERM with half-sent requests open ends the process within 10 s; a request
//! being worked on is still answered.

use std::time::{Duration, Instant};

use sqlx::{Connection, SqliteConnection};
use tokio::io::AsyncWriteExt;

use crate::exposed::connect;
use topgg_testkit::process::{BotProcess, Settings};
use topgg_testkit::{Backend, TestApp, server_project, vote};
use topgg_testkit::{bounded, eventually, post_signed};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_being_worked_on_when_shutdown_begins_is_still_answered() {
    bounded(Duration::from_secs(60), async {
        let app = TestApp::start(Backend::Sqlite).await.unwrap();
        let project = server_project("1100000000000000001");
        app.connect("conn-drain", "whs_drain", &project).await;
        // Another writer holds the database, so storing the vote waits.
        let mut holder = SqliteConnection::connect(&app.database_url).await.unwrap();
        sqlx::query("BEGIN EXCLUSIVE")
            .execute(&mut holder)
            .await
            .unwrap();
        let body = vote("drain-1", &project, "1");
        let (client, url) = (
            app.client.clone(),
            format!("{}/topgg/webhooks/conn-drain", app.base),
        );
        let answer =
            tokio::spawn(async move { post_signed(&client, &url, "whs_drain", &body).await });
        // Time for the server to read the request: nothing outside the app marks that moment
        // (it is blocked on the database, silently). Too little makes this fail, not pass.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let base = app.base.clone();
        let stopping = tokio::spawn(app.stop());
        // Shutdown has begun once the listener is closed: new connections are refused.
        let refused = eventually(Duration::from_secs(10), || async {
            let address = base.trim_start_matches("http://");
            tokio::net::TcpStream::connect(address)
                .await
                .err()
                .map(|_| ())
        });
        assert!(
            refused.await.is_some(),
            "the server still accepts connections"
        );
        sqlx::query("COMMIT").execute(&mut holder).await.unwrap();
        let (status, _) = answer
            .await
            .unwrap()
            .expect("an answer, not a closed connection");
        assert!(status == 204 || status == 503, "{status}");
        stopping.await.unwrap();
    })
    .await;
}
