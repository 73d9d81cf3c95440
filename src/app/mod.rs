//! The application: HTTP server, delivery worker and Discord gateway, started and stopped as one.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

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
use crate::domain::time::{SharedClock, SystemClock};
use crate::housekeeping;
use crate::http::{self, AppState, VOTE_LOG_PERIOD, VoteLog};
use crate::metrics::Metrics;
use crate::storage::{ConnectionCache, Db, Spool, VoteWriter};
use crate::topgg::TopggApi;
use crate::topgg::recovery::{self, Recovery};

mod fleet;
mod process;
mod supervise;

use process::instance_id;
pub use process::shutdown_signal;
use supervise::supervise;

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
    /// Top.gg's v1 API (`topgg.api_url`).
    topgg: TopggApi,
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
        let db = Db::connect(config.database.url.expose())
            .await
            .with_context(|| format!("database {}", config.database.url))?;
        db.migrate().await?;
        if !db.is_postgres() {
            db.clear_all_leases().await?;
        }
        let client = reqwest::Client::builder()
            .build()
            .context("cannot build the HTTP client")?;
        let discord = discord_client(&config, client.clone(), clock.clone())?;
        let topgg = TopggApi::new(client.clone(), &config.topgg.api_url);
        let gateway = match (&config.discord.token, config.runs_gateway()) {
            (Some(token), true) => Some((token.clone(), client)),
            _ => None,
        };
        let integration_secret = config.topgg.integration_secret.clone().map(Arc::new);
        if integration_secret.is_none() {
            tracing::info!(
                "no topgg.integration_secret: the configuration URL answers 404; projects connect with /topgg webhook"
            );
        }
        if let Some(warning) = http::integration::public_url_warning(&config.http.public_url) {
            tracing::warn!("{warning}");
        }
        let spool = match db.is_postgres() {
            true => Some(Spool::open(&config.database.spool_path).await?),
            false => None,
        };
        let votes = VoteWriter::with_spool(db.clone(), spool.clone(), clock.clone());
        let connections = ConnectionCache::load(db.clone()).await?;
        let state = AppState {
            config: Arc::new(config),
            db,
            integration_secret,
            work_queued: Arc::new(Notify::new()),
            gateway: gateway.as_ref().map(|_| bot::GatewayStatus::default()),
            discord: discord.clone(),
            metrics: Metrics::new(),
            votes,
            connections,
            vote_log: Arc::new(VoteLog::new(VOTE_LOG_PERIOD)),
            clock,
            probes: http::Probes::new(),
            first_events: Default::default(),
        };
        let instance = instance_id();
        Ok(Application {
            listener,
            state,
            discord,
            gateway,
            instance,
            spool,
            topgg,
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

    /// Every connection this application knows, as the webhook route reads them.
    pub fn connections(&self) -> &ConnectionCache {
        &self.state.connections
    }

    /// The clock this application reads the time from.
    pub fn clock(&self) -> SharedClock {
        self.state.clock.clone()
    }

    /// The dry-run sink, when `discord.dry_run` is on.
    pub fn dry_run_sink(&self) -> Option<DryRunSink> {
        self.discord.dry_run_sink().cloned()
    }

    /// Runs the HTTP server and the delivery worker until `shutdown` resolves or one of them
    /// stops; then stops accepting, finishes in-flight requests and leaves queued work queued.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        let for_commands = self.recovery();
        let recovery = for_commands.clone().run(stop.clone());
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
        let (probed, probe_stop) = (self.state.clone(), stop.clone());
        tasks.spawn(async move { ("probes", http::run_probes(&probed, probe_stop).await) });
        tasks.spawn(async move { ("vote recovery", recovery.await) });
        if self.state.db.is_postgres() {
            fleet::join(&self.state.db, &self.discord, &self.instance).await;
            let heartbeat = fleet::keep_share(
                self.state.db.clone(),
                self.discord.clone(),
                self.instance.clone(),
                stop.clone(),
            );
            tasks.spawn(async move { ("fleet heartbeat", heartbeat.await) });
        }
        let worker = Worker::new(
            self.state.db.clone(),
            self.discord.clone(),
            self.state.work_queued.clone(),
            self.instance,
            self.state.clock.clone(),
        )
        .with_lease(self.state.config.delivery.lease())
        .with_metrics(self.state.metrics.clone());
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
        let sync = self.state.connections.clone().run_sync(stop.clone());
        tasks.spawn(async move { ("connection sync", sync.await) });
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
                connections: self.state.connections.clone(),
                recovery: for_commands,
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

impl Application {
    /// Vote recovery over this application's database, clock and vote path.
    fn recovery(&self) -> Recovery {
        let config = &self.state.config;
        Recovery {
            db: self.state.db.clone(),
            api: self.topgg.clone(),
            clock: self.state.clock.clone(),
            every: config.topgg.recover_every(),
            retention: recovery::retention(config.database.retention_days),
            votes: self.state.votes.clone(),
            work_queued: self.state.work_queued.clone(),
            token_set: Arc::default(),
        }
    }
}

fn discord_client(
    config: &Config,
    client: reqwest::Client,
    clock: SharedClock,
) -> anyhow::Result<Discord> {
    if config.discord.dry_run {
        return Ok(Discord::dry_run(DryRunSink::default()));
    }
    let token = config
        .discord
        .token
        .clone()
        .context("discord.token is required")?;
    let rest = DiscordRest::new(client, &config.discord.api_url, token, clock).with_limits(
        config.discord.token_recheck(),
        config.discord.invalid_budget,
    );
    Ok(Discord::live(rest))
}
