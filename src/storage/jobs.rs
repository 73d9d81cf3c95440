//! `jobs` and `role_grants`: the Discord work queue.

use sqlx::FromRow;

use super::pool::BeginWrite;
use super::{Db, with_pool};

pub(super) const INSERT_JOB: &str = "INSERT INTO jobs (kind, guild_id, connection_id, vote_id, \
    payload, due_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub(super) const UPSERT_GRANT: &str = "INSERT INTO role_grants (guild_id, connection_id, role_id, \
    user_id, expires_at) VALUES ($1, $2, $3, $4, $5) \
    ON CONFLICT (guild_id, connection_id, role_id, user_id) DO UPDATE SET expires_at = CASE \
    WHEN role_grants.expires_at IS NULL OR excluded.expires_at IS NULL THEN NULL \
    WHEN excluded.expires_at > role_grants.expires_at THEN excluded.expires_at \
    ELSE role_grants.expires_at END";

/// Inserts planned jobs (and the grants they record) inside the caller's transaction.
macro_rules! insert_planned {
    ($tx:expr, $conn_id:expr, $vote_id:expr, $user_id:expr, $jobs:expr, $now:expr) => {
        for job in $jobs {
            let payload = serde_json::to_string(&job.work)?;
            sqlx::query($crate::storage::jobs::INSERT_JOB)
                .bind(job.work.kind())
                .bind(&job.guild_id)
                .bind($conn_id)
                .bind($vote_id)
                .bind(payload)
                .bind(job.due_at)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
            if let Some(grant) = &job.grant {
                sqlx::query($crate::storage::jobs::UPSERT_GRANT)
                    .bind(&job.guild_id)
                    .bind($conn_id)
                    .bind(&grant.role_id)
                    .bind($user_id)
                    .bind(grant.expires_at)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
    };
}
pub(super) use insert_planned;

/// A queued, claimed or finished job.
#[derive(Debug, Clone, FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub guild_id: String,
    pub connection_id: Option<String>,
    pub vote_id: Option<String>,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub due_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    /// The nonce of the digest this announcement was last posted in.
    pub group_nonce: Option<String>,
}

/// Queue figures for health reports and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub queued: i64,
    pub failed: i64,
    pub done: i64,
}

const JOB_COLUMNS: &str = "id, kind, guild_id, connection_id, vote_id, payload, status, attempts, due_at, last_error, created_at, group_nonce";

impl Db {
    /// Every job, oldest first (for the demo and tests).
    pub async fn all_jobs(&self) -> anyhow::Result<Vec<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY id");
        let jobs = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
        });
        Ok(jobs)
    }

    /// How many jobs are queued, failed and done.
    pub async fn job_counts(&self) -> anyhow::Result<JobCounts> {
        let rows: Vec<(String, i64)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status")
                .fetch_all(pool).await?
        });
        let mut counts = JobCounts::default();
        for (status, n) in rows {
            match status.as_str() {
                "queued" => counts.queued = n,
                "failed" => counts.failed = n,
                "done" => counts.done = n,
                _ => {}
            }
        }
        Ok(counts)
    }
}

const CLAIM_SQLITE: &str = "UPDATE jobs SET lease_until = $1, leased_by = $2 WHERE id IN \
    (SELECT id FROM jobs WHERE status = 'queued' AND due_at <= $3 \
     AND (lease_until IS NULL OR lease_until < $3) ORDER BY due_at, id LIMIT $4) \
    RETURNING id, kind, guild_id, connection_id, vote_id, payload, status, attempts, due_at, last_error, created_at, group_nonce";
const CLAIM_POSTGRES: &str = "UPDATE jobs SET lease_until = $1, leased_by = $2 WHERE id IN \
    (SELECT id FROM jobs WHERE status = 'queued' AND due_at <= $3 \
     AND (lease_until IS NULL OR lease_until < $3) ORDER BY due_at, id LIMIT $4 \
     FOR UPDATE SKIP LOCKED) \
    RETURNING id, kind, guild_id, connection_id, vote_id, payload, status, attempts, due_at, last_error, created_at, group_nonce";

const SETTLE_JOB: &str = "UPDATE jobs SET status = $2, last_error = COALESCE($3, last_error), \
    finished_at = $4, lease_until = NULL WHERE id = $1";

