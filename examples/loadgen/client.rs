//! A minimal HTTP/1.1 keep-alive client: one request at a time per connection, responses
//! framed by `Content-Length`. Lean on purpose, so the generator spends little of the
//! machine's two cores on itself.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One persistent connection to the server under test.
pub struct Conn {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            stream: None,
            buf: Vec::with_capacity(4096),
        }
    }

    /// Sends a complete request and returns the response status. Reconnects once when a
    /// kept-alive connection turns out to be closed.
    pub async fn send(&mut self, request: &[u8]) -> anyhow::Result<u16> {
        match self.try_send(request).await {
            Ok(status) => Ok(status),
            Err(_) if self.stream.is_none() => self.try_send(request).await,
            Err(e) => Err(e),
        }
    }

    async fn try_send(&mut self, request: &[u8]) -> anyhow::Result<u16> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr).await.context("connect")?;
            stream.set_nodelay(true)?;
            self.stream = Some(stream);
        }
        let result = self.exchange(request).await;
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    async fn exchange(&mut self, request: &[u8]) -> anyhow::Result<u16> {
        let stream = self.stream.as_mut().expect("connected");
        stream.write_all(request).await?;
        self.buf.clear();
        let head_end = loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                break end + 4;
            }
            read_more(stream, &mut self.buf).await?;
        };
        let (status, length, close) = parse_head(&self.buf[..head_end])?;
        while self.buf.len() < head_end + length {
            read_more(stream, &mut self.buf).await?;
        }
        if close {
            self.stream = None;
        }
        Ok(status)
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<()> {
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk).await?;
    if n == 0 {
        bail!("connection closed");
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Status, body length and whether the server closes the connection.
fn parse_head(head: &[u8]) -> anyhow::Result<(u16, usize, bool)> {
    let text = std::str::from_utf8(head).context("response head is not UTF-8")?;
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .context("no status line")?;
    let (mut length, mut close) = (0, false);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().context("bad content-length")?;
        } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close") {
            close = true;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            bail!("chunked responses are not supported");
        }
    }
    Ok((status, length, close))
}

/// A POST with a JSON body and the given extra headers.
pub fn post(path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nhost: loadgen\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A GET without a body.
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nhost: loadgen\r\n\r\n").into_bytes()
}
