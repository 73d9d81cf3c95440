//! SQLite's vote batches, on a thread of their own with a blocking connection (rusqlite) to
//! the same database file: a batch runs its statements back to back, with no hand-off to and
//! from sqlx's connection thread per statement, which took about half of a batch's time under
//! load (see docs/performance.md). The statements and the planning are the ones sqlx runs in
//! [`Db::record_votes`](super::Db::record_votes); only how they are run differs.
//!
//! The connection is opened as sqlx opens its own (WAL, `synchronous=FULL`, foreign keys, the
//! same busy timeout), and one left inside a transaction by a failure is closed and opened
//! again for the next batch.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, TransactionBehavior, params};

use super::pool::BUSY_TIMEOUT;
use super::reminders::{DROP_EARLIER, DueReminder, QUEUE};
use super::vote_batch::{links_by_connection, sqlite_batch_read};
use super::vote_plan::{VoteOutcome, VoteWrite, key_order, outcomes};
use super::vote_rows::{keys_json, votes_json};
use super::vote_sql::{SQLITE_READ, SQLITE_WRITES};
use super::votes::plan_batch;
use crate::domain::reminder::reminder_work;
use crate::domain::time::Timestamp;

/// The vote thread's connection, opened on first use and again after a failure left it
/// unusable.
pub(super) struct SqliteVotes {
    path: PathBuf,
    conn: Option<Connection>,
}

impl SqliteVotes {
    pub fn new(path: &Path) -> Self {
        SqliteVotes {
            path: path.to_owned(),
            conn: None,
        }
    }

    /// Stores a batch as [`Db::record_votes`](super::Db::record_votes) does.
    pub fn record(&mut self, writes: &[VoteWrite<'_>]) -> anyhow::Result<Vec<VoteOutcome>> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => self.conn.insert(open(&self.path)?),
        };
        let result = record_batch(conn, writes);
        if !conn.is_autocommit() {
            // The failed transaction's rollback failed too: start afresh.
            self.conn = None;
        }
        result
    }
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA temp_store = MEMORY;",
    )?;
    Ok(conn)
}

fn record_batch(
    conn: &mut Connection,
    writes: &[VoteWrite<'_>],
) -> anyhow::Result<Vec<VoteOutcome>> {
    let order = key_order(writes);
    let votes = votes_json(writes, &order)?;
    let keys = keys_json(writes, &order)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let columns = tx
        .prepare_cached(SQLITE_READ)?
        .query_row([&votes, &keys], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let read = sqlite_batch_read(writes, &order, columns)?;
    if read.new.is_empty() {
        tx.commit()?;
        return Ok(outcomes(writes.len(), &HashMap::new()));
    }
    let links = links_by_connection(writes, &read.new, read.links.unwrap_or_default());
    let plan = plan_batch(writes, &read.new, &read.voters, &links)?;
    let rows = &plan.rows;
    let params = [&votes, &rows.totals, &rows.months, &rows.jobs, &rows.grants];
    for (text, param) in SQLITE_WRITES.iter().zip(params) {
        tx.prepare_cached(text)?.execute([param])?;
    }
    for reminder in &plan.reminders {
        queue_reminder(&tx, reminder, writes[0].now)?;
    }
    tx.commit()?;
    Ok(outcomes(writes.len(), &plan.stored))
}

/// As `WriteTx::schedule_reminder`: queues the reminder, replacing a queued earlier one.
fn queue_reminder(tx: &Connection, r: &DueReminder<'_>, now: Timestamp) -> anyhow::Result<()> {
    let (connection, voter) = (r.connection.as_str(), r.voter.as_str());
    let work = reminder_work(r.connection, r.voter, r.due);
    tx.prepare_cached(DROP_EARLIER)?
        .execute(params![connection, voter, r.due.as_millis()])?;
    tx.prepare_cached(QUEUE)?.execute(params![
        work.kind(),
        connection,
        serde_json::to_string(&work)?,
        r.due.as_millis(),
        r.due.max(now).as_millis(),
        voter,
    ])?;
    Ok(())
}
