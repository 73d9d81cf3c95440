//! Leases on queued jobs: claimed for a while on the database's clock, renewed while the work
//! runs, and settled (done, failed, retried, parked) only by the instance that holds them. A
//! settle by an instance that lost its lease changes nothing and says so (`false`).

use std::time::Duration;

use super::Db;
use super::instances::db_now_ms;
use super::job::{Job, JobId, JobRow, JobStatus};
use super::jobs::JOB_COLUMNS;
use super::sql::Sql;
use crate::domain::time::Timestamp;

/// Claims on Postgres take this transaction-level advisory lock, one claim at a time, so a
/// claim sees every lease an earlier one took (row locks alone would let two claims split one
/// channel's announcements).
const CLAIM_LOCK: i64 = 0x746f_7067_675f_636c;

/// The kinds whose jobs post to a channel: one instance at a time works a guild's.
const POSTING_KINDS: &str = "('announce', 'test_notice')";

/// Takes due jobs no one holds a live lease on, except the announcements of a guild whose
/// announcements another instance holds now. Postgres adds `FOR UPDATE SKIP LOCKED`.
fn claim_sql(postgres: bool) -> String {
    let now = db_now_ms(postgres);
    let lock = if postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    format!(
        "UPDATE jobs SET lease_until = {now} + $1, leased_by = $2, open_claims = open_claims + 1 \
         WHERE id IN (SELECT id FROM jobs j WHERE status = 'queued' \
         AND (kind NOT IN {POSTING_KINDS} OR NOT EXISTS (SELECT 1 FROM jobs held \
           WHERE held.guild_id = j.guild_id AND held.status = 'queued' \
           AND held.leased_by IS NOT NULL AND held.kind IN {POSTING_KINDS} \
           AND held.leased_by <> $2 AND held.lease_until >= {now})) \
         AND due_at <= $3 AND (lease_until IS NULL OR lease_until < {now}) \
         ORDER BY due_at, id LIMIT $4{lock}) \
         RETURNING {JOB_COLUMNS}"
    )
}

const SETTLE_JOB: &str = "UPDATE jobs SET status = $2, last_error = COALESCE($3, last_error), \
    finished_at = $4, lease_until = NULL, open_claims = 0 WHERE id = $1 AND leased_by = $5 \
    AND status = 'queued'";

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl Db {
    /// Claims up to `limit` jobs due at `now` for `instance`, leased for `lease` on the
    /// database's clock, soonest due first. A job whose work cannot be read fails at once.
    pub async fn claim_jobs(
        &self,
        instance: &str,
        now: Timestamp,
        lease: Duration,
        limit: i64,
    ) -> anyhow::Result<Vec<Job>> {
        let mut tx = self.begin_write().await?;
        if tx.is_postgres() {
            let lock = Sql::new("SELECT pg_advisory_xact_lock($1)");
            tx.execute(lock.bind(CLAIM_LOCK)).await?;
        }
        let sql = Sql::built(claim_sql(self.is_postgres()))
            .bind(millis(lease))
            .bind(instance)
            .bind(now)
            .bind(limit);
        let rows: Vec<JobRow> = tx.fetch_all(sql).await?;
        tx.commit().await?;
        let mut jobs = Vec::with_capacity(rows.len());
        for row in rows {
            match row.decode() {
                Ok(job) => jobs.push(job),
                Err((id, e)) => {
                    let error = format!("unreadable job: {e}");
                    tracing::warn!(job = %id, %error, "job failed");
                    self.fail_job(instance, id, &error, now).await?;
                }
            }
        }
        jobs.sort_by_key(|j| (j.due_at, j.id));
        Ok(jobs)
    }

    /// Extends the leases `instance` still holds to `lease` from now on the database's clock;
    /// returns the jobs whose lease it lost (another instance took them, or they are gone).
    pub async fn renew_leases(
        &self,
        instance: &str,
        ids: &[JobId],
        lease: Duration,
    ) -> anyhow::Result<Vec<JobId>> {
        let now = db_now_ms(self.is_postgres());
        let text = format!(
            "UPDATE jobs SET lease_until = {now} + $1 WHERE id = $2 AND leased_by = $3 \
             AND status = 'queued'"
        );
        let mut lost = Vec::new();
        for &id in ids {
            let sql = Sql::built(text.clone()).bind(millis(lease));
            if self.execute(sql.bind(id.get()).bind(instance)).await? == 0 {
                lost.push(id);
            }
        }
        Ok(lost)
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

    /// Records (or with `None` forgets) the digest nonce of the announcements `instance`
    /// holds among `ids`.
    pub async fn set_group_nonce(
        &self,
        instance: &str,
        ids: &[JobId],
        nonce: Option<&str>,
    ) -> anyhow::Result<()> {
        let mut tx = self.begin_write().await?;
        for id in ids {
            let sql = Sql::new("UPDATE jobs SET group_nonce = $1 WHERE id = $2 AND leased_by = $3");
            tx.execute(sql.bind(nonce).bind(id.get()).bind(instance))
                .await?;
        }
        tx.commit().await
    }

    /// Marks a job done; `false` when `instance` no longer holds it (nothing changed).
    pub async fn finish_job(
        &self,
        instance: &str,
        id: JobId,
        now: Timestamp,
    ) -> anyhow::Result<bool> {
        let settled = settle(id, JobStatus::Done, None, now).bind(instance);
        Ok(self.execute(settled).await? > 0)
    }

    /// Marks the jobs `instance` holds among `ids` done, in one transaction; returns how many.
    pub async fn finish_jobs(
        &self,
        instance: &str,
        ids: &[JobId],
        now: Timestamp,
    ) -> anyhow::Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        let mut settled = 0;
        for &id in ids {
            let sql = settle(id, JobStatus::Done, None, now).bind(instance);
            settled += tx.execute(sql).await?;
        }
        tx.commit().await?;
        Ok(settled)
    }

    /// Marks a job failed for good, keeping the reason; `false` when `instance` no longer
    /// holds it.
    pub async fn fail_job(
        &self,
        instance: &str,
        id: JobId,
        error: &str,
        now: Timestamp,
    ) -> anyhow::Result<bool> {
        let settled = settle(id, JobStatus::Failed, Some(error), now).bind(instance);
        Ok(self.execute(settled).await? > 0)
    }

    /// Puts a job `instance` holds back in the queue, due at `due_at`, after `attempts` failed
    /// attempts; `false` when it no longer holds it (nothing changed).
    pub async fn retry_job(
        &self,
        instance: &str,
        id: JobId,
        due_at: Timestamp,
        attempts: i64,
        error: &str,
    ) -> anyhow::Result<bool> {
        let sql = Sql::new(
            "UPDATE jobs SET due_at = $2, attempts = $3, last_error = $4, \
             lease_until = NULL, leased_by = NULL, open_claims = 0 \
             WHERE id = $1 AND leased_by = $5 AND status = 'queued'",
        );
        let sql = sql.bind(id.get()).bind(due_at).bind(attempts).bind(error);
        Ok(self.execute(sql.bind(instance)).await? > 0)
    }
}

fn settle(id: JobId, status: JobStatus, error: Option<&str>, now: Timestamp) -> Sql<'_> {
    Sql::new(SETTLE_JOB)
        .bind(id.get())
        .bind(status.as_str())
        .bind(error)
        .bind(now)
}
