//! The only place with SQL. One [`Db`] over SQLite (embedded default) or Postgres, chosen by
//! URL; each table's queries live in their own file as `impl Db` blocks.

mod connection_cache;
mod connections;
mod group_commit;
mod guild_state;
mod guilds;
mod jobs;
mod links;
mod maintenance;
pub mod pool;
mod reminders;
mod spool;
mod spool_drain;
mod vote_batch;
mod vote_plan;
mod votes;

use anyhow::Context;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

pub use connection_cache::{CONNECTION_TTL, ConnectionCache};
pub use connections::Connection;
pub use group_commit::VoteWriter;
pub use guild_state::NameToRefresh;
pub use guilds::{
    GuildLink, LeaderboardRow, LinkHealth, OwnedConnection, RoleSetting, VoterFigures,
};
pub use jobs::{Job, JobCounts};
pub use maintenance::{Pruned, QueueFigures};
pub use pool::{STORE_DEADLINE, is_unavailable};
pub use reminders::ReminderFigures;
pub use spool::Spool;
pub use spool_drain::drain_spool;
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
    /// Connects to `sqlite://...` (created if missing, WAL, foreign keys on) or `postgres://...`,
    /// with every wait bounded (see [`pool`]).
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Db::Postgres(pool::connect_postgres(url).await?));
        }
        Ok(Db::Sqlite(pool::connect_sqlite(url, 4).await?))
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

    /// Whether the database takes a write now: one small committed write (on SQLite the
    /// header's `user_version` rewritten unchanged, on Postgres a transaction that takes a
    /// transaction id), bounded in time.
    pub async fn takes_writes(&self) -> bool {
        use pool::BeginWrite;
        let probe = async {
            with_pool!(self, pool => {
                let mut tx = pool.begin_write().await?;
                if self.is_postgres() {
                    sqlx::query("SELECT txid_current()").execute(&mut *tx).await?;
                } else {
                    let (version,): (i64,) = sqlx::query_as("PRAGMA user_version")
                        .fetch_one(&mut *tx).await?;
                    let sql = format!("PRAGMA user_version = {version}");
                    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
                }
                tx.commit().await?;
            });
            Ok(())
        };
        pool::bounded(pool::LOOKUP_DEADLINE * 2, probe)
            .await
            .is_ok()
    }

    /// Closes every pooled connection.
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }
}