impl Db {
    /// Claims up to `limit` due jobs for `instance` until `lease_until` (unix ms). On Postgres
    /// concurrent claimers skip each other's rows (`FOR UPDATE SKIP LOCKED`).
    pub async fn claim_jobs(
        &self,
        instance: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> anyhow::Result<Vec<Job>> {
        let sql = if self.is_postgres() {
            CLAIM_POSTGRES
        } else {
            CLAIM_SQLITE
        };
        let mut jobs: Vec<Job> = with_pool!(self, pool => {
            sqlx::query_as(sql).bind(lease_until).bind(instance).bind(now).bind(limit)
                .fetch_all(pool).await?
        });
        jobs.sort_by_key(|j| (j.due_at, j.id));
        Ok(jobs)
    }

    /// Extends the lease of jobs this instance still holds.
    pub async fn renew_leases(
        &self,
        instance: &str,
        ids: &[i64],
        lease_until: i64,
    ) -> anyhow::Result<()> {
        for id in ids {
            with_pool!(self, pool => {
                sqlx::query("UPDATE jobs SET lease_until = $1 WHERE id = $2 AND leased_by = $3 AND status = 'queued'")
                    .bind(lease_until).bind(id).bind(instance).execute(pool).await?;
            });
        }
        Ok(())
    }

    /// Gives back every lease this instance holds (on shutdown), so others take the work at once.
    pub async fn release_leases(&self, instance: &str) -> anyhow::Result<()> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE jobs SET lease_until = NULL, leased_by = NULL WHERE leased_by = $1 AND status = 'queued'")
                .bind(instance).execute(pool).await?;
        });
        Ok(())
    }

    /// Clears every lease: only for a single-instance (SQLite) start-up, where a lease can only
    /// belong to a previous run of this same process.
    pub async fn clear_all_leases(&self) -> anyhow::Result<()> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE jobs SET lease_until = NULL, leased_by = NULL WHERE status = 'queued'")
                .execute(pool).await?;
        });
        Ok(())
    }

    /// Records (or with `None` forgets) the digest nonce of these announcements.
    pub async fn set_group_nonce(&self, ids: &[i64], nonce: Option<&str>) -> anyhow::Result<()> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for id in ids {
                sqlx::query("UPDATE jobs SET group_nonce = $1 WHERE id = $2")
                    .bind(nonce).bind(id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Marks a job done.
    pub async fn finish_job(&self, id: i64, now: i64) -> anyhow::Result<()> {
        self.settle_job(id, "done", None, now).await
    }

    /// Marks jobs done, all in one transaction.
    pub async fn finish_jobs(&self, ids: &[i64], now: i64) -> anyhow::Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for id in ids {
                sqlx::query(SETTLE_JOB)
                    .bind(id).bind("done").bind(None::<&str>).bind(now)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Marks a job failed for good, keeping the reason.
    pub async fn fail_job(&self, id: i64, error: &str, now: i64) -> anyhow::Result<()> {
        self.settle_job(id, "failed", Some(error), now).await
    }

    /// Puts a job back in the queue, due at `due_at`, after `attempts` failed attempts.
    pub async fn retry_job(
        &self,
        id: i64,
        due_at: i64,
        attempts: i64,
        error: &str,
    ) -> anyhow::Result<()> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE jobs SET due_at = $2, attempts = $3, last_error = $4, \
                         lease_until = NULL, leased_by = NULL WHERE id = $1")
                .bind(id).bind(due_at).bind(attempts).bind(error).execute(pool).await?;
        });
        Ok(())
    }

    async fn settle_job(
        &self,
        id: i64,
        status: &str,
        error: Option<&str>,
        now: i64,
    ) -> anyhow::Result<()> {
        with_pool!(self, pool => {
            sqlx::query(SETTLE_JOB)
                .bind(id).bind(status).bind(error).bind(now).execute(pool).await?;
        });
        Ok(())
    }

    /// When the next queued job falls due (unix ms), if any.
    pub async fn next_due_at(&self) -> anyhow::Result<Option<i64>> {
        let (due,): (Option<i64>,) = with_pool!(self, pool => {
            sqlx::query_as("SELECT MIN(due_at) FROM jobs WHERE status = 'queued'").fetch_one(pool).await?
        });
        Ok(due)
    }

    /// Drops lapsed grants of a member's role and says whether a live grant still holds it.
    pub async fn release_role_grant(
        &self,
        guild_id: &str,
        user_id: &str,
        role_id: &str,
        now: i64,
    ) -> anyhow::Result<bool> {
        let (held,): (i64,) = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM role_grants WHERE guild_id = $1 AND user_id = $2 AND role_id = $3 \
                         AND expires_at IS NOT NULL AND expires_at <= $4")
                .bind(guild_id).bind(user_id).bind(role_id).bind(now).execute(&mut *tx).await?;
            let held = sqlx::query_as("SELECT COUNT(*) FROM role_grants WHERE guild_id = $1 \
                         AND user_id = $2 AND role_id = $3")
                .bind(guild_id).bind(user_id).bind(role_id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            held
        });
        Ok(held > 0)
    }
}
