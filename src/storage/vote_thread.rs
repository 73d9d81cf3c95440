//! SQLite's vote batches, on a thread of their own with a blocking connection (rusqlite) to
//! the same database file: a batch runs its statements back to back, with no hand-off to and
//! from sqlx's connection thread per statement, which took about half of a batch's time under
//! load (see docs/performance.md). The statements and the planning are the ones sqlx runs in
//! [`Db::record_votes`](super::Db::record_votes); only how they are run differs.
//!
//! The connection is opened as sqlx opens its own (the same `SQLITE_PRAGMAS` and busy timeout),
//! and one left inside a transaction by a failure is closed and opened
//! again for the next batch.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, TransactionBehavior};

use tokio::sync::mpsc;

use super::group_commit::{MAX_BATCH, Pending, Shared, answer_all, warn_alone, write_of};
use super::pool::{BUSY_TIMEOUT, SQLITE_PRAGMAS, is_unavailable};
use super::reminders::reminder_statements;
use super::sql::Sql;
use super::vote_batch::{links_by_connection, sqlite_batch_read};
use super::vote_plan::{VoteOutcome, VoteWrite, key_order, outcomes};
use super::vote_rows::{keys_json, votes_json};
use super::vote_sql::{SQLITE_READ, SQLITE_WRITES};
use super::votes::plan_batch;

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

/// SQLite: takes whatever is queued (up to [`MAX_BATCH`]) and commits it on this thread,
/// until the queue closes.
pub(super) fn write_on_thread(
    shared: &Shared,
    mut receiver: mpsc::Receiver<Pending>,
    mut votes: SqliteVotes,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = receiver.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            let Ok(next) = receiver.try_recv() else {
                break;
            };
            batch.push(next);
        }
        batch.retain(|p: &Pending| !p.reply.is_closed());
        if batch.is_empty() {
            continue;
        }
        tracing::trace!(votes = batch.len(), "committing a batch of votes");
        let writes: Vec<VoteWrite> = batch.iter().map(write_of).collect();
        let result = shared.noted(votes.record(&writes));
        drop(writes);
        match result {
            Err(error) if batch.len() > 1 && !is_unavailable(&error) => {
                warn_alone(&error, batch.len());
                for pending in batch.drain(..) {
                    let outcome = shared.noted(votes.record(&[write_of(&pending)]));
                    let _ = pending.reply.send(outcome.map(|mut o| o.remove(0)));
                }
            }
            result => answer_all(std::mem::take(&mut batch), result),
        }
    }
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    for (name, value) in SQLITE_PRAGMAS {
        conn.pragma_update(None, name, value)?;
    }
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
mod tests {
    use super::*;
    use crate::domain::events::Event;
    use crate::domain::ids::ConnectionId;
    use crate::domain::time::Timestamp;
    use crate::samples::{sample_integration_create, sample_project, sample_vote};
    use crate::storage::Db;

    fn parsed(value: serde_json::Value) -> Event {
        Event::parse(&serde_json::to_vec(&value).unwrap()).unwrap()
    }

    /// A vote is answered once its batch is on disk: the vote thread's connection must fsync
    /// at every commit, like sqlx's.
    #[test]
    fn the_vote_connection_syncs_every_commit_to_the_write_ahead_log() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("votes.db")).unwrap();
        let pragma = |name: &str| -> String {
            conn.query_row(&format!("SELECT * FROM pragma_{name}"), [], |r| {
                r.get::<_, rusqlite::types::Value>(0)
                    .map(|v| format!("{v:?}"))
            })
            .unwrap()
        };
        assert_eq!(pragma("journal_mode"), r#"Text("wal")"#);
        assert_eq!(pragma("synchronous"), "Integer(2)", "2 is FULL");
        assert_eq!(pragma("foreign_keys"), "Integer(1)");
    }

    /// A failure that leaves the connection inside a transaction (both its statement and its
    /// rollback failed) must not fail every later batch: the next one gets a fresh connection.
    #[tokio::test]
    async fn a_connection_left_inside_a_transaction_is_replaced_for_the_next_batch() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("votes.db");
        let db = Db::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let project = sample_project("p1", "server", "700000000000000001");
        let Event::IntegrationCreate(create) =
            parsed(sample_integration_create("c1", "whs", &project, "1"))
        else {
            unreachable!()
        };
        db.upsert_connection(&create, Timestamp::from_millis(0))
            .await
            .unwrap();
        let connection = db
            .connection(&ConnectionId::parse("c1").unwrap())
            .await
            .unwrap()
            .unwrap();
        let write = |vote| VoteWrite {
            connection: &connection,
            vote,
            now: Timestamp::from_millis(1),
        };
        let Event::VoteCreate(first) = parsed(sample_vote("v1", &project, "701", "a")) else {
            unreachable!()
        };
        let Event::VoteCreate(second) = parsed(sample_vote("v2", &project, "702", "b")) else {
            unreachable!()
        };

        let mut votes = SqliteVotes::new(&file);
        votes.record(&[write(&first)]).unwrap();
        let stuck = votes.conn.as_ref().unwrap();
        stuck.execute_batch("BEGIN").unwrap();
        assert!(
            votes.record(&[write(&second)]).is_err(),
            "BEGIN inside BEGIN"
        );
        let outcome = votes.record(&[write(&second)]).unwrap();

        assert!(matches!(outcome[..], [VoteOutcome::Stored { .. }]));
        assert_eq!(
            db.vote_count(&ConnectionId::parse("c1").unwrap())
                .await
                .unwrap(),
            2
        );
        db.close().await;
    }
}
