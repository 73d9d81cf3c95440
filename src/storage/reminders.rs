//! `reminder_optins`, `reminder_notices` and the queued `remind` jobs: vote reminders.
//!
//! At most one reminder per (connection, voter) is queued (a partial unique index): a later
//! expiry replaces an earlier queued one, which is deleted (an instance already sending it
//! finds nothing to settle). Opt-ins go with their connection (`ON DELETE CASCADE`); its
//! queued jobs are deleted by `delete_connection`.

use super::pool::BeginWrite;
use super::{Db, with_pool};

pub(super) const DROP_EARLIER: &str = "DELETE FROM jobs WHERE kind = 'remind' \
    AND status = 'queued' AND connection_id = $1 AND remind_voter = $2 AND due_at < $3";
pub(super) const QUEUE: &str = "INSERT INTO jobs (kind, guild_id, connection_id, payload, \
    due_at, created_at, remind_voter) VALUES ('remind', '', $1, $2, $3, $4, $5) \
    ON CONFLICT (connection_id, remind_voter) WHERE status = 'queued' \
    AND remind_voter IS NOT NULL DO NOTHING";
const DROP_QUEUED: &str = "DELETE FROM jobs WHERE kind = 'remind' AND status = 'queued' \
    AND connection_id = $1 AND remind_voter = $2";

/// Queues (inside the caller's transaction) the reminder of `$voter` for `$conn` at `$due`,
/// replacing a queued earlier one. Its `created_at` is `$due`: the delivery policy's 24 h
/// retry window counts from when the reminder falls due, not from the vote.
macro_rules! schedule_reminder {
    ($tx:expr, $conn:expr, $voter:expr, $due:expr, $now:expr) => {{
        use $crate::storage::reminders::{DROP_EARLIER, QUEUE};
        let work = $crate::domain::reminder::reminder_work(
            &$crate::domain::ids::ConnectionId::new($conn),
            &$crate::domain::ids::UserId::new($voter),
            $crate::domain::time::Timestamp::from_millis($due),
        );
        sqlx::query(DROP_EARLIER)
            .bind($conn)
            .bind($voter)
            .bind($due)
            .execute(&mut *$tx)
            .await?;
        sqlx::query(QUEUE)
            .bind($conn)
            .bind(serde_json::to_string(&work)?)
            .bind($due)
            .bind($due.max($now))
            .bind($voter)
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(super) use schedule_reminder;

/// For a batch of votes (inside its transaction): the reminders of the opted-in voters among
/// `$updates` (their latest expiry), when it is still ahead of `$now`.
macro_rules! schedule_reminders {
    ($tx:expr, $params:expr, $updates:expr, $now:expr) => {{
        let sql = format!(
            "SELECT connection_id, voter_id FROM reminder_optins \
             WHERE (connection_id, voter_id) IN (VALUES {})",
            $params.rows($updates.len(), 2)
        );
        let mut select =
            sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql)).persistent(false);
        for u in $updates.iter() {
            select = select.bind(u.key.0).bind(u.key.1);
        }
        let opted: std::collections::HashSet<(String, String)> =
            select.fetch_all(&mut *$tx).await?.into_iter().collect();
        for u in $updates.iter() {
            let key = (u.key.0.to_string(), u.key.1.to_string());
            if u.expires_at > $now && opted.contains(&key) {
                $crate::storage::reminders::schedule_reminder!(
                    $tx,
                    u.key.0,
                    u.key.1,
                    u.expires_at,
                    $now
                );
            }
        }
    }};
}
pub(super) use schedule_reminders;

/// Reminder figures of one connection for `/topgg status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReminderFigures {
    pub opted_in: i64,
    pub sent_24h: i64,
}

