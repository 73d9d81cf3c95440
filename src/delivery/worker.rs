//! The delivery worker: claims due jobs under a lease, performs them against Discord, and
//! applies the failure policy. Wakes at once when work is queued.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::digest::{Digest, coalesce};
use super::execute::{bucket_of, perform};
use super::policy::{Step, next_step};
use crate::discord::{Discord, DiscordError, Sent};
use crate::domain::now_ms;
use crate::domain::time::Timestamp;
use crate::domain::work::Work;
use crate::metrics::Metrics;
use crate::storage::{Db, Job, JobId};

/// How long a claim holds a job by default (`delivery.lease_secs`); renewed while it runs.
pub const LEASE: Duration = Duration::from_secs(30);
/// Longest sleep between looks at the queue (other instances, expired leases).
const IDLE_POLL: Duration = Duration::from_secs(5);
const BATCH: i64 = 64;

pub struct Worker {
    db: Db,
    discord: Discord,
    wake: Arc<Notify>,
    instance: String,
    /// Rate-limit buckets resting until the given unix ms.
    resting: Mutex<HashMap<String, i64>>,
    lease: Duration,
    metrics: Metrics,
}

impl Worker {
    pub fn new(db: Db, discord: Discord, wake: Arc<Notify>, instance: String) -> Self {
        Self {
            db,
            discord,
            wake,
            instance,
            resting: Mutex::new(HashMap::new()),
            lease: LEASE,
            metrics: Metrics::default(),
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
            let now = now_ms();
            let lease_until = now + self.lease.as_millis() as i64;
            match self
                .db
                .claim_jobs(
                    &self.instance,
                    Timestamp::from_millis(now),
                    Timestamp::from_millis(lease_until),
                    BATCH,
                )
                .await
            {
                Ok(jobs) if jobs.is_empty() => self.idle(&stop).await,
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

    async fn idle(&self, stop: &CancellationToken) {
        let wait = match self.db.next_due_at().await {
            Ok(Some(due)) => {
                Duration::from_millis((due.as_millis() - now_ms()).max(0) as u64).min(IDLE_POLL)
            }
            _ => IDLE_POLL,
        };
        tokio::select! {
            _ = self.wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = stop.cancelled() => {}
        }
    }

    /// Works a batch: each rate-limit bucket in order, buckets side by side, leases renewed.
    async fn work_batch(&self, jobs: Vec<Job>, stop: &CancellationToken) {
        let ids: Vec<JobId> = jobs.iter().map(|j| j.id).collect();
        let mut buckets: BTreeMap<String, Vec<(Job, Work)>> = BTreeMap::new();
        for job in jobs {
            let work = job.work.clone();
            buckets
                .entry(bucket_of(job.guild_id.as_str(), &work))
                .or_default()
                .push((job, work));
        }
        let work = futures_util::future::join_all(
            buckets
                .into_iter()
                .map(|(bucket, jobs)| self.work_bucket(bucket, jobs, stop)),
        );
        let renew = async {
            loop {
                tokio::time::sleep(self.lease / 3).await;
                let until = now_ms() + self.lease.as_millis() as i64;
                let until = Timestamp::from_millis(until);
                if let Err(e) = self.db.renew_leases(&self.instance, &ids, until).await {
                    tracing::warn!(error = format!("{e:#}"), "cannot renew leases");
                }
            }
        };
        tokio::select! {
            _ = work => {}
            _ = renew => {}
        }
    }

    async fn work_bucket(&self, bucket: String, jobs: Vec<(Job, Work)>, stop: &CancellationToken) {
        let (digests, singles) = coalesce(jobs);
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
            self.work_one(&bucket, &job, &work).await;
        }
    }

    /// Posts one digest; every job it stands for shares the outcome.
    async fn work_digest(&self, bucket: &str, digest: Digest) {
        let result = match self.resting_until(bucket) {
            Some(until) => Err(DiscordError::RateLimited {
                retry_after: Duration::from_millis((until - now_ms()).max(0) as u64),
            }),
            None => {
                if let Err(e) = self.record_digest_nonce(&digest).await {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        "cannot record a digest nonce; retrying later"
                    );
                    for job in &digest.jobs {
                        let step = Step::RetryAt {
                            at: now_ms() + 1000,
                            counts: false,
                            error: "database busy".into(),
                        };
                        self.settle(job, step).await;
                    }
                    return;
                }
                let sent = self.discord.post_message(
                    digest.channel_id.as_str(),
                    &digest.message,
                    Some(&digest.nonce),
                );
                sent.await
            }
        };
        self.note_rate_limits(bucket, &result);
        if let Some(job) = digest.jobs.first() {
            super::outcomes::after_digest(
                &self.db,
                job.guild_id.as_str(),
                &digest.channel_id,
                &result,
            )
            .await;
        }
        tracing::info!(channel = %digest.channel_id, votes = digest.jobs.len(), ok = result.is_ok(), "digest posted");
        if result.as_ref().is_err_and(|e| !e.may_have_acted()) {
            // Discord answered, so nothing was posted under this nonce: the jobs may regroup.
            // After a timeout or a broken connection it may have posted: the nonce stays.
            if let Err(e) = self.db.set_group_nonce(&digest.job_ids(), None).await {
                tracing::warn!(error = format!("{e:#}"), "cannot clear a digest nonce");
            }
        }
        let outcome = result.map(|_| ());
        let mut done = Vec::new();
        for job in &digest.jobs {
            let created_at = job.created_at.as_millis();
            let step = next_step(&outcome, job.attempts as u32, created_at, now_ms());
            self.count(job.kind(), &outcome, &step);
            match step {
                Step::Done => done.push(job.id),
                step => self.settle(job, step).await,
            }
        }
        self.finish_all(&done).await;
    }

    /// Marks a digest's delivered jobs done in one transaction (one commit, where one per
    /// job competed with vote batches for SQLite's write lock).
    async fn finish_all(&self, ids: &[JobId]) {
        let now = Timestamp::from_millis(now_ms());
        if let Err(e) = self.db.finish_jobs(ids, now).await {
            tracing::error!(
                jobs = ids.len(),
                error = format!("{e:#}"),
                "cannot record job outcomes; their leases will lapse"
            );
        }
    }

    /// Keeps the digest's nonce with its jobs before posting, unless they carry it already.
    async fn record_digest_nonce(&self, digest: &Digest) -> anyhow::Result<()> {
        let recorded = digest
            .jobs
            .iter()
            .all(|j| j.group_nonce.as_deref() == Some(digest.nonce.as_str()));
        if recorded {
            return Ok(());
        }
        self.db
            .set_group_nonce(&digest.job_ids(), Some(&digest.nonce))
            .await
    }

    /// Rests the bucket after a 429, or when Discord says it is exhausted.
    fn note_rate_limits(&self, bucket: &str, result: &Result<Sent, DiscordError>) {
        let now = now_ms();
        match result {
            Ok(Sent {
                bucket_wait: Some(wait),
            }) => self.rest(bucket, now + wait.as_millis() as i64),
            Err(DiscordError::RateLimited { retry_after }) => {
                self.rest(bucket, now + retry_after.as_millis() as i64)
            }
            _ => {}
        }
    }

    async fn work_one(&self, bucket: &str, job: &Job, work: &Work) {
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
        let started = now_ms();
        let guild_id = job.guild_id.as_str();
        let result = perform(&self.db, &self.discord, guild_id, work, started).await;
        let now = now_ms();
        self.note_rate_limits(bucket, &result);
        let outcome = result.map(|_| ());
        let created_at = job.created_at.as_millis();
        let step = next_step(&outcome, job.attempts as u32, created_at, now);
        tracing::debug!(job = %job.id, kind = job.kind(), ?step, "job attempted");
        self.count(job.kind(), &outcome, &step);
        self.settle(job, step).await;
    }

    /// Counts an attempt in the metrics; a job held back by a rejected token made none.
    fn count(&self, kind: &str, outcome: &Result<(), DiscordError>, step: &Step) {
        if !matches!(outcome, Err(DiscordError::Unauthorized)) {
            self.metrics.discord_action(kind, step);
        }
    }

    async fn settle(&self, job: &Job, step: Step) {
        let now = Timestamp::from_millis(now_ms());
        let saved = match &step {
            Step::Done => self.db.finish_job(job.id, now).await,
            Step::RetryAt { at, counts, error } => {
                let attempts = job.attempts + i64::from(*counts);
                let at = Timestamp::from_millis(*at);
                self.db.retry_job(job.id, at, attempts, error).await
            }
            Step::Fail(error) => {
                tracing::warn!(job = %job.id, kind = job.kind(), guild = %job.guild_id, %error, "job failed");
                self.db.fail_job(job.id, error, now).await
            }
        };
        if let Err(e) = saved {
            tracing::error!(
                job = %job.id,
                error = format!("{e:#}"),
                "cannot record job outcome; its lease will lapse"
            );
        }
    }

    fn resting_until(&self, bucket: &str) -> Option<i64> {
        let resting = self.resting.lock().expect("bucket map poisoned");
        resting
            .get(bucket)
            .copied()
            .filter(|until| *until > now_ms())
    }

    fn rest(&self, bucket: &str, until: i64) {
        let mut resting = self.resting.lock().expect("bucket map poisoned");
        resting.retain(|_, t| *t > now_ms());
        resting.insert(bucket.to_string(), until);
    }
}

async fn sleep_unless_stopped(duration: Duration, stop: &CancellationToken) {
    tokio::select! {
        _ = tokio::time::sleep(duration) => {}
        _ = stop.cancelled() => {}
    }
}
