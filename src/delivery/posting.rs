//! Posting a digest: one message standing for several announcements of one channel.

use std::time::Duration;

use super::digest::Digest;
use super::policy::Step;
use super::worker::Worker;
use crate::discord::{Bucket, DiscordError};
use crate::domain::keys::GuildChannel;
use crate::storage::JobId;

impl Worker {
    /// Posts one digest; every job it stands for shares the outcome.
    pub(super) async fn work_digest(&self, bucket: &Bucket, digest: Digest) {
        if digest.jobs.iter().any(|j| self.held.is_lost(j.id)) {
            self.give_back(&digest).await;
            return;
        }
        if self.digest_channel_paused(&digest).await {
            tracing::debug!(channel = %digest.channel_id, "announcements paused here; digest skipped");
            for job in &digest.jobs {
                self.count(job.kind(), &Ok(()), &Step::Done);
            }
            self.finish_all(&digest.job_ids()).await;
            return;
        }
        let result = match self.resting_until(bucket) {
            Some(until) => Err(DiscordError::RateLimited {
                retry_after: until.since(self.clock.now()),
            }),
            None => {
                if let Err(e) = self.record_digest_nonce(&digest).await {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        "cannot record a digest nonce; retrying later"
                    );
                    for job in &digest.jobs {
                        let step = Step::RetryAt {
                            at: self.clock.now() + Duration::from_secs(1),
                            counts: false,
                            error: "database busy".into(),
                        };
                        self.settle(job, step).await;
                    }
                    return;
                }
                let names = super::automod::voter_names(digest.jobs.iter().map(|j| &j.work));
                let (channel, nonce) = (&digest.channel_id, Some(digest.nonce.as_str()));
                super::automod::post(&self.discord, channel, &digest.message, nonce, &names).await
            }
        };
        self.note_rate_limits(bucket, &result);
        if let Some(guild_id) = digest.jobs.first().and_then(|j| j.guild_id.as_ref()) {
            super::outcomes::after_digest(&self.db, guild_id, &digest.channel_id, &result).await;
        }
        tracing::info!(channel = %digest.channel_id, votes = digest.jobs.len(), ok = result.is_ok(), "digest posted");
        if result.as_ref().is_err_and(|e| !e.may_have_acted()) {
            // Discord answered, so nothing was posted under this nonce: the jobs may regroup.
            // After a timeout or a broken connection it may have posted: the nonce stays.
            let (me, ids) = (self.instance.as_str(), digest.job_ids());
            if let Err(e) = self.db.set_group_nonce(me, &ids, None).await {
                tracing::warn!(error = format!("{e:#}"), "cannot clear a digest nonce");
            }
        }
        let outcome = result.map(|_| ());
        let mut done = Vec::new();
        for job in &digest.jobs {
            let step = self.next_step(job, &outcome);
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
        let now = self.clock.now();
        match self.db.finish_jobs(&self.instance, ids, now).await {
            Ok(settled) => {
                if settled < ids.len() as u64 {
                    let lost = ids.len() as u64 - settled;
                    tracing::warn!(
                        lost,
                        "leases lost before a digest's jobs were settled; left to the instance that holds them"
                    );
                }
                ids.iter().for_each(|id| self.held.settled(*id));
            }
            Err(e) => tracing::error!(
                jobs = ids.len(),
                error = format!("{e:#}"),
                "cannot record job outcomes; their leases will lapse"
            ),
        }
    }

    /// A digest some of whose announcements another instance holds now: the rest go back to
    /// the queue at once, to be announced with the others by whoever holds them.
    async fn give_back(&self, digest: &Digest) {
        tracing::info!(channel = %digest.channel_id, "a digest's leases were partly lost; the rest given back");
        for job in digest.jobs.iter().filter(|j| !self.held.is_lost(j.id)) {
            let step = Step::RetryAt {
                at: self.clock.now(),
                counts: false,
                error: job.last_error.clone().unwrap_or_default(),
            };
            self.settle(job, step).await;
        }
    }

    /// Whether the digest's link was paused after its votes were queued: its jobs then end
    /// without a call, as a single announcement's would (`execute::paused_channel`).
    async fn digest_channel_paused(&self, digest: &Digest) -> bool {
        let Some(guild_id) = digest.jobs.first().and_then(|j| j.guild_id.as_ref()) else {
            return false;
        };
        match self
            .db
            .is_channel_paused(GuildChannel::new(guild_id, &digest.channel_id))
            .await
        {
            Ok(paused) => paused,
            Err(e) => {
                let error = format!("{e:#}");
                tracing::warn!(error, "cannot read whether a channel is paused");
                false
            }
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
        let ids = digest.job_ids();
        self.db
            .set_group_nonce(&self.instance, &ids, Some(&digest.nonce))
            .await
    }
}
