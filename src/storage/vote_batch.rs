//! The statements that record a batch of votes, one per step (not per vote): with group
//! commit, the cost of a webhook is then mostly its share of a few statements. Each step runs
//! inside the batch's transaction; the planning between the steps is pure code in
//! `vote_plan`. Their text depends on the batch size, so they are not kept prepared.

use std::collections::{HashMap, HashSet};

use super::sql::{Sql, WriteTx};
use super::vote_plan::{TotalsRow, TotalsUpdate, VoteWrite, VoterKey};
use crate::domain::ids::ConnectionId;
use crate::domain::time::Timestamp;
use crate::domain::work::LinkSettings;

/// Votes per (connection, month, voter), counted in weight.
pub(super) type MonthCount<'a> = (VoterKey<'a>, String, i64);

impl WriteTx {
    /// Inserts every write (in `order`); returns the vote ids actually inserted.
    pub(super) async fn insert_votes(
        &mut self,
        writes: &[VoteWrite<'_>],
        order: &[usize],
    ) -> anyhow::Result<HashSet<String>> {
        let text = format!(
            "INSERT INTO votes (vote_id, connection_id, project_id, voter_topgg_id, voter_id, \
             voter_name, weight, created_at, expires_at, received_at) VALUES {} \
             ON CONFLICT (vote_id) DO NOTHING RETURNING vote_id",
            self.params().rows(order.len(), 10)
        );
        let mut insert = Sql::once(text, order.len() * 10);
        for &i in order {
            let (w, v) = (&writes[i], writes[i].vote);
            insert.push(&v.id);
            insert.push(&w.connection.connection_id);
            insert.push(&v.project.id);
            insert.push(&v.user.id);
            insert.push(&v.user.platform_id);
            insert.push(&v.user.name);
            insert.push(v.weight);
            insert.push(Timestamp::from(v.created_at));
            insert.push(Timestamp::from(v.expires_at));
            insert.push(w.now);
        }
        let rows: Vec<(String,)> = self.fetch_all(insert).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Makes sure each voter has a totals row and reads them all; on Postgres they are
    /// locked (`FOR UPDATE`, in key order, so concurrent batches cannot deadlock on them),
    /// SQLite's write transaction holds the whole database already.
    pub(super) async fn lock_totals(
        &mut self,
        keys: &[VoterKey<'_>],
    ) -> anyhow::Result<Vec<TotalsRow>> {
        let params = self.params();
        let ensure = format!(
            "INSERT INTO voter_totals (connection_id, voter_id, voter_name, total_votes, streak, \
             last_vote_at, last_expires_at) VALUES {} \
             ON CONFLICT (connection_id, voter_id) DO NOTHING",
            params.rows_with(keys.len(), 2, ", '', 0, 0, 0, 0")
        );
        self.execute(bind_keys(Sql::once(ensure, keys.len() * 2), keys))
            .await?;
        let lock = if self.is_postgres() {
            " FOR UPDATE"
        } else {
            ""
        };
        let select = format!(
            "SELECT connection_id, voter_id, total_votes, streak, last_vote_at FROM voter_totals \
             WHERE (connection_id, voter_id) IN (VALUES {}) ORDER BY connection_id, voter_id{lock}",
            params.rows(keys.len(), 2),
        );
        self.fetch_all(bind_keys(Sql::once(select, keys.len() * 2), keys))
            .await
    }

    /// Writes each voter's totals and adds the batch's votes to their months.
    pub(super) async fn write_totals(
        &mut self,
        updates: &[TotalsUpdate<'_>],
        months: &[MonthCount<'_>],
    ) -> anyhow::Result<()> {
        let params = self.params();
        let text = format!(
            "INSERT INTO voter_totals (connection_id, voter_id, voter_name, total_votes, streak, \
             last_vote_at, last_expires_at) VALUES {} ON CONFLICT (connection_id, voter_id) \
             DO UPDATE SET voter_name = excluded.voter_name, \
             total_votes = excluded.total_votes, streak = excluded.streak, \
             last_vote_at = excluded.last_vote_at, last_expires_at = CASE \
             WHEN voter_totals.last_expires_at > excluded.last_expires_at \
             THEN voter_totals.last_expires_at ELSE excluded.last_expires_at END",
            params.rows(updates.len(), 7)
        );
        let mut upsert = Sql::once(text, updates.len() * 7);
        for u in updates {
            upsert.push(u.key.0);
            upsert.push(u.key.1);
            upsert.push(u.name);
            upsert.push(u.tally.total);
            upsert.push(u.tally.streak);
            upsert.push(u.tally.last_vote_at);
            upsert.push(u.expires_at);
        }
        self.execute(upsert).await?;
        let text = format!(
            "INSERT INTO monthly_votes (connection_id, month, voter_id, votes) VALUES {} \
             ON CONFLICT (connection_id, month, voter_id) \
             DO UPDATE SET votes = monthly_votes.votes + excluded.votes",
            params.rows(months.len(), 4)
        );
        let mut bump = Sql::once(text, months.len() * 4);
        for ((connection, voter), month, n) in months {
            bump.push(*connection);
            bump.push(month.as_str());
            bump.push(*voter);
            bump.push(*n);
        }
        self.execute(bump).await?;
        Ok(())
    }

    /// The link settings of each connection among the stored writes.
    pub(super) async fn links_of_writes<'a>(
        &mut self,
        writes: &[VoteWrite<'a>],
        stored: &[usize],
    ) -> anyhow::Result<HashMap<&'a ConnectionId, Vec<LinkSettings>>> {
        let mut links = HashMap::new();
        for &i in stored {
            let connection = &writes[i].connection.connection_id;
            if !links.contains_key(connection) {
                links.insert(connection, self.link_settings(connection).await?);
            }
        }
        Ok(links)
    }
}

fn bind_keys<'a>(mut sql: Sql<'a>, keys: &[VoterKey<'a>]) -> Sql<'a> {
    for (connection, voter) in keys {
        sql.push(*connection);
        sql.push(*voter);
    }
    sql
}
