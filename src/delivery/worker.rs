//! The delivery worker: claims due jobs under a lease, performs them against Discord, and
//! applies the failure policy. Wakes at once when work is queued.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::digest::coalesce;
use super::execute::{bucket_of, perform};
use super::leases::HeldJobs;
use super::policy::{Step, next_step};
use super::resting::Resting;
use crate::discord::{Bucket, Discord, DiscordError, Sent};
use crate::domain::time::{SharedClock, Timestamp};
use crate::domain::work::Work;
use crate::metrics::Metrics;
use crate::storage::{Db, Job, JobId};

/// How long a claim holds a job by default (`delivery.lease_secs`); renewed while it runs.
pub const LEASE: Duration = Duration::from_secs(30);
/// Longest wait (on the clock) between looks at the queue (other instances, expired leases).
const IDLE_POLL: Duration = Duration::from_secs(5);
const BATCH: i64 = 64;
/// How soon a worker looks again at due work it could not claim because another holds it.
const HELD_ELSEWHERE: Duration = Duration::from_millis(250);

pub struct Worker {
    pub(super) db: Db,
    pub(super) discord: Discord,
    wake: Arc<Notify>,
    pub(super) instance: String,
    /// Rate-limit buckets Discord told to rest.
    resting: Resting,
    pub(super) lease: Duration,
    /// The leases of the batch being worked.
    pub(super) held: HeldJobs,
    metrics: Metrics,
    pub(super) clock: SharedClock,
}

impl Worker {
    /// A worker for `instance`, woken by `wake`, reading the time from `clock` and waiting on
    /// it (due times, backoff, rate-limit rests).
    pub fn new(
        db: Db,
        discord: Discord,
        wake: Arc<Notify>,
        instance: String,
        clock: SharedClock,
    ) -> Self {
        Self {
            db,
            discord,
            wake,
            instance,
            resting: Resting::default(),
            lease: LEASE,
            held: HeldJobs::default(),
            metrics: Metrics::default(),
            clock,
        }
    }

    /// Claims jobs for `lease` instead of [`LEASE`].
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Records Discord actions in `metrics`.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Works the queue until `stop` is cancelled; stops between jobs and gives back its leases.
    pub async fn run(self, stop: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(instance = %self.instance, "delivery worker started");
        while !stop.is_cancelled() {
            if let Err(wait) = self.discord.usable().await {
                sleep_unless_stopped(wait, &stop).await;
                continue;
            }
            let now = self.clock.now();
            match self
                .db
                .claim_jobs(&self.instance, now, self.lease, BATCH)
                .await
            {
                Ok(jobs) if jobs.is_empty() => self.idle(now, &stop).await,
                Ok(jobs) => self.work_batch(jobs, &stop).await,
                Err(e) => {
                    tracing::warn!(error = format!("{e:#}"), "cannot claim jobs; retrying");
                    sleep_unless_stopped(Duration::from_secs(1), &stop).await;
                }
            }
        }
        self.db.release_leases(&self.instance).await?;
        tracing::info!("delivery worker stopped");
        Ok(())
    }

    /// Waits until the next job is due on the clock (at most [`IDLE_POLL`] after the claim),
    /// work is queued, or `stop`. A job that fell due after the claim at `claimed_at` ends the
    /// wait at once; one due before that the claim left (another instance holds it, or its
    /// guild's announcements) is looked at again after [`HELD_ELSEWHERE`] of real time.
    async fn idle(&self, claimed_at: Timestamp, stop: &CancellationToken) {
        // Timed from the claim, not from a new reading: a clock moved while the queue was
        // read must not push the next look further away.
        let poll = claimed_at + IDLE_POLL;
        let wake_at = match self.db.next_due_at().await {
            Ok(Some(due)) => due.min(poll),
            _ => poll,
        };
        let wait = async {
            if wake_at <= claimed_at {
                tokio::time::sleep(HELD_ELSEWHERE).await;
            } else {
                self.clock.sleep_until(wake_at).await;
            }
        };
        tokio::select! {
            _ = self.wake.notified() => {}
            _ = wait => {}
            _ = stop.cancelled() => {}
        }
    }

    /// Works a batch: each rate-limit bucket in order, buckets side by side, leases renewed.
    async fn work_batch(&self, jobs: Vec<Job>, stop: &CancellationToken) {
        let ids: Vec<JobId> = jobs.iter().map(|j| j.id).collect();
        self.held.start(&ids);
        let mut buckets: BTreeMap<Bucket, Vec<(Job, Work)>> = BTreeMap::new();
        for job in jobs {
            let work = job.work.clone();
            buckets
                .entry(bucket_of(job.guild_id.as_ref(), &work))
                .or_default()
                .push((job, work));
        }
        let work = futures_util::future::join_all(
            buckets
                .into_iter()
                .map(|(bucket, jobs)| self.work_bucket(bucket, jobs, stop)),
        );
        tokio::select! {
            _ = work => {}
            _ = self.keep_leases() => {}
        }
    }

