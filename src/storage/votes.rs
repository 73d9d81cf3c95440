//! `votes`, `voter_totals`, `monthly_votes`: recording a vote and everything it sets in motion
//! in one transaction.

use std::collections::HashMap;

use super::jobs::NewJob;
use super::reminders::{DueReminder, reminders_due};
use super::sql::Sql;
use super::vote_batch::{ConnectionLinkRow, links_by_connection, record_postgres_batch};
use super::vote_plan::{
    VoteOutcome, VoteWrite, VoterRow, month_counts, opted_in, plan_jobs, previous_figures, tallies,
    totals_updates, voter_keys,
};
use super::vote_rows::{BatchRows, JobRow, batch_rows};
use super::{Connection, Db};
use crate::domain::events::{Vote, WebhookTest};
use crate::domain::ids::ConnectionId;
use crate::domain::tally::Tally;
use crate::domain::time::Timestamp;
use crate::domain::work::plan_test_notice;

impl Db {
    /// Stores a vote once (keyed by its id), updates the voter's totals, streak and month, and
    /// queues the Discord work of every linked guild, all in one transaction.
    pub async fn record_vote(
        &self,
        connection: &Connection,
        vote: &Vote,
        now: Timestamp,
    ) -> anyhow::Result<VoteOutcome> {
        let write = VoteWrite {
            connection,
            vote,
            now,
        };
        let mut outcomes = self.record_votes(&[write]).await?;
        Ok(outcomes.remove(0))
    }

    /// Stores several votes as [`Db::record_vote`] does, all in one transaction (group
    /// commit) with a few fixed statements per batch: either every vote is stored or none.
    /// Outcomes come back in input order; votes of one voter count in arrival order. On
    /// SQLite the batch runs on the vote connection (`vote_thread`), the one path every SQLite
    /// vote takes.
    pub async fn record_votes(&self, writes: &[VoteWrite<'_>]) -> anyhow::Result<Vec<VoteOutcome>> {
        self.record_batch(writes, Effects::All).await
    }

    /// Stores votes as [`Db::record_votes`] does, into totals, streaks and monthly counts
    /// only: no announcement, role grant or reminder is queued (the first-token import of
    /// the last year's votes).
    pub async fn import_votes(&self, writes: &[VoteWrite<'_>]) -> anyhow::Result<Vec<VoteOutcome>> {
        self.record_batch(writes, Effects::FiguresOnly).await
    }

    async fn record_batch(
        &self,
        writes: &[VoteWrite<'_>],
        effects: Effects,
    ) -> anyhow::Result<Vec<VoteOutcome>> {
        match self {
            Db::Sqlite(_, votes) => votes.record(writes, effects).await,
            Db::Postgres(_) => {
                let tx = self.begin_write().await?;
                record_postgres_batch(tx, writes, effects).await
            }
        }
    }

    /// Queues the test notice of `webhook.test` in every linked channel; returns how many,
    /// or `None` when this delivery (`signature`: its signature's `t` and MAC) was seen
    /// already: a replay within the signature window posts nothing more. Deliveries seen
    /// before `seen_since` are forgotten.
    pub async fn queue_test_notice(
        &self,
        connection: &Connection,
        test: &WebhookTest,
        signature: &str,
        seen_since: Timestamp,
        now: Timestamp,
    ) -> anyhow::Result<Option<usize>> {
        let mut tx = self.begin_write().await?;
        let forget = Sql::new("DELETE FROM test_deliveries WHERE seen_at < $1");
        tx.execute(forget.bind(seen_since)).await?;
        let seen = Sql::new(
            "INSERT INTO test_deliveries (connection_id, signature, seen_at) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        );
        let seen = seen.bind(&connection.connection_id).bind(signature);
        if tx.execute(seen.bind(now)).await? == 0 {
            tx.commit().await?;
            return Ok(None);
        }
        let links = tx.link_settings(&connection.connection_id).await?;
        let planned = plan_test_notice(test, &links, now);
        let jobs: Vec<NewJob> = planned
            .iter()
            .map(|job| NewJob {
                connection: &connection.connection_id,
                vote: None,
                planned: job,
                now,
            })
            .collect();
        tx.insert_jobs(&jobs).await?;
        tx.commit().await?;
        Ok(Some(planned.len()))
    }

    /// How many votes are stored for a connection (all time, before retention).
    pub async fn vote_count(&self, connection: &ConnectionId) -> anyhow::Result<i64> {
        let sql = Sql::new("SELECT COUNT(*) FROM votes WHERE connection_id = $1");
        let (count,): (i64,) = self.fetch_one(sql.bind(connection)).await?;
        Ok(count)
    }
}

/// What storing a batch sets in motion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Effects {
    /// Figures, and the Discord work of every linked guild.
    All,
    /// Figures only.
    FiguresOnly,
}

/// What a batch writes, planned from what it read: the same on both backends.
pub(super) struct BatchPlan<'a> {
    pub rows: BatchRows,
    pub reminders: Vec<DueReminder<'a>>,
    /// The tally and queued jobs of each stored write, by index.
    pub stored: HashMap<usize, (Tally, usize)>,
}

/// Plans the writes of the `new` votes (indices into `writes`), given their voters' figures
/// and the link rows of their connections (ordered by connection); with
/// [`Effects::FiguresOnly`] it plans no job and no reminder.
pub(super) fn plan_batch<'a>(
    writes: &[VoteWrite<'a>],
    new: &[usize],
    voters: &[VoterRow],
    link_rows: Vec<ConnectionLinkRow>,
    effects: Effects,
) -> anyhow::Result<BatchPlan<'a>> {
    let link_rows = match effects {
        Effects::All => link_rows,
        Effects::FiguresOnly => Vec::new(),
    };
    let links = links_by_connection(writes, new, link_rows);
    let mut stored = HashMap::new();
    let keys = voter_keys(writes, new);
    let (tallies, finals) = tallies(writes, new, previous_figures(&keys, voters));
    let updates = totals_updates(writes, new, &finals);
    let planned = plan_jobs(writes, &tallies, &links, &mut stored);
    let jobs: Vec<JobRow> = planned
        .iter()
        .map(|(i, job)| {
            let w = &writes[*i];
            JobRow {
                connection: &w.connection.connection_id,
                vote: &w.vote.id,
                planned: job,
                now: w.now,
            }
        })
        .collect();
    let rows = batch_rows(&updates, &month_counts(writes, new), &jobs)?;
    let mut reminders = reminders_due(&updates, &opted_in(voters), writes[0].now);
    if effects == Effects::FiguresOnly {
        reminders.clear();
    }
    Ok(BatchPlan {
        rows,
        reminders,
        stored,
    })
}
