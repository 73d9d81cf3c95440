//! Planning a batch of votes (pure): which are new, each voter's figures after them, the
//! rows every batched statement writes.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use sqlx::FromRow;

use super::Connection;
use crate::domain::events::Vote;
use crate::domain::ids::{ConnectionId, UserId, VoterId};
use crate::domain::tally::Tally;
use crate::domain::time::Timestamp;
use crate::domain::work::{LinkSettings, PlannedJob, plan_vote};

/// One vote to store, with the connection it came through and the time it arrived.
#[derive(Debug, Clone, Copy)]
pub struct VoteWrite<'a> {
    pub connection: &'a Connection,
    pub vote: &'a Vote,
    pub now: Timestamp,
}

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

/// A voter of one history (see [`Connection::history_key`]): the key of `voter_totals`,
/// `monthly_votes` and `reminder_optins`.
pub(super) type VoterKey<'a> = (&'a str, &'a VoterId);

/// A voter's row in `voter_totals` before the batch (no figures: no row yet), and whether
/// they opted in to reminders. Read as a row (Postgres) or a JSON array (SQLite).
#[derive(FromRow, Deserialize)]
pub(super) struct VoterRow {
    history_key: String,
    voter_id: VoterId,
    total_votes: Option<i64>,
    streak: Option<i64>,
    last_vote_at: Option<Timestamp>,
    opted: bool,
}

/// A voter's row in `voter_totals` after the batch.
pub(super) struct TotalsUpdate<'a> {
    pub key: VoterKey<'a>,
    /// The connection of the voter's last vote in the batch (its reminder goes through it).
    pub connection: &'a ConnectionId,
    /// The voter as a Discord user (only they get reminders).
    pub discord_voter: Option<UserId>,
    pub name: &'a str,
    pub tally: Tally,
    pub expires_at: Timestamp,
}

/// Indices of `writes` in (history, voter) order, arrival order within a voter.
pub(super) fn key_order(writes: &[VoteWrite<'_>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..writes.len()).collect();
    order.sort_by_key(|&i| key_of(&writes[i]));
    order
}

/// The history row a write counts in.
pub(super) fn key_of<'a>(write: &VoteWrite<'a>) -> VoterKey<'a> {
    (write.connection.history_key(), &write.vote.user.platform_id)
}

/// What makes a vote the same vote without its id: its connection, voter and time cast.
fn moment_of<'a>(write: &VoteWrite<'a>) -> (&'a ConnectionId, &'a VoterId, Timestamp) {
    (
        &write.connection.connection_id,
        &write.vote.user.platform_id,
        write.vote.cast_at(),
    )
}

/// The writes (in `order`) that first stored their vote; a second write of the same id, or
/// of the same vote (connection, voter, `created_at`) under another id, in the batch is a
/// duplicate like any other.
pub(super) fn first_sightings(
    writes: &[VoteWrite<'_>],
    order: &[usize],
    inserted: &HashSet<String>,
) -> Vec<usize> {
    let mut seen = HashSet::new();
    let mut moments = HashSet::new();
    order
        .iter()
        .copied()
        .filter(|&i| {
            let id = writes[i].vote.id.as_str();
            inserted.contains(id) && seen.insert(id) && moments.insert(moment_of(&writes[i]))
        })
        .collect()
}

/// Each stored vote's tally, applied in order on top of the voters' previous figures;
/// returns them by write index, with the final tally of every voter.
pub(super) fn tallies<'a>(
    writes: &[VoteWrite<'a>],
    stored: &[usize],
    mut figures: HashMap<VoterKey<'a>, Option<Tally>>,
) -> (HashMap<usize, Tally>, HashMap<VoterKey<'a>, Option<Tally>>) {
    let mut by_write = HashMap::new();
    for &i in stored {
        let previous = figures.get(&key_of(&writes[i])).copied().flatten();
        let vote = writes[i].vote;
        let tally = Tally::after_vote(previous, vote.cast_at(), vote.weight);
        figures.insert(key_of(&writes[i]), Some(tally));
        by_write.insert(i, tally);
    }
    (by_write, figures)
}

/// Votes per (history, month, voter) among the stored writes, counted in weight.
pub(super) fn month_counts<'a>(
    writes: &[VoteWrite<'a>],
    stored: &[usize],
) -> Vec<(VoterKey<'a>, String, i64)> {
    let mut counts: Vec<(VoterKey<'a>, String, i64)> = Vec::new();
    for &i in stored {
        let month = writes[i].vote.created_at.format("%Y-%m").to_string();
        let key = key_of(&writes[i]);
        let weight = writes[i].vote.weight.max(1);
        match counts.iter_mut().find(|(k, m, _)| *k == key && *m == month) {
            Some(entry) => entry.2 += weight,
            None => counts.push((key, month, weight)),
        }
    }
    counts
}

/// The outcome of each write, in input order.
pub(super) fn outcomes(len: usize, stored: &HashMap<usize, (Tally, usize)>) -> Vec<VoteOutcome> {
    (0..len)
        .map(|i| match stored.get(&i) {
            Some(&(tally, jobs)) => VoteOutcome::Stored { tally, jobs },
            None => VoteOutcome::Duplicate,
        })
        .collect()
}

/// The distinct voters of the stored writes (which come in key order), with a name each.
pub(super) fn voter_keys<'a>(writes: &[VoteWrite<'a>], stored: &[usize]) -> Vec<VoterKey<'a>> {
    let mut keys: Vec<VoterKey<'a>> = stored.iter().map(|&i| key_of(&writes[i])).collect();
    keys.dedup();
    keys
}

