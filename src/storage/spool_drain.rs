//! Moves spooled votes into Postgres, oldest first, as soon as it answers. Each vote is
//! stored by [`Db::record_votes`] with the time it arrived, so totals, streaks and queued
//! Discord work are what they would have been; a vote is forgotten by the spool only after
//! Postgres committed it. A crash between the two moves it again, which Postgres ignores as a
//! duplicate vote id: each vote takes effect exactly once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::pool::{POSTGRES_ATTEMPT, bounded, is_unavailable};
use super::spool::{Spool, Spooled};
use super::vote_plan::VoteWrite;
use super::{Db, VoteOutcome};

/// Votes moved per Postgres transaction.
const MOVE_BATCH: i64 = 256;
/// The pause after a failed attempt doubles up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// Runs until `stop`: whenever the spool holds votes, moves them into `db` and wakes the
/// delivery worker (`work_queued`) for the work they queued.
pub async fn drain_spool(
    db: Db,
    spool: Spool,
    work_queued: Arc<Notify>,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let mut backoff = FIRST_BACKOFF;
    loop {
        if spool.depth() == 0 {
            tokio::select! {
                _ = stop.cancelled() => return Ok(()),
                _ = spool.pushed() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            continue;
        }
        match move_oldest(&db, &spool).await {
            Ok(moved) => {
                backoff = FIRST_BACKOFF;
                if moved > 0 {
                    work_queued.notify_one();
                }
            }
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    spooled = spool.depth(),
                    "cannot move spooled votes into the database yet"
                );
                tokio::select! {
                    _ = stop.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Moves the oldest batch; returns how many votes were stored for the first time.
async fn move_oldest(db: &Db, spool: &Spool) -> anyhow::Result<usize> {
    let batch = spool.oldest(MOVE_BATCH).await?;
    let writes: Vec<VoteWrite> = batch.iter().map(write_of).collect();
    match bounded(POSTGRES_ATTEMPT * 2, db.record_votes(&writes)).await {
        Ok(outcomes) => {
            let seqs: Vec<i64> = batch.iter().map(|s| s.seq).collect();
            spool.remove(&seqs).await?;
            let stored = count_stored(&outcomes);
            tracing::info!(
                moved = batch.len(),
                stored,
                left = spool.depth(),
                "spooled votes moved"
            );
            Ok(stored)
        }
        Err(error) if is_unavailable(&error) => Err(error),
        Err(_) => move_one_by_one(db, spool, &batch).await,
    }
}

/// A batch that failed for a reason of its own: each vote alone, in order. A vote that can
/// never be stored (its connection was deleted meanwhile) is dropped with an error line
/// rather than blocking every vote behind it.
async fn move_one_by_one(db: &Db, spool: &Spool, batch: &[Spooled]) -> anyhow::Result<usize> {
    let mut stored = 0;
    for spooled in batch {
        match bounded(POSTGRES_ATTEMPT * 2, db.record_votes(&[write_of(spooled)])).await {
            Ok(outcomes) => stored += count_stored(&outcomes),
            Err(error) if is_unavailable(&error) => return Err(error),
            Err(error) => tracing::error!(
                error = format!("{error:#}"),
                vote = %spooled.vote.id,
                connection = %spooled.connection.connection_id,
                "a spooled vote cannot be stored (its connection is gone?); dropped"
            ),
        }
        spool.remove(&[spooled.seq]).await?;
    }
    Ok(stored)
}

fn count_stored(outcomes: &[VoteOutcome]) -> usize {
    outcomes
        .iter()
        .filter(|o| matches!(o, VoteOutcome::Stored { .. }))
        .count()
}

fn write_of(spooled: &Spooled) -> VoteWrite<'_> {
    VoteWrite {
        connection: &spooled.connection,
        vote: &spooled.vote,
        now: spooled.received_at,
    }
}
