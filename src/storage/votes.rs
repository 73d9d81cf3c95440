//! `votes`, `voter_totals`, `monthly_votes`: recording a vote and everything it sets in motion
//! in one transaction.

use std::collections::HashMap;

use sqlx::FromRow;

use super::jobs::insert_planned;
use super::links::{LINK_SETTINGS, group_link_rows};
use super::{Connection, Db, with_pool};
use crate::domain::events::{Vote, WebhookTest};
use crate::domain::tally::Tally;
use crate::domain::work::{LinkSettings, PlannedJob, plan_test_notice, plan_vote};

/// What storing a vote did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoteOutcome {
    /// First sight of this vote id: stored, totals updated, `jobs` Discord jobs queued.
    Stored { tally: Tally, jobs: usize },
    /// Seen before: nothing changed.
    Duplicate,
}

#[derive(FromRow)]
struct TallyRow {
    total_votes: i64,
    streak: i64,
    last_vote_at: i64,
}

const INSERT_VOTE: &str = "INSERT INTO votes (vote_id, connection_id, project_id, voter_topgg_id, \
    voter_id, voter_name, weight, created_at, expires_at, received_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (vote_id) DO NOTHING";
const ENSURE_TOTALS: &str = "INSERT INTO voter_totals (connection_id, voter_id, voter_name, \
    total_votes, streak, last_vote_at, last_expires_at) VALUES ($1, $2, $3, 0, 0, 0, 0) \
    ON CONFLICT (connection_id, voter_id) DO NOTHING";
const SELECT_TOTALS: &str = "SELECT total_votes, streak, last_vote_at FROM voter_totals \
    WHERE connection_id = $1 AND voter_id = $2";
const SELECT_TOTALS_LOCKED: &str = "SELECT total_votes, streak, last_vote_at FROM voter_totals \
    WHERE connection_id = $1 AND voter_id = $2 FOR UPDATE";
const UPDATE_TOTALS: &str = "UPDATE voter_totals SET voter_name = $3, total_votes = $4, \
    streak = $5, last_vote_at = $6, \
    last_expires_at = CASE WHEN last_expires_at > $7 THEN last_expires_at ELSE $7 END \
    WHERE connection_id = $1 AND voter_id = $2";
const BUMP_MONTH: &str = "INSERT INTO monthly_votes (connection_id, month, voter_id, votes) \
    VALUES ($1, $2, $3, 1) ON CONFLICT (connection_id, month, voter_id) \
    DO UPDATE SET votes = monthly_votes.votes + 1";

/// One vote to store, with the connection it came through and the time it arrived.
#[derive(Debug, Clone, Copy)]
pub struct VoteWrite<'a> {
    pub connection: &'a Connection,
    pub vote: &'a Vote,
    pub now: i64,
}

/// Stores one vote inside the caller's transaction `$tx`; evaluates to its [`VoteOutcome`].
/// `$links` caches each connection's link settings for the transaction.
macro_rules! store_vote {
    ($tx:expr, $write:expr, $select_totals:expr, $links:expr) => {{
        let VoteWrite {
            connection,
            vote,
            now,
        } = $write;
        let voter = &vote.user.platform_id;
        let conn_id = &connection.connection_id;
        let created_at = vote.created_at.timestamp_millis();
        let inserted = sqlx::query(INSERT_VOTE)
            .bind(&vote.id)
            .bind(conn_id)
            .bind(&vote.project.id)
            .bind(&vote.user.id)
            .bind(voter)
            .bind(&vote.user.name)
            .bind(vote.weight)
            .bind(created_at)
            .bind(vote.expires_at.timestamp_millis())
            .bind(now)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
        if inserted == 0 {
            VoteOutcome::Duplicate
        } else {
            sqlx::query(ENSURE_TOTALS)
                .bind(conn_id)
                .bind(voter)
                .bind(&vote.user.name)
                .execute(&mut *$tx)
                .await?;
            let row: TallyRow = sqlx::query_as($select_totals)
                .bind(conn_id)
                .bind(voter)
                .fetch_one(&mut *$tx)
                .await?;
            let previous = (row.total_votes > 0).then_some(Tally {
                total: row.total_votes,
                streak: row.streak,
                last_vote_at: row.last_vote_at,
            });
            let tally = Tally::after_vote(previous, created_at);
            sqlx::query(UPDATE_TOTALS)
                .bind(conn_id)
                .bind(voter)
                .bind(&vote.user.name)
                .bind(tally.total)
                .bind(tally.streak)
                .bind(tally.last_vote_at)
                .bind(vote.expires_at.timestamp_millis())
                .execute(&mut *$tx)
                .await?;
            let month = vote.created_at.format("%Y-%m").to_string();
            sqlx::query(BUMP_MONTH)
                .bind(conn_id)
                .bind(&month)
                .bind(voter)
                .execute(&mut *$tx)
                .await?;
            if !$links.contains_key(conn_id.as_str()) {
                let rows = sqlx::query_as(LINK_SETTINGS)
                    .bind(conn_id)
                    .fetch_all(&mut *$tx)
                    .await?;
                $links.insert(conn_id.as_str(), group_link_rows(rows));
            }
            let links: &[LinkSettings] = &$links[conn_id.as_str()];
            let planned = plan_vote(vote, connection.project_name.as_deref(), &tally, links, now);
            insert_planned!($tx, conn_id, Some(&vote.id), voter, &planned, now);
            VoteOutcome::Stored {
                tally,
                jobs: planned.len(),
            }
        }
    }};
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
    /// commit): either every vote is stored or none. Outcomes come back in input order.
    /// Votes are written in (connection, voter) order, arrival order within a voter, so
    /// concurrent batches on Postgres lock the same totals rows in the same order.
    pub async fn record_votes(&self, writes: &[VoteWrite<'_>]) -> anyhow::Result<Vec<VoteOutcome>> {
        let select_totals = if self.is_postgres() {
            SELECT_TOTALS_LOCKED
        } else {
            SELECT_TOTALS
        };
        let mut order: Vec<usize> = (0..writes.len()).collect();
        order.sort_by_key(|&i| {
            (
                &writes[i].connection.connection_id,
                &writes[i].vote.user.platform_id,
            )
        });
        let mut outcomes = vec![VoteOutcome::Duplicate; writes.len()];
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut links: HashMap<&str, Vec<LinkSettings>> = HashMap::new();
            for &i in &order {
                outcomes[i] = store_vote!(tx, writes[i], select_totals, links);
            }
            tx.commit().await?;
        });
        Ok(outcomes)
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
            let mut tx = pool.begin().await?;
            let rows = sqlx::query_as(LINK_SETTINGS).bind(conn_id).fetch_all(&mut *tx).await?;
            let planned: Vec<PlannedJob> = plan_test_notice(test, &group_link_rows(rows), now);
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
