//! Memory under a crowd of slow clients: starts the real binary as a child process (dry-run
//! Discord, a fresh SQLite file), opens `--clients` connections spread over loopback addresses
//! (under the default `http.max_connections_per_ip`), each sending `--head-bytes` of a
//! request's headers at once and then one more byte a second, and prints the server's RSS.
//!
//! ```sh
//! cargo build --release
//! (ulimit -n 16384 && cargo run --release --example trickle -- --clients 4096)
//! ```
//!
//! The header timeout is raised above `--seconds` so every client stays connected while the
//! memory is sampled (with the default 10 s they would be cut off). Traffic stays on 127/8.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::process::{Child, Command};
use tokio::task::JoinSet;

/// Clients per loopback address: below the default `http.max_connections_per_ip` (256).
const PER_ADDRESS: usize = 200;

#[derive(Parser, Debug)]
#[command(about = "Opens N connections that trickle headers and prints topgg-bot's RSS")]
struct Args {
    /// The server binary (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/topgg-bot")]
    binary: PathBuf,
    #[arg(long, default_value_t = 4096)]
    clients: usize,
    /// Header bytes each client sends at once before trickling (hyper buffers up to 8 KiB).
    #[arg(long, default_value_t = 4096)]
    head_bytes: usize,
    /// Seconds the clients trickle once all are connected (at most 120).
    #[arg(long, default_value_t = 20)]
    seconds: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.seconds <= 120, "--seconds is at most 120");
    let dir = tempfile::tempdir()?;
    let addr = free_port()?;
    let mut child = start(&args, addr, &dir.path().join("trickle.db"))?;
    let result = measure(&args, addr, child.id().unwrap_or(0)).await;
    let _ = child.kill().await;
    result
}

fn start(args: &Args, addr: SocketAddr, db: &std::path::Path) -> anyhow::Result<Child> {
    let header_timeout = (args.seconds + 60).to_string();
    Command::new(&args.binary)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env(
            "TOPGG_INTEGRATION_SECRET",
            "trickle-integration-secret-0123456789",
        )
        .env("TOPGG_BOT__DISCORD__DRY_RUN", "true")
        .env("TOPGG_BOT__DISCORD__GATEWAY", "false")
        .env("TOPGG_BOT__HTTP__LISTEN", addr.to_string())
        .env("TOPGG_BOT__HTTP__PUBLIC_URL", format!("http://{addr}"))
        .env(
            "TOPGG_BOT__HTTP__MAX_CONNECTIONS",
            (args.clients + 64).to_string(),
        )
        .env("TOPGG_BOT__HTTP__HEADER_TIMEOUT_SECS", header_timeout)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| {
            format!(
                "cannot start {} (cargo build --release?)",
                args.binary.display()
            )
        })
}

async fn measure(args: &Args, addr: SocketAddr, pid: u32) -> anyhow::Result<()> {
    wait_healthy(addr).await?;
    let idle = rss_kib(pid).context("read the server's RSS")?;
    let mut clients = JoinSet::new();
    let head = head(args.head_bytes);
    for i in 0..args.clients {
        let stream = connect_from(loopback(i), addr).await?;
        clients.spawn(trickle(stream, head.clone()));
    }
    let started = Instant::now();
    let mut peak = 0;
    while started.elapsed() < Duration::from_secs(args.seconds) {
        peak = peak.max(rss_kib(pid).context("the server is gone")?);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let open = open_connections(addr).await?;
    let still = clients.len() - finished(&mut clients);
    clients.abort_all();
    println!(
        "clients {} (head {} B, then 1 B/s): the server holds {open} connections, \
         {still} clients still trickling",
        args.clients, args.head_bytes
    );
    println!(
        "server RSS: {} MiB before, peak {} MiB while trickling (under 256 MiB: {})",
        idle / 1024,
        peak / 1024,
        peak < 256 * 1024
    );
    Ok(())
}

/// The `i`th client's address: 127.0.1.x, [`PER_ADDRESS`] clients each.
fn loopback(i: usize) -> IpAddr {
    IpAddr::from([127, 0, 1, (1 + i / PER_ADDRESS) as u8])
}

async fn connect_from(from: IpAddr, to: SocketAddr) -> anyhow::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket
        .connect(to)
        .await
        .context("connect (raise `ulimit -n`?)")
}

fn head(bytes: usize) -> Vec<u8> {
    let mut head = b"POST /topgg/webhooks/trickle HTTP/1.1\r\nhost: t\r\nx-pad: ".to_vec();
    head.resize(bytes.max(head.len()), b'a');
    head
}

/// Sends `head`, then a byte a second until the server closes the connection.
async fn trickle(mut stream: TcpStream, head: Vec<u8>) {
    if stream.write_all(&head).await.is_err() {
        return;
    }
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if stream.write_all(b"a").await.is_err() {
            return;
        }
    }
}

fn finished(clients: &mut JoinSet<()>) -> usize {
    let mut done = 0;
    while clients.try_join_next().is_some() {
        done += 1;
    }
    done
}

async fn wait_healthy(addr: SocketAddr) -> anyhow::Result<()> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if get(addr, "/healthz")
            .await
            .is_ok_and(|a| a.starts_with("HTTP/1.1 200"))
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not answer /healthz within 30 s")
}

/// `topgg_bot_http_connections_open` from the server's `/metrics`.
async fn open_connections(addr: SocketAddr) -> anyhow::Result<String> {
    let answer = get(addr, "/metrics").await?;
    let line = answer
        .lines()
        .find_map(|l| l.strip_prefix("topgg_bot_http_connections_open "));
    Ok(line.unwrap_or("?").to_string())
}

/// One `GET` on a fresh connection; the whole answer.
async fn get(addr: SocketAddr, path: &str) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    Ok(answer)
}

fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// VmRSS of process `pid`, in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
