//! SQLite's only vote path: a batch runs on a blocking connection (rusqlite) of its own to
//! the database file, its statements back to back, with no hand-off to and from sqlx's
//! connection thread per statement, which took about half of a batch's time under load (see
//! docs/performance.md). [`Db::record_votes`](super::Db::record_votes) and
//! [`Db::import_votes`](super::Db::import_votes) run it on tokio's blocking pool, and the
//! group commit of webhooks goes through them: tests that record votes run what production
//! runs.
//!
//! The connection is opened as sqlx opens its own (the same `SQLITE_PRAGMAS` and busy timeout),
//! and one left inside a transaction by a failure is closed and opened again for the next
//! batch.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context;
use rusqlite::{Connection as Rusqlite, TransactionBehavior};

use super::Connection;
use super::pool::{BUSY_TIMEOUT, SQLITE_PRAGMAS};
use super::reminders::reminder_statements;
use super::sql::Sql;
use super::vote_batch::{ReadIds, decode_batch_read};
use super::vote_plan::{VoteOutcome, VoteWrite, key_order, outcomes};
use super::vote_rows::{keys_json, votes_json};
use super::vote_sql::{SQLITE_READ, SQLITE_WRITES};
use super::votes::{Effects, plan_batch};
use crate::domain::events::Vote;
use crate::domain::time::Timestamp;

/// The connection SQLite's vote batches run on, shared by every clone of the
/// [`Db`](super::Db): opened on first use, and again after a failure left it unusable. One
/// batch runs at a time (SQLite has one writer anyway).
#[derive(Clone)]
pub struct SqliteVotes {
    state: Arc<Mutex<VoteConnection>>,
}

struct VoteConnection {
    path: PathBuf,
    conn: Option<Rusqlite>,
}

impl std::fmt::Debug for SqliteVotes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteVotes")
    }
}

impl SqliteVotes {
    /// Votes for the SQLite database at `path` (opened when the first batch comes).
    pub(super) fn new(path: &Path) -> Self {
        let state = VoteConnection {
            path: path.to_owned(),
            conn: None,
        };
        SqliteVotes {
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// Stores a batch on tokio's blocking pool; `effects` says what it sets in motion.
    pub(super) async fn record(
        &self,
        writes: &[VoteWrite<'_>],
        effects: Effects,
    ) -> anyhow::Result<Vec<VoteOutcome>> {
        let owned: Vec<(Connection, Vote, Timestamp)> = writes
            .iter()
            .map(|w| (w.connection.clone(), w.vote.clone(), w.now))
            .collect();
        let votes = self.clone();
        let run = move || {
            let writes: Vec<VoteWrite> = owned
                .iter()
                .map(|(connection, vote, now)| VoteWrite {
                    connection,
                    vote,
                    now: *now,
                })
                .collect();
            votes.lock().record(&writes, effects)
        };
        tokio::task::spawn_blocking(run)
            .await
            .context("the SQLite vote batch did not finish")?
    }

    /// Closes the connection (a later batch opens it again).
    pub(super) fn close(&self) {
        self.lock().conn = None;
    }

    /// The connection's state; after a panic mid-batch, with the connection dropped.
    fn lock(&self) -> MutexGuard<'_, VoteConnection> {
        self.state.lock().unwrap_or_else(|poisoned| {
            self.state.clear_poison();
            let mut state = poisoned.into_inner();
            state.conn = None;
            state
        })
    }
}

impl VoteConnection {
    fn record(
        &mut self,
        writes: &[VoteWrite<'_>],
        effects: Effects,
    ) -> anyhow::Result<Vec<VoteOutcome>> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => self.conn.insert(open(&self.path)?),
        };
        let result = record_batch(conn, writes, effects);
        if !conn.is_autocommit() {
            // The failed transaction's rollback failed too: start afresh.
            self.conn = None;
        }
        result
    }
}

fn open(path: &Path) -> rusqlite::Result<Rusqlite> {
    let conn = Rusqlite::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    for (name, value) in SQLITE_PRAGMAS {
        conn.pragma_update(None, name, value)?;
    }
    Ok(conn)
}

/// Records a batch in one `BEGIN IMMEDIATE` transaction and commits it: one read statement,
/// the plan (shared with Postgres, `votes::plan_batch`), one statement per table, then the
/// reminders.
fn record_batch(
    conn: &mut Rusqlite,
    writes: &[VoteWrite<'_>],
    effects: Effects,
) -> anyhow::Result<Vec<VoteOutcome>> {
    let order = key_order(writes);
    let votes = votes_json(writes, &order)?;
    let keys = keys_json(writes, &order)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let columns = tx
        .prepare_cached(SQLITE_READ)?
        .query_row([&votes, &keys], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let (read, links) = decode_batch_read(writes, &order, ReadIds::AlreadyStored, columns)?;
    if read.new.is_empty() {
        tx.commit()?;
        return Ok(outcomes(writes.len(), &HashMap::new()));
    }
    let plan = plan_batch(writes, &read.new, &read.voters, links, effects)?;
    let rows = &plan.rows;
    let params = [&votes, &rows.totals, &rows.months, &rows.jobs, &rows.grants];
    for (text, param) in SQLITE_WRITES.into_iter().zip(params) {
        Sql::new(text).bind(param).execute_on(&tx)?;
    }
    for r in &plan.reminders {
        for statement in reminder_statements(r.connection, &r.voter, r.due, writes[0].now)? {
            statement.execute_on(&tx)?;
        }
    }
    tx.commit()?;
    Ok(outcomes(writes.len(), &plan.stored))
}

#[cfg(test)]
mod tests;
