//! Group commit for votes: requests that arrive together are written in one transaction,
//! and each is answered only after that transaction commits. One commit (one fsync) then
//! serves many webhooks, so ingest is not bound by the disk's sync rate.
//!
//! Every request waits at most [`STORE_DEADLINE`] and is answered 503 beyond it. With
//! Postgres and a [`Spool`], a batch Postgres cannot take (unreachable, failing, too slow) is
//! committed to the spool instead, and while the spool holds votes new ones join them there,
//! so votes reach Postgres in arrival order.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};

use anyhow::Context;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::pool::{POSTGRES_ATTEMPT, STORE_DEADLINE, bounded, is_unavailable};
use super::spool::Spool;
use super::vote_plan::VoteWrite;
use super::{Connection, Db, VoteOutcome};
use crate::domain::events::Vote;
use crate::domain::time::{SharedClock, Timestamp};

/// After a failed vote write, the database counts as not taking writes for this long (unless
/// a later write succeeds), for /readyz. Counted on the app's clock.
const FAILURE_MEMORY: std::time::Duration = std::time::Duration::from_secs(10);

/// Postgres writer tasks (SQLite has one writer).
const POSTGRES_WRITERS: usize = 4;
/// At most this many votes share one transaction.
const MAX_BATCH: usize = 256;
/// Votes waiting for a writer; beyond this, senders wait (backpressure).
const QUEUE: usize = 4096;

/// A vote waiting for its batch, answered through `reply` once the batch committed.
struct Pending {
    connection: Connection,
    vote: Vote,
    now: Timestamp,
    reply: oneshot::Sender<anyhow::Result<VoteOutcome>>,
}

/// The handle webhooks store votes through; cheap to clone. Its writer tasks end when the
/// last handle is dropped.
#[derive(Clone)]
pub struct VoteWriter {
    queue: mpsc::Sender<Pending>,
    shared: Arc<Shared>,
}

/// What the writer tasks share with the handles.
struct Shared {
    db: Db,
    spool: Option<Spool>,
    clock: SharedClock,
    /// When the last vote write failed, cleared by the next one that commits.
    failed_at: StdMutex<Option<Timestamp>>,
    /// Vote writes that failed for want of a database or went to the spool, ever: a fault
    /// too short for anyone polling [`VoteWriter::failing`] to see still shows here.
    troubles: AtomicU64,
}

impl VoteWriter {
    /// Starts the writers: on SQLite one task (SQLite has a single writer anyway; each batch
    /// runs on the vote connection, see [`vote_thread`](super::vote_thread)), on Postgres
    /// several, so one batch's commit overlaps the next batch's statements.
    /// `clock` times how long a failed write keeps [`VoteWriter::failing`] true.
    pub fn start(db: Db, clock: SharedClock) -> VoteWriter {
        Self::with_spool(db, None, clock)
    }

    /// Like [`VoteWriter::start`]; with Postgres and a spool, votes Postgres cannot take are
    /// committed to the spool (answered [`VoteOutcome::Spooled`]).
    pub fn with_spool(db: Db, spool: Option<Spool>, clock: SharedClock) -> VoteWriter {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let writers = if db.is_postgres() {
            POSTGRES_WRITERS
        } else {
            1
        };
        let shared = Arc::new(Shared {
            db,
            spool,
            clock,
            failed_at: StdMutex::new(None),
            troubles: AtomicU64::new(0),
        });
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..writers {
            tokio::spawn(write_batches(shared.clone(), receiver.clone()));
        }
        VoteWriter { queue, shared }
    }

    /// Votes in the spool waiting for Postgres (0 without a spool).
    pub fn spool_depth(&self) -> i64 {
        self.shared.spool.as_ref().map_or(0, Spool::depth)
    }

    /// How many vote writes failed for want of a database, or went to the spool, since start:
    /// when it moved, votes could not be taken for a while, however short.
    pub fn troubles(&self) -> u64 {
        self.shared.troubles.load(Ordering::Relaxed)
    }

    /// The spool votes Postgres cannot take go to, if any.
    pub fn spool(&self) -> Option<&Spool> {
        self.shared.spool.as_ref()
    }

    /// Whether votes Postgres cannot take go to a spool.
    pub fn has_spool(&self) -> bool {
        self.shared.spool.is_some()
    }

    /// Whether a vote write failed lately (and none committed since).
    pub fn failing(&self) -> bool {
        let failed_at = *self
            .shared
            .failed_at
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        failed_at.is_some_and(|at| self.shared.clock.now().since(at) < FAILURE_MEMORY)
    }

    /// Stores a vote as [`Db::record_vote`] does, sharing the transaction with the votes that
    /// arrive at the same time. Returns once that transaction committed (or failed), and
    /// fails after [`STORE_DEADLINE`] whatever happens.
    pub async fn record(
        &self,
        connection: Connection,
        vote: Vote,
        now: Timestamp,
    ) -> anyhow::Result<VoteOutcome> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            connection,
            vote,
            now,
            reply,
        };
        let queued = async {
            self.queue
                .send(pending)
                .await
                .ok()
                .context("the vote writer has stopped")?;
            answer.await.context("the vote writer has stopped")?
        };
        bounded(STORE_DEADLINE, queued).await
    }
}

