//! Postgres's vote batches: a few statements per batch (not per vote), so with group commit
//! the cost of a webhook is mostly its share of them. Their text is fixed (see `vote_sql`):
//! the rows go as JSON arrays, built in `vote_rows`. The planning between the read and the
//! write is the one SQLite's batches (`vote_thread`) use: `votes::plan_batch`.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use sqlx::FromRow;

use super::links::{LINK_SETTINGS, LinkRoleRow, group_link_rows};
use super::sql::{Sql, WriteTx};
use super::vote_plan::{VoteOutcome, VoteWrite, VoterRow, first_sightings, key_order, outcomes};
use super::vote_rows::{BatchRows, keys_json, votes_json};
use super::vote_sql::{
    POSTGRES_ENSURE_TOTALS, POSTGRES_INSERT_VOTES, POSTGRES_LOCK_TOTALS, POSTGRES_WRITE,
};
use super::votes::{Effects, plan_batch};
use crate::domain::ids::ConnectionId;
use crate::domain::work::LinkSettings;

/// What a batch found before writing: the writes that first store their vote id (in key
/// order) and the figures of their voters.
pub(super) struct BatchRead {
    pub new: Vec<usize>,
    pub voters: Vec<VoterRow>,
}

/// A row of [`LINK_SETTINGS`] and the connection it belongs to.
pub(super) type ConnectionLinkRow = (ConnectionId, LinkRoleRow);

/// Records a batch in `tx` (Postgres) and commits it.
pub(super) async fn record_postgres_batch(
    mut tx: WriteTx,
    writes: &[VoteWrite<'_>],
    effects: Effects,
) -> anyhow::Result<Vec<VoteOutcome>> {
    let order = key_order(writes);
    let votes = votes_json(writes, &order)?;
    let read = tx.read_batch(writes, &order, &votes).await?;
    if read.new.is_empty() {
        tx.commit().await?;
        return Ok(outcomes(writes.len(), &HashMap::new()));
    }
    let links = match effects {
        Effects::All => tx.link_rows(writes, &read.new).await?,
        Effects::FiguresOnly => Vec::new(),
    };
    let plan = plan_batch(writes, &read.new, &read.voters, links, effects)?;
    tx.execute(batch_write(&plan.rows)).await?;
    tx.schedule_reminders(&plan.reminders, writes[0].now)
        .await?;
    tx.commit().await?;
    Ok(outcomes(writes.len(), &plan.stored))
}

impl WriteTx {
    /// Postgres: inserts the votes (which tells which are new) and locks their voters'
    /// totals rows, in key order (concurrent batches cannot deadlock on them).
    async fn read_batch(
        &mut self,
        writes: &[VoteWrite<'_>],
        order: &[usize],
        votes: &str,
    ) -> anyhow::Result<BatchRead> {
        let rows: Vec<(String,)> = self
            .fetch_all(Sql::new(POSTGRES_INSERT_VOTES).bind(votes))
            .await?;
        let inserted = rows.into_iter().map(|(id,)| id).collect();
        let new = first_sightings(writes, order, &inserted);
        if new.is_empty() {
            return Ok(BatchRead {
                new,
                voters: Vec::new(),
            });
        }
        let keys = keys_json(writes, &new)?;
        self.execute(Sql::new(POSTGRES_ENSURE_TOTALS).bind(keys.as_str()))
            .await?;
        let voters = self
            .fetch_all(Sql::new(POSTGRES_LOCK_TOTALS).bind(keys))
            .await?;
        Ok(BatchRead { new, voters })
    }

    /// Postgres: the link rows of the connections among the stored writes, in one statement.
    async fn link_rows(
        &mut self,
        writes: &[VoteWrite<'_>],
        stored: &[usize],
    ) -> anyhow::Result<Vec<ConnectionLinkRow>> {
        let ids: HashSet<&ConnectionId> = stored
            .iter()
            .map(|&i| &writes[i].connection.connection_id)
            .collect();
        let sql = Sql::new(POSTGRES_LINKS.as_str()).bind(serde_json::to_string(&ids)?);
        let rows: Vec<BatchLinkRow> = self.fetch_all(sql).await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.batch_connection, r.row))
            .collect())
    }
}

/// The statement that writes the rest of a Postgres batch.
fn batch_write(rows: &BatchRows) -> Sql<'_> {
    Sql::new(POSTGRES_WRITE)
        .bind(rows.totals.as_str())
        .bind(rows.months.as_str())
        .bind(rows.jobs.as_str())
        .bind(rows.grants.as_str())
}

/// The link settings of each connection among the stored writes, from link rows ordered by
/// connection (rows of other connections are left out).
pub(super) fn links_by_connection<'a>(
    writes: &[VoteWrite<'a>],
    stored: &[usize],
    rows: Vec<ConnectionLinkRow>,
) -> HashMap<&'a ConnectionId, Vec<LinkSettings>> {
    let mut links: HashMap<&'a ConnectionId, Vec<LinkSettings>> = HashMap::new();
    for &i in stored {
        links
            .entry(&writes[i].connection.connection_id)
            .or_default();
    }
    let mut rows = rows.into_iter().peekable();
    while let Some((connection, first)) = rows.next() {
        let mut of_connection = vec![first];
        while let Some((_, next)) = rows.next_if(|(c, _)| *c == connection) {
            of_connection.push(next);
        }
        if let Some(settings) = links.get_mut(&connection) {
            *settings = group_link_rows(of_connection);
        }
    }
    links
}

/// A row of [`LINK_SETTINGS`] with the connection it belongs to.
#[derive(FromRow)]
struct BatchLinkRow {
    batch_connection: ConnectionId,
    #[sqlx(flatten)]
    row: LinkRoleRow,
}

/// [`LINK_SETTINGS`] for the connections of a JSON array, ordered by connection.
fn links_of_connections(ids: &str) -> String {
    let from = [
        (
            "SELECT l.guild_id",
            "SELECT l.connection_id AS batch_connection, l.guild_id",
        ),
        ("l.connection_id = $1", ids),
        (
            "ORDER BY l.guild_id",
            "ORDER BY l.connection_id, l.guild_id",
        ),
    ];
    from.iter()
        .fold(LINK_SETTINGS.to_string(), |text, (was, is)| {
            assert!(text.contains(was), "LINK_SETTINGS no longer holds {was:?}");
            text.replace(was, is)
        })
}

static POSTGRES_LINKS: LazyLock<String> = LazyLock::new(|| {
    links_of_connections("l.connection_id IN (SELECT jsonb_array_elements_text($1::text::jsonb))")
});
