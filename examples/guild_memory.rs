//! Memory per guild: `cargo run --release --example guild_memory -- --help`.
//!
//! Starts the release binary as a child process (gateway on, a fresh SQLite file) against an
//! in-process Discord stand-in that sends 2 guilds of `--channels` channels and `--roles`
//! roles (the bot their only member), then `--guilds` more; after each batch, waits until the
//! bot has recorded every guild (its `guilds` table) and its RSS has settled, and prints the
//! RSS at 2 guilds, at 2 + N, and the KiB each added guild costs. `MIMALLOC_*` variables
//! are passed on to the server (e.g. `MIMALLOC_PURGE_DELAY=0` to return freed memory at once).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use tokio::process::{Child, Command};
use topgg_bot::storage::Db;
use topgg_testkit::standin::many_guilds::wide_guild;
use topgg_testkit::standin::{DiscordStandIn, GuildModel};

#[derive(Parser, Debug)]
#[command(about = "Measures topgg-bot's resident memory per guild the gateway sends")]
struct Args {
    /// Guilds sent after the first 2.
    #[arg(long, default_value_t = 2000)]
    guilds: u64,
    #[arg(long, default_value_t = 50)]
    channels: usize,
    #[arg(long, default_value_t = 30)]
    roles: usize,
    /// The server binary (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/topgg-bot")]
    binary: PathBuf,
    /// How long to wait for each batch of guilds to be recorded.
    #[arg(long, default_value_t = 300)]
    timeout_secs: u64,
    /// The server's log (default: a temporary directory removed at the end).
    #[arg(long)]
    log_file: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bot = GuildModel::default_guild().bot;
    let guild = |i: u64| wide_guild(i, &bot, args.channels, args.roles);
    let standin = DiscordStandIn::builder().guild(guild(0)).start().await;
    let dir = tempfile::tempdir()?;
    let database_url = format!("sqlite://{}", dir.path().join("bot.db").display());
    let log = args
        .log_file
        .clone()
        .unwrap_or_else(|| dir.path().join("server.log"));
    let mut child = start(&args.binary, &standin, &database_url, &log)?;
    let result = measure(
        &args,
        &standin,
        &database_url,
        child.id().unwrap_or(0),
        guild,
    )
    .await;
    let _ = child.kill().await;
    result
}

async fn measure(
    args: &Args,
    standin: &DiscordStandIn,
    database_url: &str,
    pid: u32,
    guild: impl Fn(u64) -> GuildModel,
) -> anyhow::Result<()> {
    let timeout = Duration::from_secs(args.timeout_secs);
    let db = connect(database_url, timeout).await?;
    standin.send_guild_creates([guild(1)]).await;
    wait_for_guilds(&db, 2, timeout).await?;
    let at_two = settled_rss_kib(pid).await?;
    standin
        .send_guild_creates((2..args.guilds + 2).map(&guild))
        .await;
    wait_for_guilds(&db, args.guilds as usize + 2, timeout).await?;
    let at_n = settled_rss_kib(pid).await?;
    let per_guild = at_n.saturating_sub(at_two) as f64 / args.guilds.max(1) as f64;
    println!(
        "guilds of {} channels and {} roles, binary {}",
        args.channels,
        args.roles,
        args.binary.display()
    );
    println!("RSS with 2 guilds:   {:>8.1} MiB", at_two as f64 / 1024.0);
    println!(
        "RSS with {} guilds: {:>8.1} MiB",
        args.guilds + 2,
        at_n as f64 / 1024.0
    );
    println!("per added guild:     {per_guild:>8.1} KiB");
    Ok(())
}

/// The binary with the gateway on, logging to `log`.
fn start(
    binary: &Path,
    standin: &DiscordStandIn,
    database_url: &str,
    log: &Path,
) -> anyhow::Result<Child> {
    let listen = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let log = std::fs::File::create(log)?;
    Command::new(binary)
        .env_clear()
        .envs(std::env::vars().filter(|(k, _)| k.starts_with("MIMALLOC_")))
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env(
            "TOPGG_INTEGRATION_SECRET",
            "guild-memory-integration-secret",
        )
        .env("DISCORD_TOKEN", standin.token())
        .env("TOPGG_BOT__DISCORD__API_URL", standin.url())
        .env("TOPGG_BOT__HTTP__LISTEN", listen.to_string())
        .env("TOPGG_BOT__HTTP__PUBLIC_URL", format!("http://{listen}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {} (did you build it?)", binary.display()))
}

/// The bot's database, once the bot has created it.
async fn connect(database_url: &str, timeout: Duration) -> anyhow::Result<Db> {
    let started = Instant::now();
    loop {
        match Db::connect(database_url).await {
            Ok(db) => return Ok(db),
            Err(e) if started.elapsed() > timeout => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Waits until the bot has recorded `count` guilds as present (its last step for each
/// GUILD_CREATE), or until the count has not moved for 10 s (writes lost: warned, and the
/// RSS is measured all the same); fails after `timeout`.
async fn wait_for_guilds(db: &Db, count: usize, timeout: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    let (mut last, mut moved) = (0, Instant::now());
    loop {
        let present = db.present_guilds().await.map_or(0, |g| g.len());
        if present >= count {
            return Ok(());
        }
        if present != last {
            (last, moved) = (present, Instant::now());
        } else if moved.elapsed() > Duration::from_secs(10) {
            eprintln!("warning: the bot recorded {present} of {count} guilds (see its log)");
            return Ok(());
        }
        if started.elapsed() > timeout {
            bail!("the bot recorded {present} of {count} guilds within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// VmRSS in KiB once it moves by less than 1% over a second (at most 20 s).
async fn settled_rss_kib(pid: u32) -> anyhow::Result<u64> {
    let mut last = rss_kib(pid)?;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = rss_kib(pid)?;
        if now.abs_diff(last) * 100 < last {
            return Ok(now);
        }
        last = now;
    }
    Ok(last)
}

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).context("the server exited")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .context("no VmRSS in /proc/<pid>/status")
}
