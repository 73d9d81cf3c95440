//! Vote recovery: with a project's API token, the bot lists the project's votes on Top.gg and
//! stores the ones it missed, with their usual effects (announcement, rewards, totals), through
//! the same storage path as webhook votes. It runs at start-up, every `topgg.recover_every_secs`,
//! and once votes can be taken again after a time they could not (a failed write, which is
//! what a 503 answers, or votes waiting in the spool).
//!
//! Each pass lists from shortly before where the last one got to (`recovered_until`), so the
//! time the process was down, or failing, is covered. The first pass of a token imports the
//! last year into totals, streaks and leaderboards without announcing or granting anything.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::api::{ApiError, ApiProject, ListedVote, TopggApi};
use super::recovered::{Window, recovered_vote, vote_project};
use crate::domain::events::{Project, Vote};
use crate::domain::time::{DAY, SharedClock};
use crate::storage::{ApiToken, Connection, Db, VoteOutcome, VoteWrite, VoteWriter};

/// How far before the last pass's end a pass starts listing: votes Top.gg lists late, and
/// clocks that differ a little, are still seen.
pub const OVERLAP: Duration = Duration::from_secs(15 * 60);
/// How far back the first-token import lists (Top.gg allows a year; a day's margin).
pub const IMPORT_SPAN: Duration = Duration::from_secs(364 * 24 * 3600);
/// After a failed pass, the next comes this soon (unless the period is shorter).
const RETRY_SOON: Duration = Duration::from_secs(60);
/// How often the vote path is checked for a fault that has ended.
const FAULT_POLL: Duration = Duration::from_secs(2);
/// A pass follows at most this many pages (a cursor that never ends cannot hold it forever).
const MAX_PAGES: usize = 10_000;
/// Votes stored per transaction.
const CHUNK: usize = 256;

/// Why one connection's pass stopped.
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    /// The token must not be used again until replaced.
    #[error("{0}")]
    Rejected(String),
    #[error(transparent)]
    Api(ApiError),
    #[error(transparent)]
    Storage(#[from] anyhow::Error),
}

impl From<ApiError> for PassError {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::Rejected(_) => PassError::Rejected(error.to_string()),
            other => PassError::Api(other),
        }
    }
}

/// The recovery task and what it works with.
#[derive(Clone)]
pub struct Recovery {
    pub db: Db,
    pub api: TopggApi,
    pub clock: SharedClock,
    /// `topgg.recover_every_secs`.
    pub every: Duration,
    /// `database.retention_days`: raw votes older than this were pruned.
    pub retention: Duration,
    /// The vote path, watched for faults.
    pub votes: VoteWriter,
    /// Wakes the delivery worker after votes were stored.
    pub work_queued: Arc<Notify>,
    /// Notified when a token was set (`/topgg api`): a pass runs at once (shared by clones).
    pub token_set: Arc<Notify>,
}

impl Recovery {
    /// Recovers at once, then every period and after each fault of the vote path, until `stop`.
    pub async fn run(self, stop: CancellationToken) -> anyhow::Result<()> {
        loop {
            let started = self.clock.now();
            let failed = tokio::select! {
                _ = stop.cancelled() => return Ok(()),
                failed = self.recover_all() => failed,
            };
            let wait = if failed {
                self.every.min(RETRY_SOON)
            } else {
                self.every
            };
            let next = started + wait;
            tracing::debug!(next = %next.to_rfc3339(), now = %self.clock.now().to_rfc3339(), "next recovery pass");
            tokio::select! {
                _ = stop.cancelled() => return Ok(()),
                _ = self.clock.sleep_until(next) => {}
                _ = self.token_set.notified() => {}
                _ = fault_over(&self.votes) => {
                    tracing::info!("votes could not be taken for a while: looking for missed ones");
                }
            }
        }
    }

