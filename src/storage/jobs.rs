//! `jobs` and `role_grants`: the Discord work queue.

use super::Db;
use super::job::{Job, JobId, JobRow, JobStatus};
use super::sql::{Sql, WriteTx};
use crate::domain::ids::{ConnectionId, VoteId};
use crate::domain::time::Timestamp;
use crate::domain::work::PlannedJob;

/// The columns of [`JobRow`], for `SELECT` and `RETURNING`.
const JOB_COLUMNS: &str = "id, guild_id, connection_id, vote_id, payload, status, attempts, \
    due_at, last_error, created_at, group_nonce, open_claims";

/// Takes due, unleased jobs. Postgres adds `FOR UPDATE SKIP LOCKED` so concurrent claimers
/// skip each other's rows; SQLite has one writer at a time and no row locks.
fn claim_sql(skip_locked: bool) -> String {
    let lock = if skip_locked {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    format!(
        "UPDATE jobs SET lease_until = $1, leased_by = $2, open_claims = open_claims + 1 \
         WHERE id IN \
         (SELECT id FROM jobs WHERE status = 'queued' AND due_at <= $3 \
         AND (lease_until IS NULL OR lease_until < $3) ORDER BY due_at, id LIMIT $4{lock}) \
         RETURNING {JOB_COLUMNS}"
    )
}

const SETTLE_JOB: &str = "UPDATE jobs SET status = $2, last_error = COALESCE($3, last_error), \
    finished_at = $4, lease_until = NULL, open_claims = 0 WHERE id = $1";

const UPSERT_GRANT: &str = "INSERT INTO role_grants (guild_id, connection_id, role_id, \
    user_id, expires_at) VALUES ($1, $2, $3, $4, $5) \
    ON CONFLICT (guild_id, connection_id, role_id, user_id) DO UPDATE SET expires_at = CASE \
    WHEN role_grants.expires_at IS NULL OR excluded.expires_at IS NULL THEN NULL \
    WHEN excluded.expires_at > role_grants.expires_at THEN excluded.expires_at \
    ELSE role_grants.expires_at END";

/// Jobs per `INSERT` (7 parameters each), well under both backends' parameter limits.
const JOB_ROWS: usize = 1000;

/// A planned job with what it came from, ready to queue.
pub(super) struct NewJob<'a> {
    pub connection: &'a ConnectionId,
    pub vote: Option<&'a VoteId>,
    pub planned: &'a PlannedJob,
    pub now: Timestamp,
}

impl WriteTx {
    /// Queues the jobs (one statement per thousand) and records the role grants they make.
    pub(super) async fn insert_jobs(&mut self, jobs: &[NewJob<'_>]) -> anyhow::Result<()> {
        let params = self.params();
        for chunk in jobs.chunks(JOB_ROWS) {
            let text = format!(
                "INSERT INTO jobs (kind, guild_id, connection_id, vote_id, payload, due_at, \
                 created_at) VALUES {}",
                params.rows(chunk.len(), 7)
            );
            let mut insert = Sql::once(text, chunk.len() * 7);
            for job in chunk {
                let work = &job.planned.work;
                insert.push(work.kind());
                insert.push(&job.planned.guild_id);
                insert.push(job.connection);
                insert.push(job.vote);
                insert.push(serde_json::to_string(work)?);
                insert.push(job.planned.due_at);
                insert.push(job.now);
            }
            self.execute(insert).await?;
        }
        for job in jobs {
            if let Some((grant, user)) = job.planned.grant_for() {
                let upsert = Sql::new(UPSERT_GRANT)
                    .bind(&job.planned.guild_id)
                    .bind(job.connection)
                    .bind(&grant.role_id)
                    .bind(user)
                    .bind(grant.expires_at);
                self.execute(upsert).await?;
            }
        }
        Ok(())
    }
}

impl Db {
    /// Every job, oldest first (for the demo and tests).
    pub async fn all_jobs(&self) -> anyhow::Result<Vec<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY id");
        let rows: Vec<JobRow> = self.fetch_all(Sql::built(sql)).await?;
        rows.into_iter()
            .map(|row| {
                row.decode()
                    .map_err(|(id, e)| anyhow::anyhow!("job {id} is unreadable: {e}"))
            })
            .collect()
    }

