//! What `/readyz` and `/metrics` show that costs a database round trip or a lock shared with
//! the gateway, checked by one background task instead of by each request: a flood of probes
//! or scrapes on the public listener cannot take the write lock or a transaction id away
//! from the votes.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::AppState;
use super::log_limit::LogLimiter;
use crate::bot::GatewayStatus;
use crate::domain::time::SharedClock;
use crate::metrics::Metrics;
use crate::storage::Db;

/// How often the database's write probe and the shards' state are checked.
pub const READINESS_EVERY: Duration = Duration::from_secs(1);
/// How often the queue figures on `/metrics` are read (two `COUNT(*)`s; Prometheus scrapes
/// every 15 s or more).
pub const QUEUE_EVERY: Duration = Duration::from_secs(5);
/// How long a `/readyz` that arrives before the first check waits for it.
const FIRST_CHECK_WAIT: Duration = Duration::from_secs(4);

/// The last background check of what is costly to look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The database took a small committed write.
    pub takes_writes: bool,
    /// `None` where this instance runs no gateway; else every shard connected, or why not.
    pub gateway: Option<Result<(), String>>,
}

/// The latest [`Checked`], shared between the background task and `/readyz`. Cheap to clone.
#[derive(Clone)]
pub struct Probes {
    latest: Arc<watch::Sender<Option<Checked>>>,
}

impl Default for Probes {
    fn default() -> Self {
        Self::new()
    }
}

impl Probes {
    /// Nothing checked yet.
    pub fn new() -> Self {
        Self {
            latest: Arc::new(watch::channel(None).0),
        }
    }

    /// The latest check; before the first one, waits for it (a few seconds at most).
    pub async fn latest(&self) -> Option<Checked> {
        let mut seen = self.latest.subscribe();
        let first = seen.wait_for(Option::is_some);
        match tokio::time::timeout(FIRST_CHECK_WAIT, first).await {
            Ok(Ok(checked)) => checked.clone(),
            _ => None,
        }
    }

    fn publish(&self, checked: Checked) {
        self.latest.send_replace(Some(checked));
    }
}

/// Checks readiness every [`READINESS_EVERY`] and reads the queue figures every
/// [`QUEUE_EVERY`] until `stop` is cancelled.
pub async fn run(state: &AppState, stop: CancellationToken) -> anyhow::Result<()> {
    let readiness = check_readiness(
        state.probes.clone(),
        state.db.clone(),
        state.gateway.clone(),
    );
    let queue = read_queue(state.db.clone(), state.metrics.clone(), state.clock.clone());
    let invalid = count_invalid(state.discord.clone(), state.metrics.clone());
    tokio::select! {
        () = stop.cancelled() => Ok(()),
        () = readiness => Ok(()),
        () = queue => Ok(()),
        () = invalid => Ok(()),
    }
}

async fn check_readiness(probes: Probes, db: Db, gateway: Option<GatewayStatus>) {
    let mut tick = ticker(READINESS_EVERY);
    loop {
        tick.tick().await;
        let takes_writes = db.takes_writes().await;
        let gateway = match &gateway {
            Some(status) => Some(shards(status).await),
            None => None,
        };
        probes.publish(Checked {
            takes_writes,
            gateway,
        });
    }
}

/// The shards' state, read under serenity's lock on its runners: bounded, so a lock held
/// long cannot freeze readiness at its last answer.
async fn shards(status: &GatewayStatus) -> Result<(), String> {
    match tokio::time::timeout(READINESS_EVERY * 2, status.check()).await {
        Ok(checked) => checked,
        Err(_) => Err("shard state unreadable (the shard manager is busy)".into()),
    }
}

async fn read_queue(db: Db, metrics: Metrics, clock: SharedClock) {
    let mut tick = ticker(QUEUE_EVERY);
    let log = LogLimiter::new(Duration::from_secs(60));
    loop {
        tick.tick().await;
        match db.queue_figures(clock.now()).await {
            Ok(figures) => metrics.queue(&figures),
            Err(e) => {
                if let Some(suppressed) = log.admit("queue figures") {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        suppressed,
                        "cannot read queue figures (one line a minute)"
                    );
                }
            }
        }
    }
}

/// Shows Discord's invalid answers of the last 10 minutes on `/metrics`.
async fn count_invalid(discord: crate::discord::Discord, metrics: Metrics) {
    let mut tick = ticker(READINESS_EVERY);
    loop {
        tick.tick().await;
        metrics.discord_invalid_requests(discord.invalid_requests());
    }
}

/// Ticks at once, then every `period`; a slow check delays the next instead of bunching them.
fn ticker(period: Duration) -> tokio::time::Interval {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tick
}
