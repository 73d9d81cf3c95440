//! `votes`, `voter_totals`, `monthly_votes`: recording a vote and everything it sets in motion
//! in one transaction.

use std::collections::HashMap;

use sqlx::FromRow;

use super::jobs::insert_planned;
use super::links::{LINK_SETTINGS, group_link_rows};
use super::pool::BeginWrite;
use super::reminders::schedule_reminders;
use super::vote_batch::{
    Params, insert_jobs, insert_votes, link_settings, lock_totals, write_totals,
};
use super::vote_plan::{
    VoterKey, first_sightings, key_order, month_counts, outcomes, plan_jobs, tallies,
    totals_updates, voter_keys,
};
use super::{Connection, Db, with_pool};
use crate::domain::events::{Vote, WebhookTest};
use crate::domain::tally::Tally;
use crate::domain::time::Timestamp;
use crate::domain::work::{PlannedJob, plan_test_notice};

/// What storing a vote did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoteOutcome {
    /// First sight of this vote id: stored, totals updated, `jobs` Discord jobs queued.
    Stored { tally: Tally, jobs: usize },
    /// Seen before: nothing changed.
    Duplicate,
    /// Postgres could not take it: committed to the local spool, to be stored (with the
    /// effects of [`VoteOutcome::Stored`], or none if it turns out to be a duplicate) as
    /// soon as Postgres answers.
    Spooled,
}

#[derive(FromRow)]
struct TotalsRow {
    connection_id: String,
    voter_id: String,
    total_votes: i64,
    streak: i64,
    last_vote_at: Timestamp,
}

/// One vote to store, with the connection it came through and the time it arrived.
#[derive(Debug, Clone, Copy)]
pub struct VoteWrite<'a> {
    pub connection: &'a Connection,
    pub vote: &'a Vote,
    pub now: i64,
}

impl Db {
    /// Stores a vote once (keyed by its id), updates the voter's totals, streak and month, and
    /// queues the Discord work of every linked guild, all in one transaction.
    pub async fn record_vote(
        &self,
        connection: &Connection,
        vote: &Vote,
        now: i64,
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
    /// commit) with one statement per step: either every vote is stored or none. Outcomes
    /// come back in input order; votes of one voter count in arrival order.
    pub async fn record_votes(&self, writes: &[VoteWrite<'_>]) -> anyhow::Result<Vec<VoteOutcome>> {
        let order = key_order(writes);
        let lock = self.is_postgres();
        let params = if lock {
            Params::Numbered
        } else {
            Params::Positional
        };
        let mut stored: HashMap<usize, (Tally, usize)> = HashMap::new();
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let inserted = insert_votes!(tx, params, writes, &order);
            let new = first_sightings(writes, &order, &inserted);
            if !new.is_empty() {
                let keys = voter_keys(writes, &new);
                let rows: Vec<TotalsRow> = lock_totals!(tx, params, &keys, lock);
                let (tallies, finals) = tallies(writes, &new, previous_figures(&keys, &rows));
                let updates = totals_updates(writes, &new, &finals);
                write_totals!(tx, params, &updates, &month_counts(writes, &new));
                schedule_reminders!(tx, params, &updates, writes[0].now);
                let links = link_settings!(tx, writes, &new);
                let jobs = plan_jobs(writes, &tallies, &links, &mut stored);
                insert_jobs!(tx, params, writes, &jobs);
            }
            tx.commit().await?;
        });
        Ok(outcomes(writes.len(), &stored))
    }

    /// Queues the test notice of `webhook.test` in every linked channel; returns how many.
    pub async fn queue_test_notice(
        &self,
        connection: &Connection,
        test: &WebhookTest,
        now: i64,
    ) -> anyhow::Result<usize> {
        let conn_id = &connection.connection_id;
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let rows = sqlx::query_as(LINK_SETTINGS).bind(conn_id).fetch_all(&mut *tx).await?;
            let planned: Vec<PlannedJob> = plan_test_notice(test, &group_link_rows(rows), Timestamp::from_millis(now));
            insert_planned!(tx, conn_id, None::<&str>, "", &planned, now);
            tx.commit().await?;
            Ok(planned.len())
        })
    }

    /// How many votes are stored for a connection (all time, before retention).
    pub async fn vote_count(&self, connection_id: &str) -> anyhow::Result<i64> {
        let (count,): (i64,) = with_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM votes WHERE connection_id = $1")
                .bind(connection_id).fetch_one(pool).await?
        });
        Ok(count)
    }
}

/// Each voter's figures before the batch (`None`: no vote counted yet).
fn previous_figures<'a>(
    keys: &[VoterKey<'a>],
    rows: &[TotalsRow],
) -> HashMap<VoterKey<'a>, Option<Tally>> {
    keys.iter()
        .map(|key| {
            let row = rows
                .iter()
                .find(|r| (r.connection_id.as_str(), r.voter_id.as_str()) == *key);
            let tally = row.filter(|r| r.total_votes > 0).map(|r| Tally {
                total: r.total_votes,
                streak: r.streak,
                last_vote_at: r.last_vote_at,
            });
            (*key, tally)
        })
        .collect()
}
