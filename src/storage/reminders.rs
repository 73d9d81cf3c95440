//! `reminder_optins`, `reminder_notices` and the queued `remind` jobs: vote reminders.
//!
//! At most one reminder per (connection, voter) is queued (a partial unique index): a later
//! expiry replaces an earlier queued one, which is deleted (an instance already sending it
//! finds nothing to settle). Opt-ins belong to the connection's history (see `histories`),
//! so they outlive a reconnect; its queued jobs are deleted by `delete_connection`.

use std::collections::HashSet;

use super::Db;
use super::sql::{Sql, WriteTx};
use super::vote_plan::{TotalsUpdate, VoterKey};
use crate::domain::ids::{ConnectionId, UserId};
use crate::domain::reminder::reminder_work;
use crate::domain::time::Timestamp;

const DROP_EARLIER: &str = "DELETE FROM jobs WHERE kind = 'remind' \
    AND status = 'queued' AND connection_id = $1 AND remind_voter = $2 AND due_at < $3";
const QUEUE: &str = "INSERT INTO jobs (kind, guild_id, connection_id, payload, \
    due_at, created_at, remind_voter) VALUES ($1, '', $2, $3, $4, $5, $6) \
    ON CONFLICT (connection_id, remind_voter) WHERE status = 'queued' \
    AND remind_voter IS NOT NULL DO NOTHING";
const DROP_QUEUED: &str = "DELETE FROM jobs WHERE kind = 'remind' AND status = 'queued' \
    AND connection_id = $1 AND remind_voter = $2";

impl WriteTx {
    /// Queues the reminder of `voter` for `connection` at `due`, replacing a queued earlier
    /// one. Its `created_at` is `due`: the delivery policy's 24 h retry window counts from
    /// when the reminder falls due, not from the vote.
    async fn schedule_reminder(
        &mut self,
        connection: &ConnectionId,
        voter: &UserId,
        due: Timestamp,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        for statement in reminder_statements(connection, voter, due, now)? {
            self.execute(statement).await?;
        }
        Ok(())
    }

    /// Queues the reminders of a batch of votes (see [`reminders_due`]).
    pub(super) async fn schedule_reminders(
        &mut self,
        due: &[DueReminder<'_>],
        now: Timestamp,
    ) -> anyhow::Result<()> {
        for r in due {
            self.schedule_reminder(r.connection, &r.voter, r.due, now)
                .await?;
        }
        Ok(())
    }
}

/// The statements that queue `voter`'s reminder for `connection` at `due`, replacing a queued
/// earlier one (see [`WriteTx::schedule_reminder`]); SQLite's vote connection runs them too.
pub(super) fn reminder_statements<'a>(
    connection: &'a ConnectionId,
    voter: &'a UserId,
    due: Timestamp,
    now: Timestamp,
) -> anyhow::Result<[Sql<'a>; 2]> {
    let work = reminder_work(connection, voter, due);
    let drop = Sql::new(DROP_EARLIER)
        .bind(connection)
        .bind(voter)
        .bind(due);
    let queue = Sql::new(QUEUE)
        .bind(work.kind())
        .bind(connection)
        .bind(serde_json::to_string(&work)?)
        .bind(due)
        .bind(due.max(now))
        .bind(voter);
    Ok([drop, queue])
}

/// A reminder a batch of votes queues: `voter`'s next chance to vote for `connection`.
pub(super) struct DueReminder<'a> {
    pub connection: &'a ConnectionId,
    pub voter: UserId,
    pub due: Timestamp,
}

/// For a batch of votes: the reminders of the opted-in Discord voters among `updates` (their
/// latest expiry), when it is still ahead of `now`. A voter who is not a Discord user gets
/// none, whoever opted in under the same text.
pub(super) fn reminders_due<'a>(
    updates: &[TotalsUpdate<'a>],
    opted: &HashSet<VoterKey<'_>>,
    now: Timestamp,
) -> Vec<DueReminder<'a>> {
    updates
        .iter()
        .filter(|u| u.expires_at > now && opted.contains(&u.key))
        .filter_map(|u| {
            Some(DueReminder {
                connection: u.connection,
                voter: u.discord_voter.clone()?,
                due: u.expires_at,
            })
        })
        .collect()
}

/// Reminder figures of one connection for `/topgg status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReminderFigures {
    pub opted_in: i64,
    pub sent_24h: i64,
}

