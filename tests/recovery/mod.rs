//! Vote recovery through Top.gg's v1 API, end to end: the real app on a real socket and
//! database, the Top.gg stand-in for the API and webhooks, the Discord stand-in for what gets
//! announced.

mod cases;
mod faults;
mod limits;
mod reconnect;

use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;
use topgg_bot::config::Config;
use topgg_bot::domain::keys::LinkRef;
use topgg_bot::domain::time::{SharedClock, SystemClock, Timestamp};
use topgg_bot::storage::ApiTokenState;
use topgg_testkit::bot::mentions;
use topgg_testkit::standin::{DiscordStandIn, GUILD_ID, POST_CHANNEL_ID};
use topgg_testkit::topgg::{TopggStandIn, TopggVote};
use topgg_testkit::{Backend, TestApp, aim_rest_at, eventually, server_project};

pub const WAIT: Duration = Duration::from_secs(30);
pub const CONNECTION: &str = "conn-recover";
pub const SECRET: &str = "whs_recover_test";

/// The app with one server project connected and announcing in `POST_CHANNEL_ID`, Discord
/// and Top.gg stood in for.
pub struct Recovering {
    pub app: TestApp,
    pub discord: DiscordStandIn,
    pub topgg: TopggStandIn,
    /// `topgg.recover_every_secs`, kept across restarts.
    every: u64,
    /// `database.url` instead of the test's own (Postgres through a proxy), across restarts.
    database_url: Option<String>,
}

pub fn project() -> Value {
    server_project(&GUILD_ID.to_string())
}

fn aim(config: &mut Config, discord: &str, topgg: &str, every: u64, database: Option<&str>) {
    aim_rest_at(config, discord);
    config.topgg.api_url = topgg.to_string();
    config.topgg.recover_every_secs = every;
    if let Some(url) = database {
        config.database.url = url.into();
    }
}

impl Recovering {
    pub async fn start(backend: Backend) -> Option<Recovering> {
        Self::start_with(backend, SystemClock::shared(), 900).await
    }

    /// Reading the time from `clock`, recovering every `every` seconds.
    pub async fn start_with(
        backend: Backend,
        clock: SharedClock,
        every: u64,
    ) -> Option<Recovering> {
        Self::start_through(backend, clock, every, |_| None).await
    }

    /// Like [`Recovering::start_with`], with `database.url` replaced by what `through` makes
    /// of the test database's URL (when it returns one), now and at every restart.
    pub async fn start_through(
        backend: Backend,
        clock: SharedClock,
        every: u64,
        through: impl FnOnce(&str) -> Option<String>,
    ) -> Option<Recovering> {
        let topgg = TopggStandIn::start(&project()).await;
        let discord = DiscordStandIn::start().await;
        let (d, t) = (discord.url(), topgg.api_url());
        let mut database_url = None;
        let app = TestApp::start_with_clock(backend, clock, |c| {
            database_url = through(c.database.url.expose());
            aim(c, &d, &t, every, database_url.as_deref());
        })
        .await?;
        app.connect(CONNECTION, SECRET, &project()).await;
        let channel = POST_CHANNEL_ID.to_string().parse().unwrap();
        app.db
            .set_channel(
                LinkRef::new(
                    &GUILD_ID.to_string().parse().unwrap(),
                    &CONNECTION.parse().unwrap(),
                ),
                Some(&channel),
            )
            .await
            .unwrap();
        Some(Recovering {
            app,
            discord,
            topgg,
            every,
            database_url,
        })
    }

    /// Stores `token` as the connection's API token (what `/topgg api` will do).
    pub async fn set_token(&self, connection: &str, token: &str) {
        let token = SecretString::new(token.into());
        let now = self.app.clock.now();
        self.app
            .db
            .set_api_token(&connection.parse().unwrap(), Some(&token), now)
            .await
            .unwrap();
    }

    /// Stops the process, lets `meanwhile` happen on Top.gg, and starts it again.
    pub async fn restart(self, meanwhile: impl FnOnce(&TopggStandIn)) -> Recovering {
        let Recovering {
            app,
            discord,
            topgg,
            every,
            database_url,
        } = self;
        let (d, t) = (discord.url(), topgg.api_url());
        let app = app
            .restart(|c| {
                meanwhile(&topgg);
                aim(c, &d, &t, every, database_url.as_deref());
            })
            .await;
        Recovering {
            app,
            discord,
            topgg,
            every,
            database_url,
        }
    }

    pub async fn token_state(&self, connection: &str) -> Option<ApiTokenState> {
        self.app
            .db
            .api_token_state(&connection.parse().unwrap())
            .await
            .unwrap()
    }

    /// Waits until a recovery pass of `connection` finishes after `after`; when it got to.
    pub async fn pass_after(&self, connection: &str, after: Option<Timestamp>) -> Timestamp {
        let done = eventually(WAIT, || async {
            let until = self.token_state(connection).await?.recovered_until?;
            after.is_none_or(|a| until > a).then_some(until)
        })
        .await;
        done.unwrap_or_else(|| panic!("no recovery pass of {connection} finished after {after:?}"))
    }

    /// Top.gg delivers `vote`'s webhook, signed; the status.
    pub async fn deliver(&self, vote: &TopggVote) -> u16 {
        let body = vote.webhook_body(&project());
        self.app.webhook(CONNECTION, SECRET, &body).await.0
    }

    /// How many times each voter is mentioned in the channel, once every one of them is (or
    /// as it is after `WAIT`).
    pub async fn mentions_of(&self, voters: &[&str]) -> Vec<usize> {
        let count = |messages: &[Value], voter: &str| mentions(messages, voter.parse().unwrap());
        let messages = self
            .discord
            .messages_when(POST_CHANNEL_ID, WAIT, |m| {
                voters.iter().all(|v| count(m, v) > 0)
            })
            .await;
        voters.iter().map(|v| count(&messages, v)).collect()
    }

    pub async fn vote_count(&self) -> i64 {
        self.app
            .db
            .vote_count(&CONNECTION.parse().unwrap())
            .await
            .unwrap()
    }

    pub async fn stop(self) {
        self.app.stop().await;
    }
}
