//! Moves spooled votes into Postgres, oldest first, as soon as it answers. Each vote is
//! stored by [`Db::record_votes`] with the time it arrived, so totals, streaks and queued
//! Discord work are what they would have been; a vote is forgotten by the spool only after
//! Postgres committed it. A crash between the two moves it again, which Postgres ignores as a
//! duplicate vote id: each vote takes effect exactly once. A row that cannot be read, or that
//! Postgres refuses, goes to the dead letters; no row is ever dropped.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::pool::{POSTGRES_ATTEMPT, bounded, is_unavailable};
use super::spool::{Corrupt, Spool, SpoolRow, Spooled};
use super::spool_rows::vote_body;
use super::vote_plan::VoteWrite;
use super::{Db, LetterSource, NewDeadLetter, VoteOutcome};
use crate::domain::ids::ConnectionId;
use crate::domain::time::{Clock, SystemClock};

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

/// Moves the oldest rows; returns how many votes were stored for the first time. The ready
/// rows before the first damaged one go as one batch; a damaged row at the head goes to the
/// dead letters, so it never holds up the rows behind it.
async fn move_oldest(db: &Db, spool: &Spool) -> anyhow::Result<usize> {
    let rows = spool.oldest(MOVE_BATCH).await?;
    let ready: Vec<&Spooled> = rows
        .iter()
        .map_while(|row| match row {
            SpoolRow::Ready(spooled) => Some(spooled.as_ref()),
            SpoolRow::Corrupt(_) => None,
        })
        .collect();
    match rows.first() {
        Some(SpoolRow::Corrupt(corrupt)) => {
            dead_letter(db, spool, corrupt).await?;
            Ok(0)
        }
        _ if ready.is_empty() => Ok(0),
        _ => move_batch(db, spool, &ready).await,
    }
}

/// Moves `batch` in one transaction, or each vote alone when the batch is refused.
async fn move_batch(db: &Db, spool: &Spool, batch: &[&Spooled]) -> anyhow::Result<usize> {
    let writes: Vec<VoteWrite> = batch.iter().map(|s| write_of(s)).collect();
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
        Err(_) => move_one_by_one(db, spool, batch).await,
    }
}

/// A batch that was refused for a reason of its own: each vote alone, in order. A vote the
/// database refuses (its connection was deleted meanwhile, a constraint) goes to the dead
/// letters rather than blocking every vote behind it; an unreachable database stops the
/// pass with every vote left in the spool.
async fn move_one_by_one(db: &Db, spool: &Spool, batch: &[&Spooled]) -> anyhow::Result<usize> {
    let mut stored = 0;
    for spooled in batch {
        match bounded(POSTGRES_ATTEMPT * 2, db.record_votes(&[write_of(spooled)])).await {
            Ok(outcomes) => {
                stored += count_stored(&outcomes);
                spool.remove(&[spooled.seq]).await?;
            }
            Err(error) if is_unavailable(&error) => return Err(error),
            Err(error) => {
                let refused = refused(spooled, &error);
                dead_letter(db, spool, &refused).await?;
            }
        }
    }
    Ok(stored)
}

/// A vote the database refused, as a dead letter.
fn refused(spooled: &Spooled, error: &anyhow::Error) -> Corrupt {
    let vote = serde_json::to_vec(&spooled.vote).expect("a vote serializes");
    Corrupt {
        seq: spooled.seq,
        connection_id: Some(spooled.connection.connection_id.as_str().to_string()),
        body: vote_body(&vote),
        received_at: Some(spooled.received_at),
        reason: format!("a spooled vote the database refused: {error:#}"),
    }
}

/// Keeps `row` as a dead letter, then forgets it: a letter that cannot be stored leaves the
/// row in the spool (the pass fails and is retried).
async fn dead_letter(db: &Db, spool: &Spool, row: &Corrupt) -> anyhow::Result<()> {
    // A damaged row may have lost its connection id, or kept one that is not of its shape.
    let connection = row
        .connection_id
        .as_deref()
        .and_then(|id| ConnectionId::parse(id).ok())
        .unwrap_or_else(|| ConnectionId::parse("unknown").expect("a connection id's shape"));
    let letter = NewDeadLetter {
        connection: &connection,
        source: LetterSource::Spool,
        body: &row.body,
        signature: None,
        trace: None,
        reason: &row.reason,
        received_at: row.received_at.unwrap_or_else(|| SystemClock.now()),
    };
    let id = bounded(POSTGRES_ATTEMPT * 2, db.store_dead_letter(&letter)).await?;
    spool.remove(&[row.seq]).await?;
    spool.count_dead_letter();
    tracing::error!(dead_letter = id, connection = %connection, reason = %row.reason,
        "a spooled vote could not be moved; kept as a dead letter (topgg-bot dead-letters list)");
    Ok(())
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
