//! Load generator for topgg-bot: `cargo run --release --example loadgen -- --help`.
//!
//! Starts the release binary as a child process on a fresh SQLite file or Postgres database,
//! aimed at an in-process Discord stand-in; makes connections through the signed handshake;
//! then measures vote-to-Discord latency on an idle queue, a `/healthz` baseline and signed
//! `vote.create` load at a set rate or concurrency, with the server's RSS. Every loop is
//! bounded in count and time; traffic goes to 127.0.0.1 only.

mod client;
mod discord;
mod load;
mod peer;
mod report;
mod server;
mod summary;
mod votes;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, ValueEnum};

use load::{Outcome, Pace};
use server::{Launch, RssSampler, Server};
use standin::{DiscordStandIn, GUILD_ID, text_channel};
use topgg_bot::domain::keys::LinkRef;
use topgg_testkit::standin;
use votes::Connection;

const INTEGRATION_SECRET: &str = "loadgen-integration-secret";
/// Stand-in channels added for the generator: one for the probe, one for the load.
const PROBE_CHANNEL: u64 = 1_400_000_000_000_000_101;
const LOAD_CHANNEL: u64 = 1_400_000_000_000_000_102;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Parser, Debug)]
#[command(about = "Measures topgg-bot: ack throughput and latency, RSS, vote-to-Discord latency")]
struct Args {
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    /// Admin URL of the local Postgres; a fresh database is made beside it and dropped after.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres_url: String,
    /// The server binary (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/topgg-bot")]
    binary: PathBuf,
    /// Offered votes per second (open loop); without it, `--concurrency` closed-loop senders.
    #[arg(long)]
    rate: Option<u64>,
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// HTTP connections that carry a `--rate` run.
    #[arg(long, default_value_t = 64)]
    lanes: usize,
    /// Seconds each of the /healthz and vote runs lasts (at most 120).
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Upper bound on requests per run.
    #[arg(long, default_value_t = 2_000_000)]
    max_requests: u64,
    /// Top.gg connections the votes are spread over.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Distinct voters the votes are spread over.
    #[arg(long, default_value_t = 10_000)]
    voters: u64,
    /// Votes in the vote-to-Discord probe (sent at `--probe-rate` per second; 0 skips it).
    #[arg(long, default_value_t = 200)]
    probe: u64,
    #[arg(long, default_value_t = 20)]
    probe_rate: u64,
    /// Queue no announcement for the load's votes (no channel set on their connections).
    #[arg(long)]
    no_announce: bool,
    /// Instead of the load: this many votes for one channel under a 5 messages / 5 s limit.
    #[arg(long, default_value_t = 0)]
    burst: u64,
    /// Seconds the burst may take to be announced.
    #[arg(long, default_value_t = 180)]
    burst_timeout: u64,
    /// Where the server's log goes (default: a temporary file, removed after the run).
    #[arg(long)]
    log_file: Option<PathBuf>,
    /// `RUST_LOG` for the server (default: its own default, info).
    #[arg(long)]
    rust_log: Option<String>,
    /// Also offer the same load to the official Node SDK's listener in this folder
    /// (`bench/peer`, after `npm ci`) first, and print the ratios.
    #[arg(long)]
    peer: Option<PathBuf>,
    /// Append this run's figures as one tab-separated line (two with the peer) to this file
    /// (`bench/side-by-side.sh` prints them as one table).
    #[arg(long)]
    summary: Option<PathBuf>,
    /// The run's name in the `--summary` line.
    #[arg(long, default_value = "votes")]
    label: String,
}

