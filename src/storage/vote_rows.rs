//! The JSON rows of a batch's statements (see `vote_sql`): one array per statement, one
//! inner array per row, built from the plan of `vote_plan` (pure).

use super::vote_plan::{TotalsUpdate, VoteWrite, VoterKey, key_of};
use crate::domain::ids::{ConnectionId, GuildId, RoleId, UserId, VoteId};
use crate::domain::time::Timestamp;
use crate::domain::work::PlannedJob;

/// Votes per (connection, month, voter), counted in weight.
pub(super) type MonthCount<'a> = (VoterKey<'a>, String, i64);

/// The rows a batch writes besides its votes, each a JSON array for one statement.
pub(super) struct BatchRows {
    pub totals: String,
    pub months: String,
    pub jobs: String,
    pub grants: String,
}

/// The `votes` rows of the writes (in `order`), each followed by its history key (which
/// Postgres's batch read uses and the inserts leave out).
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
                w.connection.history_key(),
            )
        })
        .collect();
    serde_json::to_string(&rows)
}

/// The distinct voters of the writes at `indices` (which come in key order).
pub(super) fn keys_json(writes: &[VoteWrite<'_>], indices: &[usize]) -> serde_json::Result<String> {
    let mut keys: Vec<VoterKey<'_>> = indices.iter().map(|&i| key_of(&writes[i])).collect();
    keys.dedup();
    serde_json::to_string(&keys)
}

/// A job to queue, with the vote it came from.
pub(super) struct JobRow<'a> {
    pub connection: &'a ConnectionId,
    pub vote: &'a VoteId,
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
        let Some((grant, user)) = job.planned.grant_for() else {
            continue;
        };
        let key = (&job.planned.guild_id, job.connection, &grant.role_id, user);
        let same = |g: &&mut GrantRow<'a>| (g.0, g.1, g.2, g.3) == key;
        match grants.iter_mut().find(same) {
            Some(row) => row.4 = row.4.zip(grant.expires_at).map(|(a, b)| a.max(b)),
            None => grants.push((key.0, key.1, key.2, key.3, grant.expires_at)),
        }
    }
    grants
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rewards::Grant;
    use crate::domain::work::Work;

    fn grant(role: u64, expires_at: Option<i64>) -> PlannedJob {
        PlannedJob {
            guild_id: GuildId::from(1),
            work: Work::GrantRole {
                user_id: UserId::from(7),
                role_id: RoleId::from(role),
            },
            due_at: Timestamp::from_millis(0),
            grant: Some(Grant {
                role_id: RoleId::from(role),
                expires_at: expires_at.map(Timestamp::from_millis),
            }),
        }
    }

    #[test]
    fn grants_of_one_role_merge_to_the_latest_or_to_never() {
        let (connection, vote) = (ConnectionId::from(3), VoteId::from(4));
        let planned = [
            grant(10, Some(5)),
            grant(10, Some(9)),
            grant(20, Some(5)),
            grant(20, None),
            grant(20, Some(8)),
            grant(30, Some(2)),
        ];
        let jobs: Vec<JobRow> = planned
            .iter()
            .map(|planned| JobRow {
                connection: &connection,
                vote: &vote,
                planned,
                now: Timestamp::from_millis(0),
            })
            .collect();
        let merged: Vec<(String, Option<Timestamp>)> = merged_grants(&jobs)
            .into_iter()
            .map(|g| (g.2.to_string(), g.4))
            .collect();
        let at = |ms| Some(Timestamp::from_millis(ms));
        let expected = [("10", at(9)), ("20", None), ("30", at(2))];
        let expected: Vec<_> = expected.iter().map(|(r, e)| (r.to_string(), *e)).collect();
        assert_eq!(merged, expected);
    }
}
