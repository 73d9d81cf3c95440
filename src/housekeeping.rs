//! Background upkeep: retention of raw votes and finished jobs, deletion of vote histories
//! detached for longer than [`HISTORY_GRACE`], and metrics maintenance.

use std::time::Duration;

use tokio::time::{MissedTickBehavior, interval};
use tokio_util::sync::CancellationToken;

use crate::domain::time::{DAY, SharedClock, Timestamp};
use crate::metrics::Metrics;
use crate::storage::{Db, HISTORY_GRACE};

/// How often retention runs (and once at start-up), on the app's clock.
pub const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// How often histogram samples are folded into buckets between scrapes (real time: it keeps
/// memory flat, whatever the app's clock says). Until then each request's latency waits in a
/// buffer of 8 bytes a sample: at 100,000 requests/s, 10 s of them were 8 MB.
const UPKEEP_EVERY: Duration = Duration::from_secs(1);

/// Runs retention at start and every [`PRUNE_EVERY`] until `stop`. `retention_days == 0`
/// keeps raw votes forever (detached histories still go after [`HISTORY_GRACE`]). Several
/// instances pruning the same database is harmless.
pub async fn run(
    db: Db,
    metrics: Metrics,
    retention_days: u32,
    clock: SharedClock,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let mut upkeep = interval(UPKEEP_EVERY);
    upkeep.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut next_prune = clock.now();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            _ = upkeep.tick() => metrics.run_upkeep(),
            _ = clock.sleep_until(next_prune) => {
                // One instant for the whole pass, and the next is timed from it: a clock moved
                // while this pass ran (a slow database) makes the next one due at once.
                let now = clock.now();
                if retention_days > 0 {
                    prune_once(&db, &metrics, retention_days, now).await;
                }
                forget_detached_histories(&db, &metrics, now).await;
                next_prune = now + PRUNE_EVERY;
            }
        }
    }
}

/// One retention pass at `now`; failures are logged and retried at the next pass.
pub async fn prune_once(db: &Db, metrics: &Metrics, retention_days: u32, now: Timestamp) {
    let before = now - DAY * retention_days;
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

/// Deletes the vote histories that lost their last connection more than [`HISTORY_GRACE`]
/// before `now`; a failure is logged and retried at the next pass.
pub async fn forget_detached_histories(db: &Db, metrics: &Metrics, now: Timestamp) {
    match db.forget_detached_histories(now - HISTORY_GRACE).await {
        Ok(0) => {}
        Ok(histories) => {
            metrics.pruned("histories", histories);
            tracing::info!(histories, "deleted vote histories detached for 7 days");
        }
        Err(e) => tracing::warn!(error = format!("{e:#}"), "detached histories not deleted"),
    }
}
