//! Operations on the database as a whole: queue figures for metrics, retention, backups.

use std::path::Path;

use anyhow::Context;

use super::Db;
use super::sql::Sql;
use crate::domain::time::Timestamp;

/// Rows deleted per statement, so pruning never holds long locks.
const PRUNE_BATCH: i64 = 5_000;

/// The queue right now, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueFigures {
    /// Jobs waiting to run (due or not).
    pub queued: i64,
    /// Jobs that failed for good.
    pub failed: i64,
    /// How long the most overdue queued job has been due (ms); 0 when none is overdue.
    pub oldest_due_age_ms: i64,
}

/// What one retention pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub votes: u64,
    pub jobs: u64,
}

const PRUNE_VOTES: &str = "DELETE FROM votes WHERE vote_id IN \
    (SELECT vote_id FROM votes WHERE created_at < $1 LIMIT $2)";
const PRUNE_JOBS: &str = "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs \
    WHERE status IN ('done', 'failed') AND COALESCE(finished_at, created_at) < $1 LIMIT $2)";

impl Db {
    /// Queue depth, failures and the age of the most overdue job at `now`.
    pub async fn queue_figures(&self, now: Timestamp) -> anyhow::Result<QueueFigures> {
        let queue = Sql::new("SELECT COUNT(*), MIN(due_at) FROM jobs WHERE status = 'queued'");
        let (queued, oldest): (i64, Option<Timestamp>) = self.fetch_one(queue).await?;
        let failed = Sql::new("SELECT COUNT(*) FROM jobs WHERE status = 'failed'");
        let (failed,): (i64,) = self.fetch_one(failed).await?;
        let oldest_due_age_ms = oldest.map_or(0, |due| now.since(due).as_millis() as i64);
        Ok(QueueFigures {
            queued,
            failed,
            oldest_due_age_ms,
        })
    }

    /// Deletes raw votes cast before `before` and finished (done or failed) jobs settled before
    /// it. Voter totals, streaks and monthly figures are separate tables and stay.
    pub async fn prune(&self, before: Timestamp) -> anyhow::Result<Pruned> {
        Ok(Pruned {
            votes: self.delete_in_batches(PRUNE_VOTES, before).await?,
            jobs: self.delete_in_batches(PRUNE_JOBS, before).await?,
        })
    }

    async fn delete_in_batches(&self, sql: &'static str, before: Timestamp) -> anyhow::Result<u64> {
        let mut total = 0;
        loop {
            let deleted = self
                .execute(Sql::new(sql).bind(before).bind(PRUNE_BATCH))
                .await?;
            total += deleted;
            if deleted < PRUNE_BATCH as u64 {
                return Ok(total);
            }
        }
    }

    /// Writes a consistent copy of a SQLite database to `path` (`VACUUM INTO`: one read
    /// transaction, so writers carry on). Postgres databases are backed up with `pg_dump`.
    pub async fn backup_to(&self, path: &Path) -> anyhow::Result<()> {
        if self.is_postgres() {
            anyhow::bail!(
                "database.url is a Postgres database: back it up with pg_dump \
                 (for example `pg_dump --format=custom --file=topgg-bot.dump DBNAME`)"
            );
        }
        if path.exists() {
            anyhow::bail!("{} already exists: choose a new file", path.display());
        }
        let target = path
            .to_str()
            .context("the backup path is not valid UTF-8")?;
        // VACUUM INTO writes into an empty file it finds, keeping its mode (0600).
        super::files::create_private(path)?;
        let written = self.execute(Sql::new("VACUUM INTO $1").bind(target)).await;
        if let Err(error) = written {
            let _ = std::fs::remove_file(path);
            return Err(error.context(format!("cannot write the backup to {}", path.display())));
        }
        Ok(())
    }
}
