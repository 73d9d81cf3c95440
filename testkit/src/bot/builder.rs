//! The options of a [`Bot`] start.

use std::time::Duration;

use serde_json::Value;
use topgg_bot::config::Config;
use topgg_bot::domain::time::{SharedClock, SystemClock};

use super::{Bot, WAIT, default_project};
use crate::standin::{DiscordStandIn, GuildModel, RecordedRequest};
use crate::topgg::TopggStandIn;
use crate::{Backend, TestApp, aim_at};

type Adjust = Box<dyn FnOnce(&mut Config)>;

/// Builds a [`Bot`]: by default SQLite, the system clock, a fresh stand-in with the default
/// guild, [`default_project`], no voter avatar, and waiting until commands are registered.
pub struct BotBuilder {
    backend: Backend,
    clock: SharedClock,
    discord: Option<DiscordStandIn>,
    guild: Option<GuildModel>,
    project: Value,
    voter_avatar: Option<String>,
    adjust: Option<Adjust>,
    await_commands: bool,
    topgg_project: Option<Value>,
    wait: Duration,
}

impl Default for BotBuilder {
    fn default() -> Self {
        BotBuilder {
            backend: Backend::Sqlite,
            clock: SystemClock::shared(),
            discord: None,
            guild: None,
            project: default_project(),
            voter_avatar: None,
            adjust: None,
            await_commands: true,
            topgg_project: None,
            wait: WAIT,
        }
    }
}

impl BotBuilder {
    /// The database backend (default SQLite).
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// The clock the app reads (kept on restart).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// A stand-in the test prepared (faults, limits) instead of a fresh one.
    pub fn standin(mut self, discord: DiscordStandIn) -> Self {
        self.discord = Some(discord);
        self
    }

    /// The guild of a fresh stand-in (ignored with [`BotBuilder::standin`]).
    pub fn guild(mut self, model: GuildModel) -> Self {
        self.guild = Some(model);
        self
    }

    /// The project the connection is made and votes are sent for.
    pub fn project(mut self, project: Value) -> Self {
        self.project = project;
        self
    }

    /// The avatar URL of the voters of [`Bot::vote`] and friends (default none).
    pub fn voter_avatar(mut self, url: &str) -> Self {
        self.voter_avatar = Some(url.to_string());
        self
    }

    /// Adjusts the configuration after it is aimed at the stand-in.
    pub fn config(mut self, adjust: impl FnOnce(&mut Config) + 'static) -> Self {
        self.adjust = Some(Box::new(adjust));
        self
    }

    /// A Top.gg API stand-in that knows `project`, the app's Top.gg API aimed at it.
    pub fn topgg_api(mut self, project: &Value) -> Self {
        self.topgg_project = Some(project.clone());
        self
    }

    /// How long the harness waits for the bot (default [`WAIT`]).
    pub fn wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// Returns as soon as the app runs, before its commands are registered.
    pub fn before_commands_registered(mut self) -> Self {
        self.await_commands = false;
        self
    }

    /// Starts the stand-in (unless given) and the app; fails when Postgres is unavailable.
    pub async fn start(self) -> Bot {
        self.try_start().await.expect("the backend is available")
    }

    /// Like [`BotBuilder::start`]; `None` when Postgres is wanted but unavailable (and not
    /// required).
    pub async fn try_start(self) -> Option<Bot> {
        let discord = match (self.discord, self.guild) {
            (Some(discord), _) => discord,
            (None, Some(model)) => DiscordStandIn::builder().guild(model).start().await,
            (None, None) => DiscordStandIn::start().await,
        };
        let url = discord.url();
        let topgg = match &self.topgg_project {
            Some(project) => Some(TopggStandIn::start(project).await),
            None => None,
        };
        let topgg_url = topgg.as_ref().map(TopggStandIn::api_url);
        let adjust = self.adjust;
        let configure = |c: &mut Config| {
            aim_at(c, &url);
            if let Some(api_url) = topgg_url {
                c.topgg.api_url = api_url;
            }
            if let Some(adjust) = adjust {
                adjust(c);
            }
        };
        let app = TestApp::start_with_clock(self.backend, self.clock, configure).await?;
        if self.await_commands {
            commands_registered(&discord, self.wait).await;
        }
        Some(Bot {
            app,
            discord,
            project: self.project,
            topgg_api: topgg,
            wait: self.wait,
            voter_avatar: self.voter_avatar,
        })
    }
}

/// Waits until the bot has registered its commands with the stand-in.
async fn commands_registered(discord: &DiscordStandIn, within: Duration) {
    let registered = |r: &RecordedRequest| r.method == "PUT" && r.path.ends_with("/commands");
    discord
        .wait_for(registered, within)
        .await
        .expect("commands registered");
}
