//! The statements that record a batch of votes, a few per batch (not per vote): with group
//! commit, the cost of a webhook is then mostly its share of them. Their text is fixed (see
//! `vote_sql`): the rows go as JSON arrays, built here from the plan of `vote_plan`.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use sqlx::FromRow;

use super::links::{LINK_SETTINGS, LinkRoleRow, group_link_rows};

use super::sql::{Sql, WriteTx};
use super::vote_plan::{TotalsUpdate, VoteWrite, VoterKey, VoterRow, first_sightings, key_of};
use super::vote_sql::{
    POSTGRES_ENSURE_TOTALS, POSTGRES_INSERT_VOTES, POSTGRES_LOCK_TOTALS, POSTGRES_WRITE,
    SQLITE_READ, SQLITE_WRITE,
};
use crate::domain::ids::{ConnectionId, GuildId, RoleId, UserId, VoteId};
use crate::domain::time::Timestamp;
use crate::domain::work::{LinkSettings, PlannedJob};

/// Votes per (connection, month, voter), counted in weight.
pub(super) type MonthCount<'a> = (VoterKey<'a>, String, i64);

/// What a batch found before writing: the writes that first store their vote id (in key
/// order) and the figures of their voters.
pub(super) struct BatchRead {
    pub new: Vec<usize>,
    pub voters: Vec<VoterRow>,
}

/// The rows a batch writes besides its votes, each a JSON array for one statement.
pub(super) struct BatchRows {
    pub totals: String,
    pub months: String,
    pub jobs: String,
    pub grants: String,
}

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
        let (stored, voters): (String, String) = self.fetch_one(read).await?;
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
        })
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

    /// Writes the batch: on SQLite the votes too, in the same round trip.
    pub(super) async fn write_batch(
        &mut self,
        votes: &str,
        rows: &BatchRows,
    ) -> anyhow::Result<()> {
        let write = if self.is_postgres() {
            Sql::new(POSTGRES_WRITE)
        } else {
            Sql::new(SQLITE_WRITE).bind(votes)
        };
        let write = write
            .bind(rows.totals.as_str())
            .bind(rows.months.as_str())
            .bind(rows.jobs.as_str())
            .bind(rows.grants.as_str());
        self.execute(write).await?;
        Ok(())
    }

    /// The link settings of each connection among the stored writes, in one statement.
    pub(super) async fn links_of_writes<'a>(
        &mut self,
        writes: &[VoteWrite<'a>],
        stored: &[usize],
    ) -> anyhow::Result<HashMap<&'a ConnectionId, Vec<LinkSettings>>> {
        let mut links: HashMap<&'a ConnectionId, Vec<LinkSettings>> = HashMap::new();
        for &i in stored {
            links
                .entry(&writes[i].connection.connection_id)
                .or_default();
        }
        let ids: Vec<&ConnectionId> = links.keys().copied().collect();
        let text = if self.is_postgres() {
            &POSTGRES_LINKS
        } else {
            &SQLITE_LINKS
        };
        let sql = Sql::new(text.as_str()).bind(serde_json::to_string(&ids)?);
        let rows: Vec<BatchLinkRow> = self.fetch_all(sql).await?;
        let mut rows = rows.into_iter().peekable();
        while let Some(first) = rows.next() {
            let connection = first.batch_connection;
            let mut of_connection = vec![first.row];
            while let Some(next) = rows.next_if(|r| r.batch_connection == connection) {
                of_connection.push(next.row);
            }
            if let Some(settings) = links.get_mut(&connection) {
                *settings = group_link_rows(of_connection);
            }
        }
        Ok(links)
    }
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

static SQLITE_LINKS: LazyLock<String> =
    LazyLock::new(|| links_of_connections("l.connection_id IN (SELECT value FROM jsonb_each($1))"));
static POSTGRES_LINKS: LazyLock<String> = LazyLock::new(|| {
    links_of_connections("l.connection_id IN (SELECT jsonb_array_elements_text($1::text::jsonb))")
});

/// The `votes` rows of the writes (in `order`).
pub(super) fn votes_json(writes: &[VoteWrite<'_>], order: &[usize]) -> serde_json::Result<String> {
    let rows: Vec<_> = order
        .iter()
        .map(|&i| {
            let (w, v) = (&writes[i], writes[i].vote);
            (
                &v.id,
                &w.connection.connection_id,
                &v.project.id,
                &v.user.id,
                &v.user.platform_id,
                &v.user.name,
                v.weight,
                v.cast_at(),
                v.expiry(),
                w.now,
            )
        })
        .collect();
    serde_json::to_string(&rows)
}

/// The distinct voters of the writes at `indices` (which come in key order).
fn keys_json(writes: &[VoteWrite<'_>], indices: &[usize]) -> serde_json::Result<String> {
    let mut keys: Vec<VoterKey<'_>> = indices.iter().map(|&i| key_of(&writes[i])).collect();
    keys.dedup();
    serde_json::to_string(&keys)
}

/// A job to queue, with the vote it came from.
pub(super) struct JobRow<'a> {
    pub connection: &'a ConnectionId,
    pub vote: &'a VoteId,
    pub voter: &'a UserId,
    pub planned: &'a PlannedJob,
    pub now: Timestamp,
}

/// The JSON rows of a batch's totals, months, jobs and grants.
pub(super) fn batch_rows(
    updates: &[TotalsUpdate<'_>],
    months: &[MonthCount<'_>],
    jobs: &[JobRow<'_>],
) -> anyhow::Result<BatchRows> {
    let totals: Vec<_> = updates
        .iter()
        .map(|u| {
            let t = &u.tally;
            (
                u.key.0,
                u.key.1,
                u.name,
                t.total,
                t.streak,
                t.last_vote_at,
                u.expires_at,
            )
        })
        .collect();
    let months: Vec<_> = months.iter().map(|((c, v), m, n)| (c, m, v, n)).collect();
    let mut queued = Vec::with_capacity(jobs.len());
    for job in jobs {
        let work = &job.planned.work;
        queued.push((
            work.kind(),
            &job.planned.guild_id,
            job.connection,
            job.vote,
            serde_json::to_string(work)?,
            job.planned.due_at,
            job.now,
        ));
    }
    Ok(BatchRows {
        totals: serde_json::to_string(&totals)?,
        months: serde_json::to_string(&months)?,
        jobs: serde_json::to_string(&queued)?,
        grants: serde_json::to_string(&merged_grants(jobs))?,
    })
}

/// A live grant: (guild, connection, role, user) and when it lapses.
type GrantRow<'a> = (
    &'a GuildId,
    &'a ConnectionId,
    &'a RoleId,
    &'a UserId,
    Option<Timestamp>,
);

/// The grants of the jobs, one per (guild, connection, role, user): a grant that never lapses
/// wins, else the latest (as the upsert would leave them one by one; Postgres refuses to
/// upsert a row twice in one statement).
fn merged_grants<'a>(jobs: &[JobRow<'a>]) -> Vec<GrantRow<'a>> {
    let mut grants: Vec<GrantRow<'a>> = Vec::new();
    for job in jobs {
        let Some(grant) = &job.planned.grant else {
            continue;
        };
        let key = (
            &job.planned.guild_id,
            job.connection,
            &grant.role_id,
            job.voter,
        );
        let same = |g: &&mut GrantRow<'a>| (g.0, g.1, g.2, g.3) == key;
        match grants.iter_mut().find(same) {
            Some(row) => row.4 = row.4.zip(grant.expires_at).map(|(a, b)| a.max(b)),
            None => grants.push((key.0, key.1, key.2, key.3, grant.expires_at)),
        }
    }
    grants
}
