//! The peer of the side-by-side benchmark: the official Top.gg Node SDK's webhook listener
//! (`bench/peer/server.js`: `@top-gg/sdk` 3.1.6 `Webhook` on express 4), run as a child
//! process and offered the same load as topgg-bot.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

use crate::client::{self, Conn};
use crate::load::MakeRequest;
use crate::votes::voter_id;

/// The static secret the SDK compares with the `Authorization` header.
const PEER_AUTH: &str = "loadgen-peer-auth";

/// The running Node listener.
pub struct Peer {
    pub addr: SocketAddr,
    child: Child,
}

impl Peer {
    /// Starts `node DIR/server.js`, or says why it cannot (no node, SDK not installed).
    pub async fn start(dir: &Path) -> anyhow::Result<Peer> {
        if !dir.join("node_modules/@top-gg/sdk").is_dir() {
            bail!(
                "the SDK is not installed: run `npm ci --prefix {}` first",
                dir.display()
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new("node")
            .arg(dir.join("server.js"))
            .env("PEER_PORT", port.to_string())
            .env("PEER_AUTH", PEER_AUTH)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("cannot run `node` (is Node.js installed?)")?;
        let peer = Peer {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            child,
        };
        peer.wait_listening(Duration::from_secs(15)).await?;
        Ok(peer)
    }

    async fn wait_listening(&self, timeout: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut conn = Conn::new(self.addr);
        while started.elapsed() < timeout {
            if let Ok(200) = conn.send(&client::get("/votes")).await {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the peer did not listen within {timeout:?}")
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Vote `i` in the SDK's (legacy webhook) format, authorised with the static secret.
pub fn vote_requests(voters: u64) -> MakeRequest {
    std::sync::Arc::new(move |i| {
        let voter = voter_id(i % voters.max(1));
        let body = format!(
            r#"{{"bot":"900000000000000000","user":"{voter}","type":"upvote","isWeekend":false,"query":"?ref=loadgen&n={i}"}}"#
        );
        client::post(
            "/dblwebhook",
            &[("authorization", PEER_AUTH)],
            body.as_bytes(),
        )
    })
}
