//! The only place with SQL. One [`Db`] over SQLite (embedded default) or Postgres, chosen by
//! URL; each table's queries live in their own file as `impl Db` blocks.

mod connection_cache;
mod connections;
mod group_commit;
mod guilds;
mod jobs;
mod links;
mod maintenance;
mod reminders;
mod vote_batch;
mod vote_plan;
mod votes;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

pub use connection_cache::{CONNECTION_TTL, ConnectionCache};
pub use connections::Connection;
pub use group_commit::VoteWriter;
pub use guilds::{GuildLink, LeaderboardRow, LinkHealth, OwnedConnection, VoterFigures};
pub use jobs::{Job, JobCounts};
pub use maintenance::{Pruned, QueueFigures};
pub use reminders::ReminderFigures;
pub use votes::{VoteOutcome, VoteWrite};

/// Runs `$body` with `$pool` bound to the concrete pool of either backend. The body is
/// compiled once per backend, so the same query text serves both (`$1` binds in SQLite too).
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::storage::Db::Sqlite($pool) => $body,
            $crate::storage::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// A handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    /// Connects to `sqlite://...` (created if missing, WAL, foreign keys on) or `postgres://...`.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await
                .context("cannot connect to the Postgres database")?;
            return Ok(Db::Postgres(pool));
        }
        let options = SqliteConnectOptions::from_str(url)
            .context("database.url is not a valid sqlite:// URL")?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .context("cannot open the SQLite database")?;
        Ok(Db::Sqlite(pool))
    }

    /// Applies the embedded migrations of this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        }
        .context("database migration failed")
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.is_ok())
    }

    /// Closes every pooled connection.
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }
}