impl Db {
    /// Opts `voter_id` in for `connection_id` and forgets an earlier refusal notice. Queues the
    /// reminder of their live vote, if any; returns when it falls due (unix ms).
    pub async fn remind_on(
        &self,
        connection_id: &str,
        voter_id: &str,
        now: i64,
    ) -> anyhow::Result<Option<i64>> {
        let due = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO reminder_optins (connection_id, voter_id, opted_in_at) \
                         VALUES ($1, $2, $3) ON CONFLICT (connection_id, voter_id) DO NOTHING")
                .bind(connection_id).bind(voter_id).bind(now).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM reminder_notices WHERE voter_id = $1")
                .bind(voter_id).execute(&mut *tx).await?;
            let expiry: Option<(i64,)> = sqlx::query_as("SELECT last_expires_at FROM voter_totals \
                         WHERE connection_id = $1 AND voter_id = $2")
                .bind(connection_id).bind(voter_id).fetch_optional(&mut *tx).await?;
            let due = expiry.map(|(e,)| e).filter(|e| *e > now);
            if let Some(due) = due {
                schedule_reminder!(tx, connection_id, voter_id, due, now);
            }
            tx.commit().await?;
            due
        });
        Ok(due)
    }

    /// Deletes the opt-in and cancels the queued reminder; says whether it was on.
    pub async fn remind_off(&self, connection_id: &str, voter_id: &str) -> anyhow::Result<bool> {
        let removed = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let removed = sqlx::query("DELETE FROM reminder_optins WHERE connection_id = $1 AND voter_id = $2")
                .bind(connection_id).bind(voter_id).execute(&mut *tx).await?.rows_affected();
            sqlx::query(DROP_QUEUED).bind(connection_id).bind(voter_id).execute(&mut *tx).await?;
            tx.commit().await?;
            removed
        });
        Ok(removed > 0)
    }

    /// Discord refused a reminder DM: every reminder of `voter_id` is turned off (opt-ins and
    /// queued jobs deleted) and `reason` kept until [`Db::take_reminder_notice`].
    pub async fn reminders_refused(
        &self,
        voter_id: &str,
        reason: &str,
        now: i64,
    ) -> anyhow::Result<()> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM reminder_optins WHERE voter_id = $1")
                .bind(voter_id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM jobs WHERE kind = 'remind' AND status = 'queued' AND remind_voter = $1")
                .bind(voter_id).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO reminder_notices (voter_id, reason, noted_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (voter_id) DO UPDATE SET reason = excluded.reason, noted_at = excluded.noted_at")
                .bind(voter_id).bind(reason).bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The refusal notice of `voter_id`, removed as it is read (shown once).
    pub async fn take_reminder_notice(&self, voter_id: &str) -> anyhow::Result<Option<String>> {
        let row: Option<(String,)> = with_pool!(self, pool => {
            sqlx::query_as("DELETE FROM reminder_notices WHERE voter_id = $1 RETURNING reason")
                .bind(voter_id).fetch_optional(pool).await?
        });
        Ok(row.map(|(r,)| r))
    }

    /// Whether `voter_id` opted in for `connection_id`.
    pub async fn reminder_is_on(
        &self,
        connection_id: &str,
        voter_id: &str,
    ) -> anyhow::Result<bool> {
        let (n,): (i64,) = with_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM reminder_optins WHERE connection_id = $1 AND voter_id = $2")
                .bind(connection_id).bind(voter_id).fetch_one(pool).await?
        });
        Ok(n > 0)
    }

    /// Opted-in voters and reminders sent since `since` (unix ms) for `connection_id`.
    pub async fn reminder_figures(
        &self,
        connection_id: &str,
        since: i64,
    ) -> anyhow::Result<ReminderFigures> {
        let ((opted_in,), (sent_24h,)): ((i64,), (i64,)) = with_pool!(self, pool => {
            let opted = sqlx::query_as("SELECT COUNT(*) FROM reminder_optins WHERE connection_id = $1")
                .bind(connection_id).fetch_one(pool).await?;
            let sent = sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE kind = 'remind' \
                         AND status = 'done' AND connection_id = $1 AND finished_at >= $2")
                .bind(connection_id).bind(since).fetch_one(pool).await?;
            (opted, sent)
        });
        Ok(ReminderFigures { opted_in, sent_24h })
    }

    /// Retention: forgets refusal notices noted before `before` (unix ms) that their voter
    /// never came back to read.
    pub async fn prune_reminder_notices(&self, before: i64) -> anyhow::Result<u64> {
        let n = with_pool!(self, pool => {
            sqlx::query("DELETE FROM reminder_notices WHERE noted_at < $1")
                .bind(before).execute(pool).await?.rows_affected()
        });
        Ok(n)
    }
}
