//! The statements that record a batch of votes, a few per batch (not per vote): with group
//! commit, the cost of a webhook is then mostly its share of them. Their text is fixed (see
//! `vote_sql`): the rows go as JSON arrays, built in `vote_rows`.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use sqlx::FromRow;

use super::links::{LINK_SETTINGS, LinkRoleRow, group_link_rows};
use super::sql::{Sql, WriteTx};
use super::vote_plan::{VoteWrite, VoterRow, first_sightings};
use super::vote_rows::{BatchRows, keys_json};
use super::vote_sql::{
    POSTGRES_ENSURE_TOTALS, POSTGRES_INSERT_VOTES, POSTGRES_LOCK_TOTALS, POSTGRES_WRITE,
    SQLITE_READ, SQLITE_WRITE,
};
use crate::domain::ids::ConnectionId;
use crate::domain::work::LinkSettings;

/// What a batch found before writing: the writes that first store their vote id (in key
/// order) and the figures of their voters.
pub(super) struct BatchRead {
    pub new: Vec<usize>,
    pub voters: Vec<VoterRow>,
    /// SQLite: the link rows of the batch's connections (Postgres reads them later).
    pub links: Option<Vec<ConnectionLinkRow>>,
}

/// A row of [`LINK_SETTINGS`] and the connection it belongs to.
pub(super) type ConnectionLinkRow = (ConnectionId, LinkRoleRow);

impl WriteTx {
    /// Finds which writes are new and reads their voters' figures. SQLite only reads (one
    /// writer: nothing can change before this transaction's write); Postgres inserts the
    /// votes here and locks the voters' totals rows.
    pub(super) async fn read_batch(
        &mut self,
        writes: &[VoteWrite<'_>],
        order: &[usize],
        votes: &str,
    ) -> anyhow::Result<BatchRead> {
        if self.is_postgres() {
            return self.read_batch_postgres(writes, order, votes).await;
        }
        let keys = keys_json(writes, order)?;
        let read = Sql::new(SQLITE_READ).bind(votes).bind(keys);
        let columns: (String, String, String) = self.fetch_one(read).await?;
        sqlite_batch_read(writes, order, columns)
    }

    async fn read_batch_postgres(
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
                links: None,
            });
        }
        let keys = keys_json(writes, &new)?;
        self.execute(Sql::new(POSTGRES_ENSURE_TOTALS).bind(keys.as_str()))
            .await?;
        let voters = self
            .fetch_all(Sql::new(POSTGRES_LOCK_TOTALS).bind(keys))
            .await?;
        Ok(BatchRead {
            new,
            voters,
            links: None,
        })
    }

    /// The statement that writes the batch: on SQLite the votes too.
    pub(super) fn batch_write<'q>(&self, votes: &'q str, rows: &'q BatchRows) -> Sql<'q> {
        let write = if self.is_postgres() {
            Sql::new(POSTGRES_WRITE)
        } else {
            Sql::new(SQLITE_WRITE.as_str()).bind(votes)
        };
        write
            .bind(rows.totals.as_str())
            .bind(rows.months.as_str())
            .bind(rows.jobs.as_str())
            .bind(rows.grants.as_str())
    }

    /// The link settings of each connection among the stored writes: from the batch's read
    /// (SQLite), or read here in one statement (Postgres).
    pub(super) async fn links_of_writes<'a>(
        &mut self,
        writes: &[VoteWrite<'a>],
        stored: &[usize],
        read: Option<Vec<ConnectionLinkRow>>,
    ) -> anyhow::Result<HashMap<&'a ConnectionId, Vec<LinkSettings>>> {
        let rows = match read {
            Some(rows) => rows,
            None => {
                let ids: HashSet<&ConnectionId> = stored
                    .iter()
                    .map(|&i| &writes[i].connection.connection_id)
                    .collect();
                let sql = Sql::new(POSTGRES_LINKS.as_str()).bind(serde_json::to_string(&ids)?);
                let rows: Vec<BatchLinkRow> = self.fetch_all(sql).await?;
                rows.into_iter()
                    .map(|r| (r.batch_connection, r.row))
                    .collect()
            }
        };
        Ok(links_by_connection(writes, stored, rows))
    }
}

/// SQLite's batch read ([`SQLITE_READ`]'s three columns) as a [`BatchRead`].
pub(super) fn sqlite_batch_read(
    writes: &[VoteWrite<'_>],
    order: &[usize],
    (stored, voters, links): (String, String, String),
) -> anyhow::Result<BatchRead> {
    let stored: HashSet<String> = serde_json::from_str(&stored)?;
    let inserted = order
        .iter()
        .map(|&i| writes[i].vote.id.as_str())
        .filter(|id| !stored.contains(*id))
        .map(str::to_owned)
        .collect();
    Ok(BatchRead {
        new: first_sightings(writes, order, &inserted),
        voters: serde_json::from_str(&voters)?,
        links: Some(serde_json::from_str(&links)?),
    })
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
