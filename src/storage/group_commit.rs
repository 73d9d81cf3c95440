//! Group commit for votes: requests that arrive together are written in one transaction,
//! and each is answered only after that transaction commits. One commit (one fsync) then
//! serves many webhooks, so ingest is not bound by the disk's sync rate.

use std::sync::Arc;

use anyhow::Context;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::votes::VoteWrite;
use super::{Connection, Db, VoteOutcome};
use crate::domain::events::Vote;

/// At most this many votes share one transaction.
const MAX_BATCH: usize = 256;
/// Votes waiting for a writer; beyond this, senders wait (backpressure).
const QUEUE: usize = 4096;

struct Pending {
    connection: Connection,
    vote: Vote,
    now: i64,
    reply: oneshot::Sender<anyhow::Result<VoteOutcome>>,
}

/// The handle webhooks store votes through; cheap to clone. Its writer tasks end when the
/// last handle is dropped.
#[derive(Clone)]
pub struct VoteWriter {
    queue: mpsc::Sender<Pending>,
}

impl VoteWriter {
    /// Starts the writer tasks: one on SQLite (it has a single writer anyway), several on
    /// Postgres, so one batch's commit overlaps the next batch's statements.
    pub fn start(db: Db) -> VoteWriter {
        let writers = if db.is_postgres() { 4 } else { 1 };
        let (queue, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..writers {
            tokio::spawn(write_batches(db.clone(), receiver.clone()));
        }
        VoteWriter { queue }
    }

    /// Stores a vote as [`Db::record_vote`] does, sharing the transaction with the votes that
    /// arrive at the same time. Returns once that transaction committed (or failed).
    pub async fn record(
        &self,
        connection: Connection,
        vote: Vote,
        now: i64,
    ) -> anyhow::Result<VoteOutcome> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            connection,
            vote,
            now,
            reply,
        };
        self.queue
            .send(pending)
            .await
            .ok()
            .context("the vote writer has stopped")?;
        answer.await.context("the vote writer has stopped")?
    }
}

/// Takes whatever is queued (up to [`MAX_BATCH`]) and commits it, until the queue closes.
async fn write_batches(db: Db, receiver: Arc<Mutex<mpsc::Receiver<Pending>>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        {
            let mut receiver = receiver.lock().await;
            if receiver.recv_many(&mut batch, MAX_BATCH).await == 0 {
                return;
            }
        }
        commit(&db, std::mem::take(&mut batch)).await;
    }
}

/// Commits a batch and answers each request. When the shared transaction fails, each vote
/// is retried alone, so one bad vote cannot fail the others.
async fn commit(db: &Db, batch: Vec<Pending>) {
    let writes: Vec<VoteWrite> = batch.iter().map(write_of).collect();
    let started = std::time::Instant::now();
    let result = db.record_votes(&writes).await;
    tracing::debug!(
        votes = writes.len(),
        micros = started.elapsed().as_micros() as u64,
        "batch committed"
    );
    match result {
        Ok(outcomes) => {
            for (pending, outcome) in batch.into_iter().zip(outcomes) {
                let _ = pending.reply.send(Ok(outcome));
            }
        }
        Err(error) if batch.len() > 1 => {
            tracing::warn!(
                error = format!("{error:#}"),
                votes = batch.len(),
                "group commit failed; storing each vote alone"
            );
            for pending in batch {
                let outcome = db.record_votes(&[write_of(&pending)]).await;
                let _ = pending.reply.send(outcome.map(|mut o| o.remove(0)));
            }
        }
        Err(error) => {
            if let Some(pending) = batch.into_iter().next() {
                let _ = pending.reply.send(Err(error));
            }
        }
    }
}

fn write_of(pending: &Pending) -> VoteWrite<'_> {
    VoteWrite {
        connection: &pending.connection,
        vote: &pending.vote,
        now: pending.now,
    }
}