    async fn work_bucket(&self, bucket: Bucket, jobs: Vec<(Job, Work)>, stop: &CancellationToken) {
        let (digests, singles) = coalesce(super::embeds::as_channel_shows(&self.discord, jobs));
        for digest in digests {
            if stop.is_cancelled() {
                return;
            }
            self.work_digest(&bucket, digest).await;
        }
        for (job, work) in singles {
            if stop.is_cancelled() {
                return;
            }
            if self.held.is_lost(job.id) {
                continue;
            }
            self.work_one(&bucket, &job, &work).await;
        }
    }

    /// Rests the bucket after a 429, or when Discord says it is exhausted.
    pub(super) fn note_rate_limits(&self, bucket: &Bucket, result: &Result<Sent, DiscordError>) {
        let wait = match result {
            Ok(Sent {
                bucket_wait: Some(wait),
            }) => wait,
            Err(DiscordError::RateLimited { retry_after }) => retry_after,
            _ => return,
        };
        let now = self.clock.now();
        self.resting.rest(bucket, now + *wait, now);
    }

    async fn work_one(&self, bucket: &Bucket, job: &Job, work: &Work) {
        if let Some(until) = self.resting_until(bucket) {
            let error = job.last_error.clone().unwrap_or_default();
            self.settle(
                job,
                Step::RetryAt {
                    at: until,
                    counts: false,
                    error,
                },
            )
            .await;
            return;
        }
        if self.held_for_role(job, work).await {
            return;
        }
        let started = self.clock.now();
        let result = perform(
            &self.db,
            &self.discord,
            job.guild_id.as_ref(),
            work,
            started,
        )
        .await;
        self.note_rate_limits(bucket, &result);
        let outcome = result.map(|_| ());
        if self.waits_after_refusal(job, work, &outcome).await {
            return;
        }
        let step = self.next_step(job, &outcome);
        tracing::debug!(job = %job.id, kind = job.kind(), ?step, "job attempted");
        self.count(job.kind(), &outcome, &step);
        self.settle(job, step).await;
    }

    /// Counts an attempt in the metrics; a job held back by a rejected token made none.
    pub(super) fn count(&self, kind: &str, outcome: &Result<(), DiscordError>, step: &Step) {
        if !matches!(outcome, Err(DiscordError::Unauthorized)) {
            self.metrics.discord_action(kind, step.outcome());
        }
    }

    /// The policy's decision for `job` after `outcome`, now.
    pub(super) fn next_step(&self, job: &Job, outcome: &Result<(), DiscordError>) -> Step {
        next_step(
            outcome,
            job.attempts as u32,
            job.created_at,
            self.clock.now(),
        )
    }

    /// Records the job's outcome, if this instance still holds its lease.
    pub(super) async fn settle(&self, job: &Job, step: Step) {
        let (now, me) = (self.clock.now(), self.instance.as_str());
        let saved = match &step {
            Step::Done => self.db.finish_job(me, job.id, now).await,
            Step::RetryAt { at, counts, error } => {
                let attempts = job.attempts + i64::from(*counts);
                self.db.retry_job(me, job.id, *at, attempts, error).await
            }
            Step::Fail(error) => {
                tracing::warn!(job = %job.id, kind = job.kind(), guild = ?job.guild_id, %error, "job failed");
                self.db.fail_job(me, job.id, error, now).await
            }
        };
        match saved {
            Ok(true) => self.held.settled(job.id),
            Ok(false) => self.settle_refused(job.id),
            Err(e) => tracing::error!(
                job = %job.id,
                error = format!("{e:#}"),
                "cannot record job outcome; its lease will lapse"
            ),
        }
    }

    pub(super) fn resting_until(&self, bucket: &Bucket) -> Option<Timestamp> {
        self.resting.until(bucket, self.clock.now())
    }
}

/// A pause before asking an outside party again (the token check, the database after an
/// error): real time, not the app's clock, because that party's recovery does not follow it.
async fn sleep_unless_stopped(duration: Duration, stop: &CancellationToken) {
    tokio::select! {
        _ = tokio::time::sleep(duration) => {}
        _ = stop.cancelled() => {}
    }
}

#[cfg(test)]
mod tests;