    /// One pass for every usable token; whether any failed (and should be tried again soon).
    pub async fn recover_all(&self) -> bool {
        let tokens = match self.db.usable_api_tokens().await {
            Ok(tokens) => tokens,
            Err(e) => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "vote recovery cannot read the API tokens"
                );
                return true;
            }
        };
        let mut failed = false;
        tracing::debug!(tokens = tokens.len(), "recovery pass");
        for token in &tokens {
            failed |= self.recover_logged(token).await;
        }
        failed
    }

    /// One connection's pass, its outcome logged; whether it failed.
    async fn recover_logged(&self, token: &ApiToken) -> bool {
        let connection = token.connection_id.as_str();
        match self.recover(token).await {
            Ok(0) => false,
            Ok(stored) => {
                tracing::info!(connection, stored, "recovered votes from Top.gg's API");
                false
            }
            Err(PassError::Rejected(reason)) => {
                let now = self.clock.now();
                let rejected =
                    self.db
                        .reject_api_token(&token.connection_id, &token.token.0, &reason, now);
                if let Err(e) = rejected.await {
                    tracing::warn!(
                        connection,
                        error = format!("{e:#}"),
                        "cannot record a rejected API token"
                    );
                    return true;
                }
                tracing::error!(
                    connection,
                    reason,
                    "API token rejected: vote recovery stops until it is replaced"
                );
                false
            }
            Err(e) => {
                tracing::warn!(
                    connection,
                    error = format!("{e:#}"),
                    "vote recovery failed; trying again soon"
                );
                true
            }
        }
    }

    /// Lists the connection's votes since the last pass (or the last year, the first time)
    /// and stores the missed ones; how many were stored.
    pub async fn recover(&self, token: &ApiToken) -> Result<usize, PassError> {
        let Some(connection) = self.db.connection(&token.connection_id).await? else {
            return Ok(0);
        };
        let secret = &token.token.0;
        let project = self.api.project(secret).await?;
        if project.id != connection.project_id {
            return Err(PassError::Rejected(
                "the token belongs to another Top.gg project".into(),
            ));
        }
        let now = self.clock.now();
        let window = Window::of(token, &connection, now, self.retention);
        tracing::debug!(connection = token.connection_id.as_str(), since = %window.since.to_rfc3339(), import = window.import, "listing votes");
        let stored = self
            .list_and_store(secret, &connection, &project, &window)
            .await?;
        self.db.recovered(&connection.connection_id, now).await?;
        Ok(stored)
    }

    async fn list_and_store(
        &self,
        secret: &SecretString,
        connection: &Connection,
        project: &ApiProject,
        window: &Window,
    ) -> Result<usize, PassError> {
        let project = vote_project(connection, project);
        let mut page = self.api.votes_since(secret, window.since).await?;
        let mut stored = 0;
        for _ in 0..MAX_PAGES {
            let wanted: Vec<&ListedVote> = page.data.iter().filter(|v| window.wants(v)).collect();
            for chunk in wanted.chunks(CHUNK) {
                stored += self
                    .store(connection, &project, chunk, window.import)
                    .await?;
            }
            match page
                .cursor
                .take()
                .filter(|c| !c.is_empty() && !page.data.is_empty())
            {
                Some(cursor) => page = self.api.votes_after(secret, &cursor).await?,
                None => break,
            }
        }
        Ok(stored)
    }

    /// Stores listed votes (figures only when importing); how many were new.
    pub(super) async fn store(
        &self,
        connection: &Connection,
        project: &Project,
        listed: &[&ListedVote],
        import: bool,
    ) -> anyhow::Result<usize> {
        let voters: Vec<_> = listed.iter().map(|v| &v.platform_id).collect();
        let names = self
            .db
            .voter_names(&connection.connection_id, &voters)
            .await?;
        let votes: Vec<Vote> = listed
            .iter()
            .map(|v| recovered_vote(connection, project, v, &names))
            .collect();
        let now = self.clock.now();
        let writes: Vec<VoteWrite> = votes
            .iter()
            .map(|vote| VoteWrite {
                connection,
                vote,
                now,
            })
            .collect();
        let outcomes = match import {
            true => self.db.import_votes(&writes).await?,
            false => self.db.record_votes(&writes).await?,
        };
        let stored = outcomes
            .iter()
            .filter(|o| matches!(o, VoteOutcome::Stored { .. }))
            .count();
        if stored > 0 && !import {
            self.work_queued.notify_one();
        }
        Ok(stored)
    }
}

/// Resolves once the vote path has failed (a write failed, which a webhook answers 503, or
/// votes went to the spool) and then recovered.
async fn fault_over(votes: &VoteWriter) {
    let troubles = votes.troubles();
    let troubled = || votes.failing() || votes.spool_depth() > 0;
    // A fault over before a poll saw it still moved the count.
    while !troubled() && votes.troubles() == troubles {
        tokio::time::sleep(FAULT_POLL).await;
    }
    while troubled() {
        tokio::time::sleep(FAULT_POLL).await;
    }
}

/// `database.retention_days` as a span.
pub fn retention(days: u32) -> Duration {
    DAY * days
}
