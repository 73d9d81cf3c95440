//! A job as the queue holds it: its id, status and decoded work.

use std::fmt;

use sqlx::FromRow;

use crate::domain::ids::{ConnectionId, Guild, GuildId, Lenient, VoteId};
use crate::domain::time::Timestamp;
use crate::domain::work::Work;

/// The id of a job in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::Type)]
#[sqlx(transparent)]
pub struct JobId(i64);

impl JobId {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl From<i64> for JobId {
    fn from(id: i64) -> Self {
        JobId(id)
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a job stands (the `status` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting to run, due or not (a worker may hold a lease on it).
    Queued,
    Done,
    /// Failed for good.
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }
}

impl TryFrom<String> for JobStatus {
    type Error = String;
    fn try_from(status: String) -> Result<Self, String> {
        match status.as_str() {
            "queued" => Ok(JobStatus::Queued),
            "done" => Ok(JobStatus::Done),
            "failed" => Ok(JobStatus::Failed),
            _ => Err(format!("unknown job status {status:?}")),
        }
    }
}

/// A queued, claimed or finished job, its work decoded.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: JobId,
    /// `None` for work that belongs to no guild (reminder DMs, stored with `''`).
    pub guild_id: Option<GuildId>,
    pub connection_id: Option<ConnectionId>,
    pub vote_id: Option<VoteId>,
    pub work: Work,
    pub status: JobStatus,
    pub attempts: i64,
    pub due_at: Timestamp,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    /// The nonce of the digest this announcement was last posted in.
    pub group_nonce: Option<String>,
    /// Claimed before by a run that neither settled nor gave it back (killed, or its lease
    /// lapsed mid-call): it may already have been posted under its own nonce.
    pub interrupted: bool,
}

impl Job {
    /// The job kind (the `kind` column), as the work names it.
    pub fn kind(&self) -> &'static str {
        self.work.kind()
    }
}

/// A job as stored: its work still JSON.
#[derive(FromRow)]
pub(super) struct JobRow {
    id: JobId,
    #[sqlx(try_from = "Lenient<Guild>")]
    guild_id: Option<GuildId>,
    connection_id: Option<ConnectionId>,
    vote_id: Option<VoteId>,
    payload: String,
    #[sqlx(try_from = "String")]
    status: JobStatus,
    attempts: i64,
    due_at: Timestamp,
    last_error: Option<String>,
    created_at: Timestamp,
    group_nonce: Option<String>,
    open_claims: i64,
}

impl JobRow {
    pub(super) fn decode(self) -> Result<Job, (JobId, serde_json::Error)> {
        let work = serde_json::from_str(&self.payload).map_err(|e| (self.id, e))?;
        Ok(Job {
            id: self.id,
            guild_id: self.guild_id,
            connection_id: self.connection_id,
            vote_id: self.vote_id,
            work,
            status: self.status,
            attempts: self.attempts,
            due_at: self.due_at,
            last_error: self.last_error,
            created_at: self.created_at,
            group_nonce: self.group_nonce,
            interrupted: self.open_claims > 1,
        })
    }
}
