//! Discord's failure modes, end to end: the real serenity/poise client and delivery client
//! against the Discord stand-in (gateway loss, command registration failing, a revoked token,
//! global 429s and the global request rate, lost responses, slow commands).

mod automod;
mod budget;
mod close_codes;
mod commands;
mod edge;
mod embed_links;
mod limits;
mod nonce;
mod paused_digest;
mod readiness;
mod session_starts;
mod token;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use topgg_bot::config::Config;
use topgg_bot::samples::sample_project;
use topgg_testkit::standin::*;
use topgg_testkit::{Backend, INTEGRATION_SECRET, TestApp, aim_at, eventually, integration_create};

pub const WAIT: Duration = Duration::from_secs(10);
const SECRET: &str = "whs_discord_faults";
const CONNECTION: &str = "conn-discord-faults";

pub struct Bot {
    pub app: TestApp,
    pub discord: DiscordStandIn,
}

impl Bot {
    /// The app on SQLite, gateway connected to `discord`, before commands are registered.
    pub async fn start_on(discord: DiscordStandIn, adjust: impl FnOnce(&mut Config)) -> Bot {
        let url = discord.url();
        let app = TestApp::start_with(Backend::Sqlite, |c| {
            aim_at(c, &url);
            adjust(c);
        })
        .await
        .unwrap();
        Bot { app, discord }
    }

    /// A fresh stand-in and the app, commands registered.
    pub async fn start(adjust: impl FnOnce(&mut Config)) -> Bot {
        let bot = Self::start_on(DiscordStandIn::start().await, adjust).await;
        let registered = |r: &RecordedRequest| r.method == "PUT" && r.path.ends_with("/commands");
        bot.discord
            .wait_for(registered, WAIT)
            .await
            .expect("commands registered");
        bot
    }

    /// Runs a slash command (`path[0]` is the command) as `invoker`; returns the reply.
    pub async fn command(&self, path: &[&str], options: Vec<(&str, Opt)>, invoker: u64) -> Reply {
        let ix = slash_command(path[0], &path[1..], options, invoker);
        assert_eq!(self.discord.send_interaction(&ix.payload).await, 1);
        self.discord
            .reply_to(ix.id, WAIT)
            .await
            .expect("the bot replied in time")
    }

    /// A bot project connected by the admin, linked, announcing in `POST_CHANNEL_ID`.
    pub async fn link_with_channel(&self) {
        let project = sample_project("900000000000000009", "bot", "910000000000000009");
        let owner = ADMIN_USER_ID.to_string();
        let body = integration_create(CONNECTION, SECRET, &project, &owner);
        let (status, _) = self
            .app
            .post_signed("/topgg/integration", INTEGRATION_SECRET, &body)
            .await;
        assert_eq!(status, 200);
        let reply = self
            .command(&["topgg", "link"], vec![], ADMIN_USER_ID)
            .await;
        assert!(reply.content().unwrap().starts_with("Linked"), "{reply:?}");
        let options = vec![("channel", Opt::Channel(POST_CHANNEL_ID))];
        self.command(&["topgg", "channel"], options, ADMIN_USER_ID)
            .await;
    }

    /// A signed vote `id` by `voter`; returns the HTTP status.
    pub async fn vote(&self, id: &str, voter: u64) -> u16 {
        let now = chrono::Utc::now();
        let body = json!({"type": "vote.create", "data": {
            "id": id, "weight": 1,
            "created_at": now.to_rfc3339(),
            "expires_at": (now + chrono::Duration::hours(12)).to_rfc3339(),
            "project": sample_project("900000000000000009", "bot", "910000000000000009"),
            "user": {"id": "t", "platform_id": voter.to_string(), "name": "v", "avatar_url": null},
        }});
        self.app.webhook(CONNECTION, SECRET, &body).await.0
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

    /// Waits until `pred` holds over the channel's messages, or `within` passes.
    pub async fn messages_until(
        &self,
        within: Duration,
        pred: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        self.discord
            .messages_when(POST_CHANNEL_ID, within, pred)
            .await
    }

    pub async fn stop(self) {
        self.app.stop().await;
    }
}

/// How many times `<@voter>` appears across `messages`.
pub fn mentions(messages: &[Value], voter: u64) -> usize {
    let tag = format!("<@{voter}>");
    messages
        .iter()
        .map(|m| {
            m["content"]
                .as_str()
                .unwrap_or_default()
                .matches(&tag)
                .count()
        })
        .sum()
}

/// A value on `/metrics` once it is at least `min` (gauges are refreshed every second), or
/// the last value read (0 when none) after [`WAIT`].
pub async fn metric_at_least(bot: &Bot, name: &str, min: f64) -> f64 {
    let last = &std::sync::Mutex::new(0.0);
    let read = || async move {
        let url = format!("{}/metrics", bot.app.base);
        let response = bot.app.client.get(url).send().await.ok()?;
        let text = response.text().await.ok()?;
        let line = text.lines().find(|l| l.starts_with(name))?;
        let value: f64 = line.rsplit(' ').next()?.parse().ok()?;
        *last.lock().unwrap() = value;
        (value >= min).then_some(value)
    };
    let found = topgg_testkit::eventually(WAIT, read).await;
    found.unwrap_or_else(|| *last.lock().unwrap())
}
