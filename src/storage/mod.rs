//! The only place with SQL. One [`Db`] over SQLite (embedded default) or Postgres, chosen by
//! URL; each table's queries live in their own file as `impl Db` blocks.

mod api_tokens;
mod bind;
mod connection_cache;
mod connections;
mod dead_letters;
mod embed_links;
mod files;
mod group_commit;
mod guild_columns;
mod guild_state;
mod guilds;
mod histories;
mod instances;
mod job;
mod jobs;
mod leases;
mod links;
mod maintenance;
pub mod pool;
mod reminders;
mod role_pause;
mod spool;
mod spool_drain;
mod spool_rows;
mod sql;
mod vote_batch;
mod vote_plan;
mod vote_rows;
mod vote_sql;
mod vote_thread;
mod votes;
mod webhook_mode;

use anyhow::Context;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

use sql::Sql;

pub use api_tokens::{ApiToken, ApiTokenState};
pub use connection_cache::{
    ConnectionCache, MISS_CHECK_EVERY, RECHECK_EVERY, SYNC_EVERY, UNKNOWN_FOR,
};
pub use connections::{Connection, Fingerprint, SecretText, UNPROVEN_PROJECT};
pub use dead_letters::{DeadLetter, LetterSource, NewDeadLetter};
pub use files::{PRIVATE_MODE, create_private};
pub use group_commit::VoteWriter;
pub use guild_state::NameToRefresh;
pub use guilds::{
    GuildLink, LeaderboardRow, LinkHealth, OwnedConnection, RoleSetting, VoterFigures,
};
pub use histories::HISTORY_GRACE;
pub use instances::INSTANCE_DEAD_AFTER;
pub use job::{Job, JobId, JobStatus};
pub use maintenance::{Pruned, QueueFigures};
pub use pool::{STORE_DEADLINE, is_unavailable};
pub use reminders::ReminderFigures;
pub use role_pause::{Resumed, WAITING_FOR_ROLE};
pub use spool::Spool;
pub use spool_drain::drain_spool;
pub use vote_plan::{VoteOutcome, VoteWrite};
pub use vote_thread::SqliteVotes;
pub use webhook_mode::{FirstEvents, NewWebhookConnection, WebhookConnection};

/// A handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    /// sqlx's pool, and the connection every vote batch runs on ([`SqliteVotes`]).
    Sqlite(SqlitePool, SqliteVotes),
    Postgres(PgPool),
}

impl Db {
    /// Connects to `sqlite://...` (created if missing, WAL, foreign keys on) or `postgres://...`,
    /// with every wait bounded (see [`pool`]).
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Db::Postgres(pool::connect_postgres(url).await?));
        }
        let pool = pool::connect_sqlite(url, 4).await?;
        let votes = SqliteVotes::new(pool.connect_options().get_filename());
        Ok(Db::Sqlite(pool, votes))
    }

    /// Applies the embedded migrations of this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(pool, _) => sqlx::migrate!("./migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        }
        .context("database migration failed")
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        self.execute(Sql::new("SELECT 1")).await.is_ok()
    }

    /// Whether the database takes a write now: one small committed write, bounded in time.
    /// The probe differs by backend: SQLite takes its write lock by rewriting the header's
    /// `user_version` unchanged, Postgres by taking a transaction id.
    pub async fn takes_writes(&self) -> bool {
        let probe = async {
            let mut tx = self.begin_write().await?;
            if tx.is_postgres() {
                tx.execute(Sql::new("SELECT txid_current()")).await?;
            } else {
                let (version,): (i64,) = tx.fetch_one(Sql::new("PRAGMA user_version")).await?;
                let rewrite = format!("PRAGMA user_version = {version}");
                tx.execute(Sql::built(rewrite)).await?;
            }
            tx.commit().await
        };
        pool::bounded(pool::LOOKUP_DEADLINE * 2, probe)
            .await
            .is_ok()
    }

    /// Closes every pooled connection.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool, votes) => {
                votes.close();
                pool.close().await
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }
}

/// A migrated SQLite database in a fresh temporary directory, which lives as long as the
/// returned guard.
#[cfg(test)]
pub(crate) async fn scratch_sqlite() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    (db, dir)
}
