//! Running it like a service: real `topgg-bot` processes on the real Postgres (a fresh
//! database per test) with the Discord stand-in: several instances, SIGKILL and SIGTERM,
//! `/metrics`, retention and backups. Skipped without Postgres unless
//! `TOPGG_TEST_REQUIRE_POSTGRES=1`.

mod budget;
mod embeds;
mod fleet;
mod lifecycle;
mod metrics;
mod prometheus;
mod takeover;
mod vote_log;

use std::time::Duration;

use serde_json::Value;
use sqlx::FromRow;
use topgg_bot::domain::keys::LinkRef;
use topgg_bot::storage::Db;

use topgg_testkit::process::{BotProcess, Settings};
use topgg_testkit::standin::{DiscordStandIn, GUILD_ID, POST_CHANNEL_ID, RecordedRequest};
use topgg_testkit::{
    INTEGRATION_SECRET, OWNER_ID, integration_create, post_signed, server_project,
};

/// Voter `i`'s Discord id: every vote of a test has its own voter, so announcements (single
/// or merged into digests) say which votes they carry.
pub fn voter(i: usize) -> String {
    (500_000_000_000_000_000u64 + i as u64).to_string()
}

pub const CONNECTION: &str = "conn-ops";
pub const SECRET: &str = "whs_operations";

/// A fresh Postgres database, the Discord stand-in and a client: what the instances share.
pub struct Site {
    pub standin: DiscordStandIn,
    pub db: Db,
    pub database_url: String,
    pub client: reqwest::Client,
    pg_name: String,
}

impl Site {
    /// `None` when Postgres is unavailable and not required: the test is skipped.
    pub async fn start() -> Option<Site> {
        let (database_url, pg_name) = topgg_testkit::postgres::fresh_postgres_database().await?;
        let db = Db::connect(&database_url).await.unwrap();
        db.migrate().await.unwrap();
        Some(Site {
            standin: DiscordStandIn::start().await,
            db,
            database_url,
            client: reqwest::Client::new(),
            pg_name,
        })
    }

    /// An instance on this site's database and stand-in.
    pub fn settings(&self, name: &str) -> Settings {
        Settings::new(name, &self.database_url, &self.standin.url())
    }

    /// Connects a server project of the stand-in's guild through `bot` and sets its
    /// announcement channel, so every vote queues one announcement.
    pub async fn connect(&self, bot: &BotProcess) {
        let project = server_project(&GUILD_ID.to_string());
        let body = integration_create(CONNECTION, SECRET, &project, OWNER_ID);
        let status = self
            .post(&bot.base, "/topgg/integration", INTEGRATION_SECRET, &body)
            .await
            .unwrap();
        assert_eq!(status, 200);
        let guild = GUILD_ID.to_string();
        let channel = POST_CHANNEL_ID.to_string();
        self.db
            .set_channel(
                LinkRef::new(&guild.parse().unwrap(), &CONNECTION.parse().unwrap()),
                Some(&channel.parse().unwrap()),
            )
            .await
            .unwrap();
    }

    /// A signed `vote.create` to `base`; the status, or the transport error.
    pub async fn vote(&self, base: &str, vote_id: &str, voter: &str) -> reqwest::Result<u16> {
        self.webhook(base, &vote_body(vote_id, voter)).await
    }

    /// Any body, signed with the connection's secret, to its webhook URL.
    pub async fn webhook(&self, base: &str, body: &Value) -> reqwest::Result<u16> {
        let path = format!("/topgg/webhooks/{CONNECTION}");
        self.post(base, &path, SECRET, body).await
    }

    /// `body` signed with `secret`, POSTed to `base` + `path`.
    pub async fn post(
        &self,
        base: &str,
        path: &str,
        secret: &str,
        body: &Value,
    ) -> reqwest::Result<u16> {
        let url = format!("{base}{path}");
        let (status, _) = post_signed(&self.client, &url, secret, body).await?;
        Ok(status)
    }

    /// Every announcement request the stand-in received (retries included).
    pub fn announcement_requests(&self) -> Vec<RecordedRequest> {
        let path = format!("/channels/{POST_CHANNEL_ID}/messages");
        self.standin.requests_matching("POST", &path)
    }

    /// The voters of every announcement Discord accepted, one entry per mention allowed
    /// (`allowed_mentions.users`), so a digest of several votes counts each of them.
    pub fn announced_voters(&self) -> Vec<String> {
        let accepted = self
            .announcement_requests()
            .into_iter()
            .filter(|r| r.status == 200);
        let users = accepted.flat_map(|r| r.body["allowed_mentions"]["users"].as_array().cloned());
        let ids = users.flatten().filter_map(|u| u.as_str().map(String::from));
        ids.collect()
    }

    /// Waits until `n` voters have been announced; returns them.
    pub async fn wait_for_announced(&self, n: usize, timeout: Duration) -> Vec<String> {
        let announced = self.standin.wait_until(timeout, |_| {
            let voters = self.announced_voters();
            (voters.len() >= n).then_some(voters)
        });
        announced.await.unwrap_or_else(|| self.announced_voters())
    }

    /// Waits until the instances have acted on everything due (see [`topgg_testkit::TestApp::settle`]).
    pub async fn settle(&self) {
        let wall = topgg_bot::domain::time::SystemClock::shared();
        topgg_testkit::app::settled(&self.db, &wall).await;
    }

    /// Every job's queue state.
    pub async fn jobs(&self) -> Vec<JobState> {
        let Db::Postgres(pool) = &self.db else {
            unreachable!("operations tests run on Postgres")
        };
        sqlx::query_as("SELECT id, status, leased_by, lease_until FROM jobs ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap()
    }

    /// Every stored vote id.
    pub async fn vote_ids(&self) -> Vec<String> {
        let Db::Postgres(pool) = &self.db else {
            unreachable!("operations tests run on Postgres")
        };
        sqlx::query_scalar("SELECT vote_id FROM votes")
            .fetch_all(pool)
            .await
            .unwrap()
    }

    /// Drops the test database.
    pub async fn finish(self) {
        self.db.close().await;
        topgg_testkit::postgres::drop_postgres_database(&self.pg_name).await;
    }
}

/// A job's queue columns.
#[derive(Debug, FromRow)]
pub struct JobState {
    pub id: i64,
    pub status: String,
    pub leased_by: Option<String>,
    pub lease_until: Option<i64>,
}

/// A `vote.create` for the site's server project.
pub fn vote_body(vote_id: &str, voter: &str) -> Value {
    topgg_testkit::vote(vote_id, &server_project(&GUILD_ID.to_string()), voter)
}

/// The `nonce` of each request body.
pub fn nonces(requests: &[RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .map(|r| r.body["nonce"].as_str().unwrap_or_default().to_string())
        .collect()
}
