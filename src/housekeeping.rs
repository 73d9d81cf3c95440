//! Background upkeep: retention of raw votes and finished jobs, and metrics maintenance.

use std::time::Duration;

use tokio::time::{MissedTickBehavior, interval};
use tokio_util::sync::CancellationToken;

use crate::domain::now_ms;
use crate::domain::time::Timestamp;
use crate::metrics::Metrics;
use crate::storage::Db;

/// How often retention runs (and once at start-up).
pub const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// How often histogram samples are folded into buckets between scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(10);
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Runs retention at start and every [`PRUNE_EVERY`] until `stop`. `retention_days == 0`
/// keeps raw votes forever. Several instances pruning the same database is harmless.
pub async fn run(
    db: Db,
    metrics: Metrics,
    retention_days: u32,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let mut prune = interval(PRUNE_EVERY);
    let mut upkeep = interval(UPKEEP_EVERY);
    prune.set_missed_tick_behavior(MissedTickBehavior::Delay);
    upkeep.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            _ = upkeep.tick() => metrics.run_upkeep(),
            _ = prune.tick() => {
                if retention_days > 0 {
                    prune_once(&db, &metrics, retention_days).await;
                }
            }
        }
    }
}

/// One retention pass; failures are logged and retried at the next pass.
pub async fn prune_once(db: &Db, metrics: &Metrics, retention_days: u32) {
    let before = Timestamp::from_millis(now_ms() - i64::from(retention_days) * DAY_MS);
    match db.prune(before).await {
        Ok(pruned) => {
            metrics.pruned("votes", pruned.votes);
            metrics.pruned("jobs", pruned.jobs);
            if pruned.votes + pruned.jobs > 0 {
                tracing::info!(
                    votes = pruned.votes,
                    jobs = pruned.jobs,
                    retention_days,
                    "pruned"
                );
            }
        }
        Err(e) => tracing::warn!(error = format!("{e:#}"), "retention pass failed"),
    }
    if let Err(e) = db.prune_reminder_notices(before).await {
        tracing::warn!(error = format!("{e:#}"), "cannot prune reminder notices");
    }
}
