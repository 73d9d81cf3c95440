//! Requests no well-behaved client would send, written byte for byte on a TCP socket.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Writes `bytes` and returns the status of the answer (0 when the server closed the
/// connection without one). With `hang_up`, the client then closes its sending half, as a
/// client that dies mid-request does.
pub async fn status_of(base: &str, bytes: &[u8], hang_up: bool) -> u16 {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    // The server may answer and close before reading everything (413, 431): ignore EPIPE.
    let _ = stream.write_all(bytes).await;
    if hang_up {
        let _ = stream.shutdown().await;
    }
    let mut answer = Vec::new();
    let mut chunk = [0u8; 1024];
    let read = async {
        while !answer.windows(2).any(|w| w == b"\r\n") {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), read).await;
    String::from_utf8_lossy(&answer)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// A POST with the given head lines (no trailing blank line) and body.
pub fn post(path: &str, head: &[String], body: &[u8]) -> Vec<u8> {
    let mut bytes = format!("POST {path} HTTP/1.1\r\nhost: test\r\n").into_bytes();
    for line in head {
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(body);
    bytes
}
