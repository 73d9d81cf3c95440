//! The app on SQLite with its gateway on a stand-in, and the steps the tests share.

use std::time::{Duration, Instant};
use topgg_bot::domain::time::{SharedClock, SystemClock};

use serde_json::{Value, json};
use topgg_bot::samples::sample_project;

use topgg_testkit::standin::*;
use topgg_testkit::{Backend, INTEGRATION_SECRET, TestApp, aim_at, integration_create};

pub const WAIT: Duration = Duration::from_secs(10);
pub const SECRET: &str = "whs_guild_test";
pub const CONNECTION: &str = "conn-guild";
/// The bot user of the bot project the tests connect.
pub const PROJECT_BOT_ID: u64 = 1_700_000_000_000_000_001;
pub const PROJECT_BOT_NAME: &str = "Cool Bot";
pub const AVATAR: &str = "https://cdn.discordapp.com/avatars/1/a.png";

pub struct Bot {
    pub app: TestApp,
    pub discord: DiscordStandIn,
    /// The project votes are sent for.
    pub project: Value,
}

/// A bot project whose bot user the stand-in knows by name.
pub fn bot_project() -> Value {
    sample_project("900000000000000009", "bot", &PROJECT_BOT_ID.to_string())
}

impl Bot {
    /// The default guild, plus the project's bot user.
    pub async fn start() -> Bot {
        let model = GuildModel::default_guild().with_user(user(PROJECT_BOT_ID, PROJECT_BOT_NAME));
        Bot::start_with(model, bot_project()).await
    }

    pub async fn start_with(model: GuildModel, project: Value) -> Bot {
        Bot::start_with_clock(model, project, SystemClock::shared()).await
    }

    /// Like [`Bot::start_with`], the app reading the time from `clock`.
    pub async fn start_with_clock(model: GuildModel, project: Value, clock: SharedClock) -> Bot {
        let discord = DiscordStandIn::builder().guild(model).start().await;
        let url = discord.url();
        let app = TestApp::start_with_clock(Backend::Sqlite, clock, |c| aim_at(c, &url))
            .await
            .unwrap();
        let registered = |r: &RecordedRequest| r.method == "PUT" && r.path.ends_with("/commands");
        discord
            .wait_for(registered, WAIT)
            .await
            .expect("commands registered");
        Bot {
            app,
            discord,
            project,
        }
    }

    /// Runs a slash command as `invoker` in the stand-in's guild; returns the reply.
    pub async fn command(&self, path: &[&str], options: Vec<(&str, Opt)>, invoker: u64) -> Reply {
        self.command_in(POST_CHANNEL_ID, path, options, invoker)
            .await
    }

    /// Like [`Bot::command`], run from `channel`.
    pub async fn command_in(
        &self,
        channel: u64,
        path: &[&str],
        options: Vec<(&str, Opt)>,
        invoker: u64,
    ) -> Reply {
        let ix = self
            .discord
            .guild()
            .slash_command(path[0], &path[1..], options, invoker)
            .in_channel(channel);
        assert_eq!(self.discord.send_interaction(&ix.payload).await, 1);
        match self.discord.reply_to(ix.id, WAIT).await {
            Some(reply) => reply,
            None => {
                let seen: Vec<String> = self
                    .discord
                    .requests()
                    .iter()
                    .map(|r| format!("{} {} -> {} {}", r.method, r.path, r.status, r.response))
                    .collect();
                panic!(
                    "the bot did not reply to {path:?}; Discord saw:\n{}",
                    seen.join("\n")
                )
            }
        }
    }

    /// The project connected on Top.gg by the admin.
    pub async fn connect(&self) {
        let owner = ADMIN_USER_ID.to_string();
        let body = integration_create(CONNECTION, SECRET, &self.project, &owner);
        let (status, text) = self
            .app
            .post_signed("/topgg/integration", INTEGRATION_SECRET, &body)
            .await;
        assert_eq!(status, 200, "{text}");
    }