    /// Claims up to `limit` due jobs for `instance` until `lease_until`, soonest due first.
    /// A job whose work cannot be read fails at once.
    pub async fn claim_jobs(
        &self,
        instance: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> anyhow::Result<Vec<Job>> {
        let sql = Sql::built(claim_sql(self.is_postgres()))
            .bind(lease_until)
            .bind(instance)
            .bind(now)
            .bind(limit);
        let rows: Vec<JobRow> = self.fetch_all(sql).await?;
        let mut jobs = Vec::with_capacity(rows.len());
        for row in rows {
            match row.decode() {
                Ok(job) => jobs.push(job),
                Err((id, e)) => {
                    let error = format!("unreadable job: {e}");
                    tracing::warn!(job = %id, %error, "job failed");
                    self.fail_job(id, &error, now).await?;
                }
            }
        }
        jobs.sort_by_key(|j| (j.due_at, j.id));
        Ok(jobs)
    }

    /// Extends the lease of jobs this instance still holds.
    pub async fn renew_leases(
        &self,
        instance: &str,
        ids: &[JobId],
        lease_until: Timestamp,
    ) -> anyhow::Result<()> {
        for id in ids {
            let sql = Sql::new(
                "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND leased_by = $3 \
                 AND status = 'queued'",
            );
            self.execute(sql.bind(lease_until).bind(id.get()).bind(instance))
                .await?;
        }
        Ok(())
    }

    /// Gives back every lease this instance holds (on shutdown), so others take the work at once.
    pub async fn release_leases(&self, instance: &str) -> anyhow::Result<()> {
        let sql = Sql::new(
            "UPDATE jobs SET lease_until = NULL, leased_by = NULL, open_claims = 0 \
             WHERE leased_by = $1 AND status = 'queued'",
        );
        self.execute(sql.bind(instance)).await?;
        Ok(())
    }

    /// Clears every lease: only for a single-instance (SQLite) start-up, where a lease can only
    /// belong to a previous run of this same process.
    pub async fn clear_all_leases(&self) -> anyhow::Result<()> {
        let sql = Sql::new(
            "UPDATE jobs SET lease_until = NULL, leased_by = NULL WHERE status = 'queued'",
        );
        self.execute(sql).await?;
        Ok(())
    }

    /// Records (or with `None` forgets) the digest nonce of these announcements.
    pub async fn set_group_nonce(&self, ids: &[JobId], nonce: Option<&str>) -> anyhow::Result<()> {
        let mut tx = self.begin_write().await?;
        for id in ids {
            let sql = Sql::new("UPDATE jobs SET group_nonce = $1 WHERE id = $2");
            tx.execute(sql.bind(nonce).bind(id.get())).await?;
        }
        tx.commit().await
    }

    /// Marks a job done.
    pub async fn finish_job(&self, id: JobId, now: Timestamp) -> anyhow::Result<()> {
        self.execute(settle(id, JobStatus::Done, None, now)).await?;
        Ok(())
    }

    /// Marks jobs done, all in one transaction.
    pub async fn finish_jobs(&self, ids: &[JobId], now: Timestamp) -> anyhow::Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for &id in ids {
            tx.execute(settle(id, JobStatus::Done, None, now)).await?;
        }
        tx.commit().await
    }

    /// Marks a job failed for good, keeping the reason.
    pub async fn fail_job(&self, id: JobId, error: &str, now: Timestamp) -> anyhow::Result<()> {
        self.execute(settle(id, JobStatus::Failed, Some(error), now))
            .await?;
        Ok(())
    }

    /// Puts a job back in the queue, due at `due_at`, after `attempts` failed attempts.
    pub async fn retry_job(
        &self,
        id: JobId,
        due_at: Timestamp,
        attempts: i64,
        error: &str,
    ) -> anyhow::Result<()> {
        let sql = Sql::new(
            "UPDATE jobs SET due_at = $2, attempts = $3, last_error = $4, \
             lease_until = NULL, leased_by = NULL, open_claims = 0 WHERE id = $1",
        );
        self.execute(sql.bind(id.get()).bind(due_at).bind(attempts).bind(error))
            .await?;
        Ok(())
    }

    /// When the next queued job falls due, if any.
    pub async fn next_due_at(&self) -> anyhow::Result<Option<Timestamp>> {
        let sql = Sql::new("SELECT MIN(due_at) FROM jobs WHERE status = 'queued'");
        let (due,): (Option<Timestamp>,) = self.fetch_one(sql).await?;
        Ok(due)
    }
}

fn settle(id: JobId, status: JobStatus, error: Option<&str>, now: Timestamp) -> Sql<'_> {
    Sql::new(SETTLE_JOB)
        .bind(id.get())
        .bind(status.as_str())
        .bind(error)
        .bind(now)
}
