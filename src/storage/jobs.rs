//! `jobs` and `role_grants`: the Discord work queue.

use super::Db;
use super::job::{Job, JobRow};
use super::sql::{Sql, WriteTx};
use crate::domain::ids::{ConnectionId, VoteId};
use crate::domain::time::Timestamp;
use crate::domain::work::PlannedJob;

/// The columns of [`JobRow`], for `SELECT` and `RETURNING`.
pub(super) const JOB_COLUMNS: &str = "id, guild_id, connection_id, vote_id, payload, status, attempts, \
    due_at, last_error, created_at, group_nonce, open_claims";

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

    /// When the next queued job falls due, if any.
    pub async fn next_due_at(&self) -> anyhow::Result<Option<Timestamp>> {
        let sql = Sql::new("SELECT MIN(due_at) FROM jobs WHERE status = 'queued'");
        let (due,): (Option<Timestamp>,) = self.fetch_one(sql).await?;
        Ok(due)
    }
}
