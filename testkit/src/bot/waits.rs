//! What a test waits for and reads back: messages, requests, `/readyz`, `/metrics`, the job
//! table and the stored links.

use std::time::{Duration, Instant};

use serde_json::Value;
use topgg_bot::domain::time::Timestamp;
use topgg_bot::storage::{Job, JobStatus};

use super::Bot;
#[cfg(doc)]
use super::WAIT;
use crate::eventually;
use crate::standin::{GUILD_ID, PLAIN_USER_ID, POST_CHANNEL_ID, RecordedRequest};

impl Bot {
    /// Waits until `channel` holds `count` messages (or the bot's wait ([`WAIT`] unless set) passes).
    pub async fn messages(&self, channel: u64, count: usize) -> Vec<Value> {
        self.discord
            .wait_for_messages(channel, count, self.wait)
            .await
    }

    /// Waits until `pred` holds over the messages of `POST_CHANNEL_ID`, or `within` passes.
    pub async fn messages_until(
        &self,
        within: Duration,
        pred: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        self.discord
            .messages_when(POST_CHANNEL_ID, within, pred)
            .await
    }

    /// The bodies of every `POST /channels/{channel}/messages`, answered or refused.
    pub fn posts(&self, channel: u64) -> Vec<RecordedRequest> {
        let path = format!("/channels/{channel}/messages");
        self.discord.requests_matching("POST", &path)
    }

    /// How many times `role` was granted to `PLAIN_USER_ID`.
    pub fn role_puts(&self, role: u64) -> usize {
        let path = format!("/guilds/{GUILD_ID}/members/{PLAIN_USER_ID}/roles/{role}");
        self.discord.requests_matching("PUT", &path).len()
    }

    /// `/readyz`: status and body.
    pub async fn readiness(&self) -> (u16, Value) {
        let url = format!("{}/readyz", self.app.base);
        let response = self.app.client.get(url).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// Polls `/readyz` until it answers `status`; the time it took, or `None` after `within`.
    pub async fn readiness_becomes(&self, status: u16, within: Duration) -> Option<Duration> {
        let start = Instant::now();
        let answered = || async { (self.readiness().await.0 == status).then_some(()) };
        eventually(within, answered).await?;
        Some(start.elapsed())
    }

    /// Waits until `/readyz` answers `status` with a reason containing `words` (a starting
    /// shard may make it 503 for another reason first); returns the body.
    pub async fn readiness_says(
        &self,
        status: u16,
        words: &str,
        within: Duration,
    ) -> Option<Value> {
        let says = || async {
            let (answered, body) = self.readiness().await;
            let reason = body["reason"].as_str().unwrap_or_default();
            (answered == status && reason.contains(words)).then_some(body)
        };
        eventually(within, says).await
    }

    /// A value on `/metrics` once it is at least `min` (gauges are refreshed every second),
    /// or the last value read (0 when none) after the bot's wait ([`WAIT`] unless set).
    pub async fn metric_at_least(&self, name: &str, min: f64) -> f64 {
        let last = &std::sync::Mutex::new(0.0);
        let read = || async move {
            let url = format!("{}/metrics", self.app.base);
            let response = self.app.client.get(url).send().await.ok()?;
            let text = response.text().await.ok()?;
            let line = text.lines().find(|l| l.starts_with(name))?;
            let value: f64 = line.rsplit(' ').next()?.parse().ok()?;
            *last.lock().unwrap() = value;
            (value >= min).then_some(value)
        };
        let found = eventually(self.wait, read).await;
        found.unwrap_or_else(|| *last.lock().unwrap())
    }

    /// Waits until the one queued job has been tried and failed `attempts` times; returns
    /// when its retry is due.
    pub async fn retry_due(&self, attempts: i64) -> Timestamp {
        let retry = self.first_job_state(|jobs| {
            let job = jobs
                .iter()
                .find(|j| j.status == JobStatus::Queued && j.attempts == attempts);
            job.map(|j| j.due_at)
        });
        retry.await.unwrap_or_else(|| panic!("no retry {attempts}"))
    }

    /// Waits until no job is queued (each one done or failed), so nothing more will happen.
    pub async fn queue_drained(&self) {
        let drained = self.first_job_state(|jobs| {
            jobs.iter()
                .all(|j| j.status != JobStatus::Queued)
                .then_some(())
        });
        drained.await.expect("a job still queued");
    }

    /// Waits until every job due by `at` has been worked (done or failed).
    pub async fn worked_until(&self, at: Timestamp) {
        let due = |j: &Job| j.status == JobStatus::Queued && j.due_at <= at;
        let worked = self.first_job_state(|jobs| (!jobs.iter().any(due)).then_some(()));
        worked.await.expect("a job still due");
    }

    /// The first `Some` that `check` finds in the job table within the bot's wait ([`WAIT`] unless set).
    pub async fn first_job_state<T>(&self, check: impl Fn(&[Job]) -> Option<T>) -> Option<T> {
        let check = &check;
        eventually(self.wait, || async move {
            check(&self.app.db.all_jobs().await.unwrap())
        })
        .await
    }

    /// Waits until the stored name of the guild's only link is `name`.
    pub async fn wait_for_project_name(&self, name: &str) {
        let guild = GUILD_ID.to_string().parse().unwrap();
        let named = eventually(self.wait, || async {
            let links = self.app.db.links_in_guild(&guild).await.unwrap();
            let named = links
                .iter()
                .any(|l| l.project_name.as_deref() == Some(name));
            named.then_some(())
        });
        if named.await.is_none() {
            let links = self.app.db.links_in_guild(&guild).await.unwrap();
            panic!("the project was never named {name}: {links:?}");
        }
    }

    /// Waits until the database says whether the bot is gone from the guild.
    pub async fn wait_for_guild_gone(&self, gone: bool) {
        let guild = GUILD_ID.to_string().parse().unwrap();
        let reached = eventually(self.wait, || async {
            let now = self.app.db.is_guild_gone(&guild).await.unwrap();
            (now == gone).then_some(())
        });
        assert!(reached.await.is_some(), "guild gone never became {gone}");
    }
}

/// How many times `<@voter>` appears across `messages`.
pub fn mentions(messages: &[Value], voter: u64) -> usize {
    let tag = format!("<@{voter}>");
    let count = |m: &Value| {
        m["content"]
            .as_str()
            .unwrap_or_default()
            .matches(&tag)
            .count()
    };
    messages.iter().map(count).sum()
}

/// The first embed of a posted message.
pub fn embed(message: &Value) -> &Value {
    &message["embeds"][0]
}

/// The URL of a message's link button, if it has one.
pub fn button_url(message: &Value) -> Option<&str> {
    message["components"][0]["components"][0]["url"].as_str()
}