impl Args {
    fn pace(&self) -> Pace {
        match self.rate {
            Some(per_sec) => Pace::Rate {
                per_sec,
                connections: self.lanes,
            },
            None => Pace::Concurrency(self.concurrency),
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.duration <= 120, "--duration is at most 120 s");
    let standin = DiscordStandIn::start().await;
    standin.update_guild(|g| {
        g.channels.push(text_channel(PROBE_CHANNEL, "probe", 10));
        g.channels.push(text_channel(LOAD_CHANNEL, "load", 11));
    });
    let dir = tempfile::tempdir()?;
    let server = start_server(&args, &standin, dir.path()).await?;
    let result = measure(&args, &standin, &server).await;
    server.stop().await;
    result
}

async fn start_server(
    args: &Args,
    standin: &DiscordStandIn,
    dir: &std::path::Path,
) -> anyhow::Result<Server> {
    let (database_url, postgres_db) = match args.backend {
        Backend::Sqlite => (
            format!("sqlite://{}", dir.join("loadgen.db").display()),
            None,
        ),
        Backend::Postgres => {
            let (url, name) = server::fresh_postgres(&args.postgres_url).await?;
            (url, Some((args.postgres_url.clone(), name)))
        }
    };
    let discord_url = standin.url();
    let token = standin.token();
    Server::start(Launch {
        binary: &args.binary,
        database_url,
        postgres_db,
        integration_secret: INTEGRATION_SECRET,
        discord_url: &discord_url,
        discord_token: &token,
        log_file: args
            .log_file
            .clone()
            .unwrap_or_else(|| dir.join("server.log")),
        rust_log: args.rust_log.clone(),
    })
    .await
    .context("start the server (did you run `cargo build --release`?)")
}

async fn measure(args: &Args, standin: &DiscordStandIn, server: &Server) -> anyhow::Result<()> {
    print_setup(args, server);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let startup_idle = server::memory_kib(server.pid()).map_or(0, |m| m.0);
    let guild = GUILD_ID.to_string();
    let run_id = std::process::id().to_string();
    let mut conns = votes::connect_all(
        server.addr,
        INTEGRATION_SECRET,
        &run_id,
        &guild,
        args.connections + 1,
    )
    .await?;
    let probe_conn = conns.pop().context("a probe connection")?;
    let db = topgg_bot::storage::Db::connect(&server.database_url).await?;
    let channel = PROBE_CHANNEL.to_string();
    db.set_channel(
        LinkRef::new(&guild.parse()?, &probe_conn.id.parse()?),
        Some(&channel.parse()?),
    )
    .await?;
    if args.burst > 0 {
        let timeout = Duration::from_secs(args.burst_timeout);
        let b = discord::burst(
            server.addr,
            standin,
            &probe_conn,
            &guild,
            PROBE_CHANNEL,
            args.burst,
            timeout,
        )
        .await;
        report::burst(&b);
        return Ok(());
    }
    if args.probe > 0 {
        let p = discord::probe(
            server.addr,
            standin,
            &probe_conn,
            &guild,
            PROBE_CHANNEL,
            args.probe,
            args.probe_rate,
        )
        .await;
        report::probe(&p);
    }
    if !args.no_announce {
        let channel = LOAD_CHANNEL.to_string();
        for c in &conns {
            db.set_channel(
                LinkRef::new(&guild.parse()?, &c.id.parse()?),
                Some(&channel.parse()?),
            )
            .await?;
        }
    }
    db.close().await;
    let peer = match &args.peer {
        Some(dir) => peer_load(args, dir).await,
        None => None,
    };
    let (health, votes, peak) = loads(args, server, conns, &guild).await;
    report::outcome("GET /healthz (baseline)", &health);
    report::outcome("POST signed vote.create", &votes);
    report::ratio(&votes, &health);
    if let Some((peer, peer_peak)) = &peer {
        report::versus_peer(&votes, peer, *peer_peak);
    }
    if let Some(path) = &args.summary {
        let figures = summary::Figures {
            label: &args.label,
            votes: &votes,
            health: &health,
            peer: peer.as_ref().map(|(o, peak)| (o, *peak)),
            idle_kib: startup_idle,
            peak_kib: peak,
        };
        summary::append(path, &figures).context("write the --summary line")?;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (after_rss, hwm) = server::memory_kib(server.pid()).unwrap_or_default();
    println!(
        "server RSS: idle after start-up {}, peak during votes {} (VmHWM {}), 3 s after the load {}",
        report::mb(startup_idle),
        report::mb(peak),
        report::mb(hwm),
        report::mb(after_rss)
    );
    println!(
        "{} (other work on the machine shares its cores)",
        load_average()
    );
    Ok(())
}

/// `/proc/loadavg`'s 1, 5 and 15 minute figures.
fn load_average() -> String {
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let figures: Vec<&str> = loadavg.split_whitespace().take(3).collect();
    format!("load average {}", figures.join(" "))
}

/// The `/healthz` baseline, then the votes, with the RSS peak during the votes (KiB).
async fn loads(
    args: &Args,
    server: &Server,
    conns: Vec<Connection>,
    guild: &str,
) -> (Outcome, Outcome, u64) {
    let duration = Duration::from_secs(args.duration);
    let health_request = Arc::new(client::get("/healthz"));
    let make_health: load::MakeRequest = Arc::new(move |_| health_request.to_vec());
    let health = load::run_watched(
        server.pid(),
        server.addr,
        args.pace(),
        duration,
        args.max_requests,
        make_health,
    )
    .await;
    let prefix = format!("vote-{}", std::process::id());
    let make_votes = votes::vote_requests(conns, guild.to_string(), prefix, args.voters);
    let sampler = RssSampler::start(server.pid());
    let votes = load::run_watched(
        server.pid(),
        server.addr,
        args.pace(),
        duration,
        args.max_requests,
        make_votes,
    )
    .await;
    (health, votes, sampler.stop())
}

/// The same load offered to the SDK's listener, with its peak RSS (KiB); `None` (and a
/// printed reason) when it cannot run here.
async fn peer_load(args: &Args, dir: &std::path::Path) -> Option<(Outcome, u64)> {
    let peer = match peer::Peer::start(dir).await {
        Ok(peer) => peer,
        Err(e) => {
            println!("peer skipped: {e:#}");
            return None;
        }
    };
    let sampler = RssSampler::start(peer.pid());
    let outcome = load::run_watched(
        peer.pid(),
        peer.addr,
        args.pace(),
        Duration::from_secs(args.duration),
        args.max_requests,
        peer::vote_requests(args.voters),
    )
    .await;
    let peak = sampler.stop();
    peer.stop().await;
    report::outcome(
        "peer: @top-gg/sdk 3.1.6 Webhook on express 4 (static Authorization, stores nothing)",
        &outcome,
    );
    Some((outcome, peak))
}

fn print_setup(args: &Args, server: &Server) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("machine: {cores} cores, {cpu}; {}", load_average());
    println!(
        "server: {} pid {} on {:?}; pace {:?} for {} s; {} connections, {} voters, announcements {}",
        args.binary.display(),
        server.pid(),
        args.backend,
        args.pace(),
        args.duration,
        args.connections,
        args.voters,
        if args.no_announce { "off" } else { "queued" }
    );
}