impl Db {
    /// Opts `voter` in for `connection` and forgets an earlier refusal notice. Queues the
    /// reminder of their live vote, if any; returns when it falls due.
    pub async fn remind_on(
        &self,
        connection: &ConnectionId,
        voter: &UserId,
        now: Timestamp,
    ) -> anyhow::Result<Option<Timestamp>> {
        let mut tx = self.begin_write().await?;
        let opt_in = Sql::new(
            "INSERT INTO reminder_optins (history_key, voter_id, opted_in_at) \
             SELECT project_id, $2, $3 FROM connections WHERE connection_id = $1 \
             ON CONFLICT (history_key, voter_id) DO NOTHING",
        );
        tx.execute(opt_in.bind(connection).bind(voter).bind(now))
            .await?;
        let forget = Sql::new("DELETE FROM reminder_notices WHERE voter_id = $1");
        tx.execute(forget.bind(voter)).await?;
        let expiry = Sql::new(
            "SELECT last_expires_at FROM voter_totals WHERE history_key = \
             (SELECT project_id FROM connections WHERE connection_id = $1) AND voter_id = $2",
        );
        let expiry: Option<(Timestamp,)> = tx
            .fetch_optional(expiry.bind(connection).bind(voter))
            .await?;
        let due = expiry.map(|(e,)| e).filter(|e| *e > now);
        if let Some(due) = due {
            tx.schedule_reminder(connection, voter, due, now).await?;
        }
        tx.commit().await?;
        Ok(due)
    }

    /// Deletes the opt-in and cancels the queued reminder; says whether it was on.
    pub async fn remind_off(
        &self,
        connection: &ConnectionId,
        voter: &UserId,
    ) -> anyhow::Result<bool> {
        let mut tx = self.begin_write().await?;
        let opt_out = Sql::new(
            "DELETE FROM reminder_optins WHERE history_key = \
                (SELECT project_id FROM connections WHERE connection_id = $1) AND voter_id = $2",
        );
        let removed = tx.execute(opt_out.bind(connection).bind(voter)).await?;
        tx.execute(Sql::new(DROP_QUEUED).bind(connection).bind(voter))
            .await?;
        tx.commit().await?;
        Ok(removed > 0)
    }

    /// Discord refused a reminder DM: every reminder of `voter` is turned off (opt-ins and
    /// queued jobs deleted) and `reason` kept until [`Db::take_reminder_notice`].
    pub async fn reminders_refused(
        &self,
        voter: &UserId,
        reason: &str,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let mut tx = self.begin_write().await?;
        let opt_out = Sql::new("DELETE FROM reminder_optins WHERE voter_id = $1");
        tx.execute(opt_out.bind(voter)).await?;
        let cancel = Sql::new(
            "DELETE FROM jobs WHERE kind = 'remind' AND status = 'queued' AND remind_voter = $1",
        );
        tx.execute(cancel.bind(voter)).await?;
        let notice = Sql::new(
            "INSERT INTO reminder_notices (voter_id, reason, noted_at) VALUES ($1, $2, $3) \
             ON CONFLICT (voter_id) DO UPDATE SET reason = excluded.reason, \
             noted_at = excluded.noted_at",
        );
        tx.execute(notice.bind(voter).bind(reason).bind(now))
            .await?;
        tx.commit().await
    }

    /// The refusal notice of `voter`, removed as it is read (shown once).
    pub async fn take_reminder_notice(&self, voter: &UserId) -> anyhow::Result<Option<String>> {
        let sql = Sql::new("DELETE FROM reminder_notices WHERE voter_id = $1 RETURNING reason");
        let row: Option<(String,)> = self.fetch_optional(sql.bind(voter)).await?;
        Ok(row.map(|(r,)| r))
    }

    /// Whether `voter` opted in for `connection`.
    pub async fn reminder_is_on(
        &self,
        connection: &ConnectionId,
        voter: &UserId,
    ) -> anyhow::Result<bool> {
        let sql = Sql::new(
            "SELECT COUNT(*) FROM reminder_optins WHERE history_key = \
             (SELECT project_id FROM connections WHERE connection_id = $1) AND voter_id = $2",
        );
        let (n,): (i64,) = self.fetch_one(sql.bind(connection).bind(voter)).await?;
        Ok(n > 0)
    }

    /// Opted-in voters and reminders sent since `since` for `connection`.
    pub async fn reminder_figures(
        &self,
        connection: &ConnectionId,
        since: Timestamp,
    ) -> anyhow::Result<ReminderFigures> {
        let opted = Sql::new(
            "SELECT COUNT(*) FROM reminder_optins WHERE history_key = \
             (SELECT project_id FROM connections WHERE connection_id = $1)",
        );
        let (opted_in,): (i64,) = self.fetch_one(opted.bind(connection)).await?;
        let sent = Sql::new(
            "SELECT COUNT(*) FROM jobs WHERE kind = 'remind' AND status = 'done' \
             AND connection_id = $1 AND finished_at >= $2",
        );
        let (sent_24h,): (i64,) = self.fetch_one(sent.bind(connection).bind(since)).await?;
        Ok(ReminderFigures { opted_in, sent_24h })
    }

    /// Retention: forgets refusal notices noted before `before` that their voter never came
    /// back to read.
    pub async fn prune_reminder_notices(&self, before: Timestamp) -> anyhow::Result<u64> {
        let sql = Sql::new("DELETE FROM reminder_notices WHERE noted_at < $1");
        self.execute(sql.bind(before)).await
    }
}
