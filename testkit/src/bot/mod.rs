//! The bot end to end, as the tests drive it: the real app on SQLite (or Postgres) with its
//! gateway and REST aimed at the Discord stand-in, a Top.gg connection, slash commands and
//! signed votes. Started with [`Bot::start`] or configured with [`Bot::builder`].

mod builder;
mod forms;
mod votes;
mod waits;

use std::time::Duration;

use serde_json::Value;
use topgg_bot::samples::sample_project;

pub use builder::BotBuilder;
pub use forms::connection_in;
pub use waits::{button_url, embed, mentions};

use crate::standin::{
    ADMIN_USER_ID, DiscordStandIn, Fault, GUILD_ID, InteractionPayload, Opt, POST_CHANNEL_ID,
    REWARD_ROLE_ID, Reply,
};
use crate::topgg::TopggStandIn;
use crate::{INTEGRATION_SECRET, TestApp, aim_at, integration_create};

/// How long the harness waits for the bot (a reply, messages, a job state).
pub const WAIT: Duration = Duration::from_secs(10);
/// The id of the Top.gg connection the harness makes.
pub const CONNECTION: &str = "conn-bot";
/// The webhook secret of that connection.
pub const WEBHOOK_SECRET: &str = "whs_bot_test";

/// The bot project the harness connects unless told otherwise.
pub fn default_project() -> Value {
    sample_project("900000000000000009", "bot", "910000000000000009")
}

/// The running app and the stand-in it talks to, with the project votes are sent for.
pub struct Bot {
    pub app: TestApp,
    pub discord: DiscordStandIn,
    /// The project the connection is made and votes are sent for.
    pub project: Value,
    /// The Top.gg API stand-in, when started with [`BotBuilder::topgg_api`].
    pub topgg_api: Option<TopggStandIn>,
    /// How long the harness waits for the bot: [`WAIT`] unless set with [`BotBuilder::wait`].
    pub wait: Duration,
    voter_avatar: Option<String>,
}

impl Bot {
    /// A fresh stand-in and the app on SQLite, commands registered.
    pub async fn start() -> Bot {
        Bot::builder().start().await
    }

    /// The app on `discord` (a stand-in the test prepared), returning before commands are
    /// registered.
    pub async fn start_on(discord: DiscordStandIn) -> Bot {
        let builder = Bot::builder().standin(discord);
        builder.before_commands_registered().start().await
    }

    /// The options of a start: backend, clock, stand-in, guild, project, configuration.
    pub fn builder() -> BotBuilder {
        BotBuilder::default()
    }

    /// Restarts the app on the same database (the gateway reconnects on its own).
    pub async fn restart(self) -> Bot {
        let url = self.discord.url();
        let app = self.app.restart(|c| aim_at(c, &url)).await;
        Bot { app, ..self }
    }

    /// Runs a slash command (`path[0]` is the command) as `invoker` in `POST_CHANNEL_ID` of
    /// the stand-in's guild, built from what the bot registered (options by name and value,
    /// see [`DiscordStandIn::invocation`]); returns the reply.
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
        let ix = self.discord.invocation(path, options, invoker).await;
        self.answer(&ix.in_channel(channel)).await
    }

    /// Delivers `ix` and returns the bot's reply; fails listing what Discord saw if none
    /// comes within [`WAIT`].
    pub async fn answer(&self, ix: &InteractionPayload) -> Reply {
        assert_eq!(self.discord.send_interaction(&ix.payload).await, 1);
        match self.discord.reply_to(ix.id, self.wait).await {
            Some(reply) => reply,
            None => {
                let seen: Vec<String> = self
                    .discord
                    .requests()
                    .iter()
                    .map(|r| format!("{} {} -> {} {}", r.method, r.path, r.status, r.response))
                    .collect();
                panic!("the bot did not reply; Discord saw:\n{}", seen.join("\n"))
            }
        }
    }

    /// The project connected on Top.gg by the admin.
    pub async fn connect(&self) {
        self.connect_as(ADMIN_USER_ID).await;
    }

    /// The project connected on Top.gg by `owner`.
    pub async fn connect_as(&self, owner: u64) {
        let body = integration_create(
            CONNECTION,
            WEBHOOK_SECRET,
            &self.project,
            &owner.to_string(),
        );
        let (status, text) = self
            .app
            .post_signed("/topgg/integration", INTEGRATION_SECRET, &body)
            .await;
        assert_eq!(status, 200, "{text}");
    }

    /// Connected by the admin and claimed with `/topgg link` (answered privately); returns
    /// the link reply.
    pub async fn connect_and_link(&self) -> String {
        self.connect().await;
        let reply = self
            .command(&["topgg", "link"], vec![], ADMIN_USER_ID)
            .await;
        let text = reply.content().unwrap_or_default().to_string();
        assert!(text.starts_with("Linked"), "{reply:?}");
        assert!(reply.ephemeral(), "{reply:?}");
        text
    }

    /// Connected, linked and announcing in `POST_CHANNEL_ID`.
    pub async fn link_with_channel(&self) {
        self.connect_and_link().await;
        self.set_channel(POST_CHANNEL_ID).await;
    }

    /// `/topgg channel` by the admin.
    pub async fn set_channel(&self, channel: u64) {
        let options = vec![("channel", channel.into())];
        self.command(&["topgg", "channel"], options, ADMIN_USER_ID)
            .await;
    }

    /// `REWARD_ROLE_ID` made the reward role, and the next `count` role grants slowed by
    /// `delay`: each holds the worker once its announcement is posted, so the votes after it
    /// queue (and are merged into a digest).
    pub async fn reward_with_slow_grants(&self, count: usize, delay: Duration) {
        let options = vec![("role", REWARD_ROLE_ID.into())];
        self.command(&["topgg", "roles", "add"], options, ADMIN_USER_ID)
            .await;
        let members = format!("/guilds/{GUILD_ID}/members/");
        let slow = Fault::Delay(delay);
        self.discord.fail_next("PUT", &members, count, slow);
    }

    /// `/topgg message` with a template and style `text` (else `embed`).
    pub async fn set_template(&self, template: &str, text: bool) {
        let style = if text { "text" } else { "embed" };
        let options = vec![("template", template.into()), ("style", style.into())];
        let reply = self
            .command(&["topgg", "message"], options, ADMIN_USER_ID)
            .await;
        let saved = reply.content().unwrap_or_default().contains("saved");
        assert!(saved, "{reply:?}");
    }

    /// `/topgg status` by the admin; the reply's text.
    pub async fn status(&self) -> String {
        let reply = self.command(&["topgg", "status"], vec![], ADMIN_USER_ID);
        reply.await.content().unwrap_or_default().to_string()
    }

    /// Stops the app (and drops its Postgres database).
    pub async fn stop(self) {
        self.app.stop().await;
    }
}
