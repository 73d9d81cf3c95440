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

/// Where a job stands (the `status` column, its lowercase name). Read and bound by derive: a
/// stored value this version does not know is a decode error naming it, never a panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type, strum::IntoStaticStr)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum JobStatus {
    /// Waiting to run, due or not (a worker may hold a lease on it).
    Queued,
    Done,
    /// Failed for good.
    Failed,
}

impl JobStatus {
    /// The stored name: `queued`, `done` or `failed`.
    pub fn as_str(self) -> &'static str {
        self.into()
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

#[cfg(test)]
mod tests {
    use topgg_testkit::postgres::{drop_postgres_database, fresh_postgres_database};

    use super::*;
    use crate::domain::message::Style;
    use crate::storage::Db;
    use crate::storage::sql::Sql;

    /// Each status and style is read back as the name it was bound by (a `NULL` style as
    /// none); a name this version does not know is an error that names it.
    async fn names_round_trip_and_an_unknown_one_is_named(db: Db) {
        for status in [JobStatus::Queued, JobStatus::Done, JobStatus::Failed] {
            let sql = Sql::new("SELECT CAST($1 AS TEXT) AS status").bind(status.as_str());
            assert_eq!(db.fetch_one::<(JobStatus,)>(sql).await.unwrap(), (status,));
        }
        let unknown = Sql::new("SELECT CAST('paused' AS TEXT) AS status");
        let error = db.fetch_one::<(JobStatus,)>(unknown).await.unwrap_err();
        assert!(format!("{error:#}").contains("\"paused\""), "{error:#}");
        for style in [Style::Embed, Style::Text] {
            let sql = Sql::new("SELECT CAST($1 AS TEXT) AS style").bind(style.as_str());
            assert_eq!(db.fetch_one::<(Style,)>(sql).await.unwrap(), (style,));
        }
        let null = Sql::new("SELECT CAST(NULL AS TEXT) AS style");
        assert_eq!(
            db.fetch_one::<(Option<Style>,)>(null).await.unwrap(),
            (None,)
        );
        let unknown = Sql::new("SELECT CAST('fancy' AS TEXT) AS style");
        let error = db.fetch_one::<(Option<Style>,)>(unknown).await.unwrap_err();
        assert!(format!("{error:#}").contains("\"fancy\""), "{error:#}");
        db.close().await;
    }

    #[tokio::test]
    async fn job_statuses_and_styles_are_read_by_their_stored_names_on_both_backends() {
        // Only SELECTs of literals: any connection of an in-memory database will do.
        let sqlite = Db::connect("sqlite::memory:").await.unwrap();
        names_round_trip_and_an_unknown_one_is_named(sqlite).await;
        if let Some((url, name)) = fresh_postgres_database().await {
            names_round_trip_and_an_unknown_one_is_named(Db::connect(&url).await.unwrap()).await;
            drop_postgres_database(&name).await;
        }
    }
}
