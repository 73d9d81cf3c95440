//! How connections are opened, checked and bounded in time: every wait a webhook can meet in
//! storage has a limit, so each answer comes within 4 s (Top.gg gives up at 5 s), and a
//! connection whose transaction did not end cleanly is closed, never handed out again.

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgPool, PgPoolOptions, Postgres};
use sqlx::sqlite::{Sqlite, SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Connection as _, Database, Transaction};

/// The longest a webhook waits for its vote to commit (queue, lock, fsync) before it is
/// answered 503. Top.gg gives up at 5 s.
pub const STORE_DEADLINE: Duration = Duration::from_millis(3500);
/// The longest a connection lookup waits before the request is answered 503 (or, with
/// Postgres unreachable, a last-known connection is used).
pub const LOOKUP_DEADLINE: Duration = Duration::from_millis(1000);
/// The longest one Postgres attempt at a batch of votes may take before the votes go to the
/// spool instead.
pub const POSTGRES_ATTEMPT: Duration = Duration::from_millis(1500);
/// SQLite's busy timeout: how long a statement waits for another writer's lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_millis(2500);
/// How long a caller waits for a pooled connection (SQLite; Postgres uses
/// [`POSTGRES_ACQUIRE`]).
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_millis(2500);
/// How long a caller waits for a Postgres connection: short, so an unreachable server is
/// noticed in time to spool the vote.
pub const POSTGRES_ACQUIRE: Duration = Duration::from_millis(1000);

/// The storage operation did not finish within its bound.
#[derive(Debug, thiserror::Error)]
#[error("storage did not answer within {0:?}")]
pub struct TimedOut(pub Duration);

/// Runs `operation`, failing with [`TimedOut`] after `limit`. Dropping a storage future
/// part-way is safe: its transaction rolls back and [`sqlite_healthy`] (or the Postgres
/// release check) keeps its connection out of the pool.
pub async fn bounded<T>(
    limit: Duration,
    operation: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(limit, operation).await {
        Ok(result) => result,
        Err(_) => Err(TimedOut(limit).into()),
    }
}

/// Whether a failure means the database could not take the write (unreachable, failing,
/// busy, full, too slow), as opposed to something wrong with this particular write (a
/// constraint or data error), which retrying elsewhere would not fix.
pub fn is_unavailable(error: &anyhow::Error) -> bool {
    if error.downcast_ref::<TimedOut>().is_some() {
        return true;
    }
    if let Some(rusqlite::Error::SqliteFailure(failure, _)) = error.downcast_ref() {
        // The vote connection (SQLite, rusqlite): a constraint failure is this write's;
        // full, I/O, busy and the rest are the database's.
        return failure.code != rusqlite::ErrorCode::ConstraintViolation;
    }
    match error.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Database(db)) => {
            let code = db.code().unwrap_or_default();
            // Postgres SQLSTATE classes 22 (data), 23 (integrity), 42 (syntax or rule).
            // SQLite's codes have at most 4 digits; its constraint failures are told by kind.
            let sqlstate = code.len() == 5;
            let this_write = (sqlstate && ["22", "23", "42"].iter().any(|c| code.starts_with(c)))
                || db.is_foreign_key_violation()
                || db.is_unique_violation()
                || db.is_check_violation();
            !this_write
        }
        Some(
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::BeginFailed,
        ) => true,
        _ => false,
    }
}

/// The after-release check on SQLite, in one round trip to the connection's thread: a raw
/// `BEGIN; ROLLBACK` runs after whatever is queued there (a dropped transaction's ROLLBACK)
/// and fails when SQLite itself is inside a transaction (one whose COMMIT and ROLLBACK both
/// failed, as after SQLITE_FULL, or one sqlx does not know about): the connection is then
/// closed, as it is when sqlx still counts it inside one.
async fn sqlite_healthy(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    sqlx::raw_sql("BEGIN; ROLLBACK").execute(&mut *conn).await?;
    Ok(!conn.is_in_transaction())
}

fn checked<DB: Database>(options: PoolOptions<DB>) -> PoolOptions<DB> {
    options.before_acquire(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
}

/// Opens the Postgres pool with bounded waits and checked connections.
pub async fn connect_postgres(url: &str) -> anyhow::Result<PgPool> {
    // Postgres counts a dropped transaction's ROLLBACK at once (no ping needed; the pool
    // pings on release anyway).
    checked(PgPoolOptions::new())
        .after_release(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
        .max_connections(16)
        .acquire_timeout(POSTGRES_ACQUIRE)
        .connect(url)
        .await
        .context("cannot connect to the Postgres database")
}

/// The pragmas of every SQLite connection, sqlx's pool and the vote connection alike: WAL, an
/// fsync at every commit (a vote is answered only once it is on disk), foreign keys,
/// statement journals in memory rather than in files, and a page cache of 512 KiB per
/// connection rather than SQLite's 2 MB (five connections: up to 10 MB of RSS; no cost to
/// the CPU per vote was measured, docs/performance.md).
pub(super) const SQLITE_PRAGMAS: [(&str, &str); 5] = [
    ("journal_mode", "WAL"),
    ("synchronous", "FULL"),
    ("foreign_keys", "ON"),
    ("temp_store", "MEMORY"),
    ("cache_size", "-512"),
];

/// Opens a SQLite pool (created if missing, mode 0600, [`SQLITE_PRAGMAS`]) with bounded waits
/// and checked connections.
pub async fn connect_sqlite(url: &str, max: u32) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)
        .context("database.url is not a valid sqlite:// URL")?
        .create_if_missing(true)
        .busy_timeout(BUSY_TIMEOUT);
    let options = SQLITE_PRAGMAS
        .iter()
        .fold(options, |options, &(name, value)| {
            options.pragma(name, value)
        });
    if let Some(file) = super::files::sqlite_file(options.get_filename()) {
        super::files::create_private(file)?;
    }
    checked(SqlitePoolOptions::new())
        .after_release(|conn, _| Box::pin(sqlite_healthy(conn)))
        .max_connections(max)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .context("cannot open the SQLite database")
}

/// Starts a write transaction. On SQLite that is `BEGIN IMMEDIATE`: the write lock is taken
/// at once (a busy database fails here, within the busy timeout, not at COMMIT), and it
/// refuses to start inside another transaction instead of silently nesting a SAVEPOINT.
pub trait BeginWrite {
    type Db: Database;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

impl BeginWrite for SqlitePool {
    type Db = Sqlite;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Sqlite>, sqlx::Error>> + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Db = Postgres;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Postgres>, sqlx::Error>> + Send {
        self.begin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_and_connection_failures_mean_unavailable_but_not_bad_data() {
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(is_unavailable(&TimedOut(STORE_DEADLINE).into()));
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut.into()));
        assert!(is_unavailable(&sqlx::Error::Io(io).into()));
        assert!(is_unavailable(
            &anyhow::Error::from(sqlx::Error::PoolClosed).context("while storing")
        ));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound.into()));
        assert!(!is_unavailable(&anyhow::anyhow!("something else")));
        let sqlite = |code| rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None);
        assert!(is_unavailable(&sqlite(rusqlite::ffi::SQLITE_FULL).into()));
        assert!(is_unavailable(&sqlite(rusqlite::ffi::SQLITE_BUSY).into()));
        assert!(!is_unavailable(
            &sqlite(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY).into()
        ));
    }

    #[tokio::test]
    async fn a_bounded_operation_fails_at_its_limit() {
        let slow = async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(())
        };
        let error = bounded(Duration::from_millis(10), slow).await.unwrap_err();
        assert!(error.downcast_ref::<TimedOut>().is_some());
    }
}