/// Takes whatever is queued (up to [`MAX_BATCH`]) and commits it, until the queue closes.
async fn write_batches(shared: Arc<Shared>, receiver: Arc<Mutex<mpsc::Receiver<Pending>>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        {
            let mut receiver = receiver.lock().await;
            if receiver.recv_many(&mut batch, MAX_BATCH).await == 0 {
                return;
            }
        }
        // A request that gave up (answered 503) need not be written: Top.gg sends it again.
        batch.retain(|p: &Pending| !p.reply.is_closed());
        if !batch.is_empty() {
            tracing::trace!(votes = batch.len(), "committing a batch of votes");
            commit(&shared, std::mem::take(&mut batch)).await;
        }
    }
}

/// Commits a batch and answers each request. When the shared transaction fails, each vote
/// is retried alone, so one bad vote cannot fail the others.
async fn commit(shared: &Shared, batch: Vec<Pending>) {
    let writes: Vec<VoteWrite> = batch.iter().map(write_of).collect();
    if let Some(spool) = shared.spool.as_ref().filter(|s| s.depth() > 0) {
        // Older votes wait in the spool: these go behind them.
        let result = spool_batch(shared, spool, &writes).await;
        return answer_all(batch, result);
    }
    let result = store(shared, &writes).await;
    match result {
        Ok(outcomes) => {
            for (pending, outcome) in batch.into_iter().zip(outcomes) {
                let _ = pending.reply.send(Ok(outcome));
            }
        }
        Err(error) if batch.len() > 1 && !is_unavailable(&error) => {
            warn_alone(&error, batch.len());
            for pending in batch {
                let outcome = store(shared, &[write_of(&pending)]).await;
                let _ = pending.reply.send(outcome.map(|mut o| o.remove(0)));
            }
        }
        Err(error) => answer_all(batch, Err(error)),
    }
}

fn warn_alone(error: &anyhow::Error, votes: usize) {
    tracing::warn!(
        error = format!("{error:#}"),
        votes,
        "group commit failed; storing each vote alone"
    );
}

/// Stores in the database; with a spool, what the database cannot take goes to the spool.
async fn store(shared: &Shared, writes: &[VoteWrite<'_>]) -> anyhow::Result<Vec<VoteOutcome>> {
    let stored = match &shared.spool {
        Some(_) => bounded(POSTGRES_ATTEMPT, shared.db.record_votes(writes)).await,
        None => shared.db.record_votes(writes).await,
    };
    match (stored, &shared.spool) {
        (Ok(outcomes), _) => {
            shared.note(true);
            Ok(outcomes)
        }
        (Err(error), Some(spool)) if is_unavailable(&error) => {
            tracing::warn!(
                error = format!("{error:#}"),
                votes = writes.len(),
                "the database cannot take votes; committing them to the spool"
            );
            spool_batch(shared, spool, writes).await
        }
        (Err(error), _) => {
            if is_unavailable(&error) {
                shared.note(false);
            }
            Err(error)
        }
    }
}

async fn spool_batch(
    shared: &Shared,
    spool: &Spool,
    writes: &[VoteWrite<'_>],
) -> anyhow::Result<Vec<VoteOutcome>> {
    match spool.push(writes).await {
        Ok(()) => {
            shared.troubles.fetch_add(1, Ordering::Relaxed);
            Ok(vec![VoteOutcome::Spooled; writes.len()])
        }
        Err(error) => {
            shared.note(false);
            Err(error.context("the spool cannot take the votes either"))
        }
    }
}

/// Answers every request of a batch with the same result.
fn answer_all(batch: Vec<Pending>, result: anyhow::Result<Vec<VoteOutcome>>) {
    match result {
        Ok(outcomes) => {
            for (pending, outcome) in batch.into_iter().zip(outcomes) {
                let _ = pending.reply.send(Ok(outcome));
            }
        }
        Err(error) => {
            let reason = format!("{error:#}");
            for pending in batch {
                let _ = pending.reply.send(Err(anyhow::anyhow!(reason.clone())));
            }
        }
    }
}

impl Shared {
    /// Remembers whether the last vote write committed.
    fn note(&self, committed: bool) {
        if !committed {
            self.troubles.fetch_add(1, Ordering::Relaxed);
        }
        let mut failed_at = self.failed_at.lock().unwrap_or_else(|p| p.into_inner());
        *failed_at = if committed {
            None
        } else {
            Some(self.clock.now())
        };
    }
}

fn write_of(pending: &Pending) -> VoteWrite<'_> {
    VoteWrite {
        connection: &pending.connection,
        vote: &pending.vote,
        now: pending.now,
    }
}
