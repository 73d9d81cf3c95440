//! The application: HTTP server, delivery worker and Discord gateway, started and stopped as one.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use secrecy::SecretString;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::bot;
use crate::config::Config;
use crate::delivery::Worker;
use crate::discord::{Discord, DiscordRest, DryRunSink};
use crate::domain::time::{Clock, SharedClock, SystemClock};
use crate::housekeeping;
use crate::http::{self, AppState, VOTE_LOG_PERIOD, VoteLog};
use crate::metrics::Metrics;
use crate::storage::{ConnectionCache, Db, Spool, VoteWriter};

/// How long shutdown waits for in-flight work before giving up on it: the process must end
/// within 10 s of SIGTERM (the HTTP server itself gives answers in progress 5 s).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// A built application: database migrated, listener bound, not yet serving.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    discord: Discord,
    /// The token and HTTP client, where this instance runs a gateway.
    gateway: Option<(SecretString, reqwest::Client)>,
    instance: String,
    /// With Postgres: where votes go while it cannot take them.
    spool: Option<Spool>,
}

impl Application {
    /// Connects and migrates the database and binds `http.listen`.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(config.http.listen)
            .await
            .with_context(|| format!("cannot listen on {} (http.listen)", config.http.listen))?;
        Self::with_listener(config, listener).await
    }

    /// Like [`Application::build`] with a listener the caller bound (tests and the demo bind
    /// port 0 and derive `http.public_url` from it).
    pub async fn with_listener(
        config: Config,
        listener: TcpListener,
    ) -> anyhow::Result<Application> {
        Self::with_listener_and_clock(config, listener, SystemClock::shared()).await
    }

    /// Like [`Application::with_listener`], reading the time from `clock` and waiting on it:
    /// delivery's due times, retries, leases and rate-limit rests, reward expiries, reminders,
    /// retention, name refreshes and the signature window. Tests pass a
    /// [`ManualClock`](crate::domain::time::ManualClock) and advance it instead of sleeping.
    pub async fn with_listener_and_clock(
        config: Config,
        listener: TcpListener,
        clock: SharedClock,
    ) -> anyhow::Result<Application> {
        let db = Db::connect(&config.database.url).await?;
        db.migrate().await?;
        if !db.is_postgres() {
            db.clear_all_leases().await?;
        }
        let client = reqwest::Client::builder()
            .build()
            .context("cannot build the HTTP client")?;
        let discord = discord_client(&config, client.clone())?;
        let gateway = match (&config.discord.token, config.runs_gateway()) {
            (Some(token), true) => Some((token.clone(), client)),
            _ => None,
        };
        let integration_secret = config
            .topgg
            .integration_secret
            .clone()
            .unwrap_or_else(|| SecretString::new(String::new()));
        if let Some(warning) = http::integration::public_url_warning(&config.http.public_url) {
            tracing::warn!("{warning}");
        }
        let spool = match db.is_postgres() {
            true => Some(Spool::open(&config.database.spool_path).await?),
            false => None,
        };
        let votes = VoteWriter::with_spool(db.clone(), spool.clone());
        let connections = ConnectionCache::new(db.clone());
        let state = AppState {
            config: Arc::new(config),
            db,
            integration_secret: Arc::new(integration_secret),
            work_queued: Arc::new(Notify::new()),
            gateway: gateway.as_ref().map(|_| bot::GatewayStatus::default()),
            discord: discord.clone(),
            metrics: Metrics::new(),
            votes,
            connections,
            vote_log: Arc::new(VoteLog::new(VOTE_LOG_PERIOD)),
            clock,
        };
        let instance = instance_id();
        Ok(Application {
            listener,
            state,
            discord,
            gateway,
            instance,
            spool,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// The clock this application reads the time from.
    pub fn clock(&self) -> SharedClock {
        self.state.clock.clone()
    }

    /// The dry-run sink, when `discord.dry_run` is on.
    pub fn dry_run_sink(&self) -> Option<DryRunSink> {
        match &self.discord {
            Discord::DryRun(sink) => Some(sink.clone()),
            Discord::Rest(_) => None,
        }
    }

    /// Runs the HTTP server and the delivery worker until `shutdown` resolves or one of them
    /// stops; then stops accepting, finishes in-flight requests and leaves queued work queued.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        let mut tasks: JoinSet<(&'static str, anyhow::Result<()>)> = JoinSet::new();
        let app = http::router(self.state.clone());
        tracing::info!(addr = %self.local_addr(), "HTTP server listening");
        let limits = http::ServeLimits::from_config(&self.state.config.http);
        let served = http::serve(
            self.listener,
            app,
            limits,
            self.state.metrics.clone(),
            stop.clone(),
        );
        tasks.spawn(async move { ("HTTP server", served.await) });
        let worker = Worker::new(
            self.state.db.clone(),
            self.discord.clone(),
            self.state.work_queued.clone(),
            self.instance,
        )
        .with_lease(self.state.config.delivery.lease())
        .with_metrics(self.state.metrics.clone())
        .with_clock(self.state.clock.clone());
        let worker_stop = stop.clone();
        tasks.spawn(async move { ("delivery worker", worker.run(worker_stop).await) });
        let housekeeping = housekeeping::run(
            self.state.db.clone(),
            self.state.metrics.clone(),
            self.state.config.database.retention_days,
            self.state.clock.clone(),
            stop.clone(),
        );
        tasks.spawn(async move { ("housekeeping", housekeeping.await) });
        if let Some(spool) = self.spool.clone() {
            let drain = crate::storage::drain_spool(
                self.state.db.clone(),
                spool,
                self.state.work_queued.clone(),
                stop.clone(),
            );
            tasks.spawn(async move { ("spool mover", drain.await) });
        }
        let names = crate::guild::names::run_refresh(
            self.state.db.clone(),
            self.discord.clone(),
            self.state.clock.clone(),
            stop.clone(),
        );
        tasks.spawn(async move { ("name refresh", names.await) });
        if let (Some((token, client)), Some(status)) = (self.gateway, self.state.gateway.clone()) {
            let setup = bot::GatewaySetup {
                token,
                client,
                db: self.state.db.clone(),
                discord: self.discord.clone(),
                clock: self.state.clock.clone(),
            };
            let handle = bot::GatewayHandle {
                status,
                stop: stop.clone(),
            };
            let config = self.state.config.clone();
            tasks.spawn(async move {
                (
                    "Discord gateway",
                    bot::run_gateway(&config, setup, handle).await,
                )
            });
        }
        let result = supervise(&mut tasks, &stop, shutdown).await;
        self.state.db.close().await;
        if let Some(spool) = &self.spool {
            spool.close().await;
        }
        result
    }
}

/// Waits for the shutdown signal or the first task to end, then stops the rest.
async fn supervise(
    tasks: &mut JoinSet<(&'static str, anyhow::Result<()>)>,
    stop: &CancellationToken,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut result = Ok(());
    tokio::select! {
        _ = shutdown => {}
        Some(ended) = tasks.join_next() => {
            let (name, outcome) = ended.context("a task panicked")?;
            result = Err(match outcome {
                Ok(()) => anyhow::anyhow!("{name} stopped unexpectedly"),
                Err(e) => e.context(format!("{name} stopped")),
            });
        }
    }
    stop.cancel();
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while let Some(ended) = tasks.join_next().await {
            if let Ok((name, Err(e))) = ended {
                tracing::error!(error = format!("{e:#}"), "{name} failed while stopping");
            }
        }
    });
    if drained.await.is_err() {
        tracing::warn!("shutdown grace period over; abandoning unfinished tasks");
        tasks.abort_all();
    }
    result
}