/// Each voter's row after the batch: the last vote's name, the final tally, the latest
/// expiry.
pub(super) fn totals_updates<'a>(
    writes: &[VoteWrite<'a>],
    stored: &[usize],
    finals: &HashMap<VoterKey<'a>, Option<Tally>>,
) -> Vec<TotalsUpdate<'a>> {
    let mut updates: Vec<TotalsUpdate<'a>> = Vec::new();
    for &i in stored {
        let (key, vote) = (key_of(&writes[i]), writes[i].vote);
        let expires_at = vote.expiry();
        match updates.last_mut().filter(|u| u.key == key) {
            Some(update) => {
                update.name = &vote.user.name;
                update.connection = &writes[i].connection.connection_id;
                update.expires_at = update.expires_at.max(expires_at);
            }
            None => updates.push(TotalsUpdate {
                key,
                connection: &writes[i].connection.connection_id,
                discord_voter: vote.discord_voter(),
                name: &vote.user.name,
                tally: finals[&key].expect("every stored voter is tallied"),
                expires_at,
            }),
        }
    }
    updates
}

/// The Discord work of each stored vote, tagged with its write index; records each stored
/// vote's tally and job count in `stored_as`.
pub(super) fn plan_jobs(
    writes: &[VoteWrite<'_>],
    tallies: &HashMap<usize, Tally>,
    links: &HashMap<&ConnectionId, Vec<LinkSettings>>,
    stored_as: &mut HashMap<usize, (Tally, usize)>,
) -> Vec<(usize, PlannedJob)> {
    let mut jobs = Vec::new();
    let mut stored: Vec<usize> = tallies.keys().copied().collect();
    stored.sort_unstable();
    for i in stored {
        let (w, tally) = (&writes[i], tallies[&i]);
        let settings = &links[&w.connection.connection_id];
        let planned = plan_vote(w.vote, &tally, settings, w.now);
        stored_as.insert(i, (tally, planned.len()));
        jobs.extend(planned.into_iter().map(|job| (i, job)));
    }
    jobs
}

/// Each voter's figures before the batch (`None`: no vote counted yet).
pub(super) fn previous_figures<'a>(
    keys: &[VoterKey<'a>],
    rows: &[VoterRow],
) -> HashMap<VoterKey<'a>, Option<Tally>> {
    keys.iter()
        .map(|key| {
            let row = rows
                .iter()
                .find(|r| (r.history_key.as_str(), &r.voter_id) == *key);
            let tally = row.and_then(|r| {
                Some(Tally {
                    total: r.total_votes.filter(|t| *t > 0)?,
                    streak: r.streak?,
                    last_vote_at: r.last_vote_at?,
                })
            });
            (*key, tally)
        })
        .collect()
}

/// The voters among `rows` who opted in to reminders.
pub(super) fn opted_in(rows: &[VoterRow]) -> HashSet<VoterKey<'_>> {
    rows.iter()
        .filter(|r| r.opted)
        .map(|r| (r.history_key.as_str(), &r.voter_id))
        .collect()
}
