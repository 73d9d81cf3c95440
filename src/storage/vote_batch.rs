//! Postgres's vote batches: two statements per batch (not per vote), so with group commit
//! the cost of a webhook is mostly its share of them. Their text is fixed (see `vote_sql`):
//! the rows go as JSON arrays, built in `vote_rows`. The planning between the read and the
//! write is the one SQLite's batches (`vote_thread`) use: `votes::plan_batch`.

use std::collections::{HashMap, HashSet};

use super::links::{LinkRoleRow, group_link_rows};
use super::sql::{Sql, WriteTx};
use super::vote_plan::{VoteOutcome, VoteWrite, VoterRow, first_sightings, key_order, outcomes};
use super::vote_rows::{BatchRows, votes_json};
use super::vote_sql::{POSTGRES_READ, POSTGRES_WRITE};
use super::votes::{Effects, plan_batch};
use crate::domain::ids::ConnectionId;
use crate::domain::work::LinkSettings;

/// What a batch found before writing: the writes that first store their vote id (in key
/// order) and the figures of their voters.
pub(super) struct BatchRead {
    pub new: Vec<usize>,
    pub voters: Vec<VoterRow>,
}

/// A row of `links::LINK_SETTINGS` and the connection it belongs to.
pub(super) type ConnectionLinkRow = (ConnectionId, LinkRoleRow);

/// Records a batch in `tx` (Postgres) and commits it: `BEGIN`, the read (which inserts the
/// votes and locks their voters' totals), the write, the reminders if any, `COMMIT`.
pub(super) async fn record_postgres_batch(
    mut tx: WriteTx,
    writes: &[VoteWrite<'_>],
    effects: Effects,
) -> anyhow::Result<Vec<VoteOutcome>> {
    let order = key_order(writes);
    let votes = votes_json(writes, &order)?;
    let columns = tx.fetch_one(Sql::new(POSTGRES_READ).bind(votes)).await?;
    let (read, links) = decode_batch_read(writes, &order, ReadIds::Inserted, columns)?;
    if read.new.is_empty() {
        tx.commit().await?;
        return Ok(outcomes(writes.len(), &HashMap::new()));
    }
    let plan = plan_batch(writes, &read.new, &read.voters, links, effects)?;
    tx.execute(batch_write(&plan.rows)).await?;
    tx.schedule_reminders(&plan.reminders, writes[0].now)
        .await?;
    tx.commit().await?;
    Ok(outcomes(writes.len(), &plan.stored))
}

/// What the first column of a batch read lists.
pub(super) enum ReadIds {
    /// The vote ids the read inserted ([`POSTGRES_READ`]).
    Inserted,
    /// The batch's vote ids that were already stored (SQLite's read, which inserts nothing).
    AlreadyStored,
}

/// A batch read's three JSON columns, either backend's: which writes are new (from the ids
/// of the first column, read as `ids` says), their voters' figures (locked on Postgres), and
/// the link rows of the batch's connections.
pub(super) fn decode_batch_read(
    writes: &[VoteWrite<'_>],
    order: &[usize],
    ids: ReadIds,
    (first, voters, links): (String, String, String),
) -> anyhow::Result<(BatchRead, Vec<ConnectionLinkRow>)> {
    let listed: HashSet<String> = serde_json::from_str(&first)?;
    let inserted = match ids {
        ReadIds::Inserted => listed,
        ReadIds::AlreadyStored => order
            .iter()
            .map(|&i| writes[i].vote.id.as_str())
            .filter(|id| !listed.contains(*id))
            .map(str::to_owned)
            .collect(),
    };
    let read = BatchRead {
        new: first_sightings(writes, order, &inserted),
        voters: serde_json::from_str(&voters)?,
    };
    Ok((read, serde_json::from_str(&links)?))
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