fn discord_client(config: &Config, client: reqwest::Client) -> anyhow::Result<Discord> {
    if config.discord.dry_run {
        return Ok(Discord::DryRun(DryRunSink::default()));
    }
    let token = config
        .discord
        .token
        .clone()
        .context("discord.token is required")?;
    let rest = DiscordRest::new(client, &config.discord.api_url, token)
        .with_token_recheck(config.discord.token_recheck());
    Ok(Discord::Rest(rest))
}

/// This process's name on its leases: `<host>-<pid>-<start ms, hex>`. Unique even where
/// instances share a host name or a PID (containers all run as PID 1), because releasing
/// leases by name must never touch another live instance's work. The start is the wall
/// clock's, not the app's: instances on one test clock must still differ.
fn instance_id() -> String {
    let started = SystemClock.now().as_millis();
    format!("{}-{}-{started:x}", hostname(), std::process::id())
}

/// `HOSTNAME`, else the kernel's host name (systemd does not export `HOSTNAME`).
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "topgg-bot".into())
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed by this call, not on first poll,
/// so a signal that arrives while the application is still starting is not lost: call it
/// before [`Application::build`].
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    async move {
        #[cfg(unix)]
        tokio::select! {
            _ = recv(&mut term) => {},
            _ = recv(&mut int) => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown signal received");
    }
}

#[cfg(unix)]
async fn recv(signal: &mut Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}
