//! A connection's buffers are bounded: a request's headers may take 8 KiB and 64 lines, so
//! thousands of trickling clients cannot exhaust memory (`examples/trickle.rs` measures it).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::exposed::connect;
use topgg_testkit::{Backend, TestApp, bounded};

/// Sends `head` and reads the answer's status line.
async fn status_of(base: &str, head: &[u8]) -> String {
    let mut stream = connect(base).await;
    stream.write_all(head).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    answer.lines().next().unwrap_or_default().to_string()
}

fn request_with(headers: &str) -> Vec<u8> {
    format!("GET /healthz HTTP/1.1\r\nhost: t\r\n{headers}connection: close\r\n\r\n").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_beyond_8_kib_or_64_lines_are_refused_and_the_rest_served() {
    bounded(Duration::from_secs(30), async {
        let app = TestApp::start(Backend::Sqlite).await.unwrap();
        let within = format!("x-pad: {}\r\n", "a".repeat(6 * 1024));
        assert!(
            status_of(&app.base, &request_with(&within))
                .await
                .contains("200")
        );
        let long = format!("x-pad: {}\r\n", "a".repeat(10 * 1024));
        let status = status_of(&app.base, &request_with(&long)).await;
        assert!(status.contains("431"), "{status}");
        let many: String = (0..70).map(|i| format!("x-h{i}: v\r\n")).collect();
        let status = status_of(&app.base, &request_with(&many)).await;
        assert!(status.contains("431"), "{status}");
        let some: String = (0..40).map(|i| format!("x-h{i}: v\r\n")).collect();
        assert!(
            status_of(&app.base, &request_with(&some))
                .await
                .contains("200")
        );
        app.stop().await;
    })
    .await;
}
