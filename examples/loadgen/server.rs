//! The server under test: the release binary as a child process (so its memory is its own),
//! on a fresh SQLite file or a fresh Postgres database, aimed at the Discord stand-in.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sqlx::Connection as _;
use tokio::process::{Child, Command};

use crate::client::{self, Conn};

/// A running `topgg-bot` child process.
pub struct Server {
    pub addr: SocketAddr,
    pub database_url: String,
    child: Child,
    postgres_db: Option<(String, String)>,
}

/// What the child needs to know.
pub struct Launch<'a> {
    pub binary: &'a Path,
    pub database_url: String,
    pub postgres_db: Option<(String, String)>,
    pub integration_secret: &'a str,
    pub discord_url: &'a str,
    pub discord_token: &'a str,
    pub log_file: PathBuf,
    /// `RUST_LOG` for the server; `None` keeps its default (info).
    pub rust_log: Option<String>,
}

impl Server {
    /// Starts the binary on a free port and waits until `/healthz` answers.
    pub async fn start(launch: Launch<'_>) -> anyhow::Result<Server> {
        let addr = free_port()?;
        let log = std::fs::File::create(&launch.log_file).context("server log file")?;
        let mut command = Command::new(launch.binary);
        command.env_clear();
        if let Some(filter) = &launch.rust_log {
            command.env("RUST_LOG", filter);
        }
        let child = command
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &launch.database_url)
            .env("TOPGG_INTEGRATION_SECRET", launch.integration_secret)
            .env("DISCORD_TOKEN", launch.discord_token)
            .env("TOPGG_BOT__DISCORD__API_URL", launch.discord_url)
            .env("TOPGG_BOT__DISCORD__GATEWAY", "false")
            .env("TOPGG_BOT__HTTP__LISTEN", addr.to_string())
            .env("TOPGG_BOT__HTTP__PUBLIC_URL", format!("http://{addr}"))
            // Every load connection comes from 127.0.0.1, as from a proxy.
            .env("TOPGG_BOT__HTTP__MAX_CONNECTIONS_PER_IP", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", launch.binary.display()))?;
        let server = Server {
            addr,
            database_url: launch.database_url,
            child,
            postgres_db: launch.postgres_db,
        };
        server.wait_healthy(Duration::from_secs(30)).await?;
        Ok(server)
    }

    async fn wait_healthy(&self, timeout: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut conn = Conn::new(self.addr);
        while started.elapsed() < timeout {
            if let Ok(200) = conn.send(&client::get("/healthz")).await {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the server did not answer /healthz within {timeout:?}")
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    /// Stops the child with SIGTERM (graceful) and drops its Postgres database.
    pub async fn stop(mut self) {
        let pid = self.pid();
        if pid != 0 {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        if tokio::time::timeout(Duration::from_secs(25), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
        if let Some((admin, name)) = self.postgres_db.take() {
            let _ = admin_execute(
                &admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await;
        }
    }
}

fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// Creates `loadgen_<pid>` next to the admin URL's database; returns its URL and name.
pub async fn fresh_postgres(admin: &str) -> anyhow::Result<(String, String)> {
    let name = format!("loadgen_{}", std::process::id());
    admin_execute(admin, &format!("DROP DATABASE IF EXISTS {name}")).await?;
    admin_execute(admin, &format!("CREATE DATABASE {name}")).await?;
    let (base, _) = admin
        .rsplit_once('/')
        .context("a URL with a database name")?;
    Ok((format!("{base}/{name}"), name))
}

async fn admin_execute(admin: &str, sql: &str) -> anyhow::Result<()> {
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .with_context(|| format!("cannot reach Postgres at {admin}"))?;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// A process's resident memory in KiB: (current VmRSS, peak VmHWM).
pub fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// CPU time (user + system, all threads) process `pid` has used so far; `None` when it is
/// gone. Clock ticks of 10 ms: enough over a run of seconds.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    cpu_time_in(&format!("/proc/{pid}/stat"))
}

/// [`cpu_time`] of the load generator itself.
pub fn own_cpu_time() -> Option<Duration> {
    cpu_time_in("/proc/self/stat")
}

fn cpu_time_in(path: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(path).ok()?;
    // After the command name (which may hold spaces): utime and stime are the 12th and 13th.
    let after_name = &stat[stat.rfind(')')? + 2..];
    let mut fields = after_name.split_whitespace().skip(11);
    let mut next = || fields.next().and_then(|f| f.parse::<u64>().ok());
    let ticks = next()? + next()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Samples VmRSS every 100 ms while running; `peak()` is the highest sample.
pub struct RssSampler {
    peak: Arc<AtomicU64>,
    running: Arc<AtomicBool>,
}

impl RssSampler {
    pub fn start(pid: u32) -> RssSampler {
        let peak = Arc::new(AtomicU64::new(0));
        let running = Arc::new(AtomicBool::new(true));
        let (p, r) = (peak.clone(), running.clone());
        tokio::spawn(async move {
            while r.load(Ordering::Relaxed) {
                if let Some((rss, _)) = memory_kib(pid) {
                    p.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        RssSampler { peak, running }
    }

    /// Stops sampling; returns the highest VmRSS seen, in KiB.
    pub fn stop(self) -> u64 {
        self.running.store(false, Ordering::Relaxed);
        self.peak.load(Ordering::Relaxed)
    }
}