    /// Connected and claimed with `/topgg link`; returns the link reply.
    pub async fn connect_and_link(&self) -> String {
        self.connect().await;
        let reply = self
            .command(&["topgg", "link"], vec![], ADMIN_USER_ID)
            .await;
        let text = reply.content().unwrap_or_default().to_string();
        assert!(text.starts_with("Linked"), "{reply:?}");
        text
    }

    pub async fn set_channel(&self, channel: u64) {
        let options = vec![("channel", Opt::Channel(channel))];
        self.command(&["topgg", "channel"], options, ADMIN_USER_ID)
            .await;
    }

    /// `/topgg message` with a template and style `text` (else `embed`).
    pub async fn set_template(&self, template: &str, text: bool) {
        // poise sends a choice as its index: embed 0, text 1.
        let style = Opt::Int(i64::from(text));
        let options = vec![("template", Opt::Str(template.into())), ("style", style)];
        let reply = self
            .command(&["topgg", "message"], options, ADMIN_USER_ID)
            .await;
        assert!(
            reply.content().unwrap_or_default().contains("saved"),
            "{reply:?}"
        );
    }

    /// A signed vote; `extra` is merged into `data` (weight, query...).
    pub async fn vote_with(&self, id: &str, voter: u64, name: &str, extra: Value) -> u16 {
        let now = chrono::Utc::now();
        let expires = now + chrono::Duration::hours(12);
        let mut body = json!({"type": "vote.create", "data": {
            "id": id, "weight": 1,
            "created_at": now.to_rfc3339(), "expires_at": expires.to_rfc3339(),
            "project": self.project,
            "user": {"id": "t", "platform_id": voter.to_string(), "name": name, "avatar_url": AVATAR},
        }});
        if let (Some(data), Value::Object(extra)) = (body["data"].as_object_mut(), extra) {
            data.extend(extra);
        }
        self.app.webhook(CONNECTION, SECRET, &body).await.0
    }

    pub async fn vote(&self, id: &str) -> u16 {
        self.vote_with(id, PLAIN_USER_ID, "plain", json!({})).await
    }

    /// Waits until `channel` holds `count` messages (or the wait ends).
    pub async fn messages(&self, channel: u64, count: usize) -> Vec<Value> {
        self.discord.wait_for_messages(channel, count, WAIT).await
    }

    /// The bodies of every `POST /channels/{channel}/messages`, answered or refused.
    pub fn posts(&self, channel: u64) -> Vec<RecordedRequest> {
        let path = format!("/channels/{channel}/messages");
        self.discord.requests_matching("POST", &path)
    }

    /// Waits until the stored name of the guild's only link is `name`.
    pub async fn wait_for_project_name(&self, name: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let links = self
                .app
                .db
                .links_in_guild(&(GUILD_ID.to_string()).parse().unwrap())
                .await
                .unwrap();
            if links
                .iter()
                .any(|l| l.project_name.as_deref() == Some(name))
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the project was never named {name}: {links:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the database says whether the bot is gone from the guild.
    pub async fn wait_for_guild_gone(&self, gone: bool) {
        let deadline = Instant::now() + WAIT;
        while self
            .app
            .db
            .is_guild_gone(&(GUILD_ID.to_string()).parse().unwrap())
            .await
            .unwrap()
            != gone
        {
            assert!(Instant::now() < deadline, "guild gone never became {gone}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `/topgg status` (built on the default guild, so it works with a channel deleted).
    pub async fn status(&self) -> String {
        let ix = slash_command("topgg", &["status"], vec![], ADMIN_USER_ID);
        assert_eq!(self.discord.send_interaction(&ix.payload).await, 1);
        let reply = self
            .discord
            .reply_to(ix.id, WAIT)
            .await
            .expect("status answered");
        reply.content().unwrap_or_default().to_string()
    }

    pub async fn stop(self) {
        self.app.stop().await;
    }
}

/// The first embed of a posted message.
pub fn embed(message: &Value) -> &Value {
    &message["embeds"][0]
}

/// The URL of a message's link button, if it has one.
pub fn button_url(message: &Value) -> Option<&str> {
    message["components"][0]["components"][0]["url"].as_str()
}
