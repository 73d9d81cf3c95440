//! Vote history keyed by project, end to end on the real app and database (SQLite and
//! Postgres): it survives a disconnect and reconnect, is deleted 7 days after its last
//! connection went (on the app's injected clock), and one tenant cannot write another's.

mod reconnect;
mod tenants;

use std::sync::Arc;

use serde_json::{Value, json};
use topgg_bot::domain::ids::{ConnectionId, GuildId};
use topgg_bot::domain::time::{Clock, ManualClock};
use topgg_bot::storage::{NewWebhookConnection, VoterFigures};
use topgg_testkit::{
    Backend, BackendFixture, INTEGRATION_SECRET, TestApp, bot_project, server_project,
};

/// The guild of the server project `A` (it links itself there).
pub const GUILD_A: &str = "700000000000000001";
/// Another guild, where a webhook-mode owner works.
pub const GUILD_B: &str = "700000000000000002";
/// Top.gg's ids of the test projects: `A` (a server, [`server_project`]) and `B` (a bot,
/// [`bot_project`]).
pub const PROJECT_A: &str = "800000000000000002";
pub const PROJECT_B: &str = "800000000000000001";
/// Voters.
pub const ANN: &str = "300000000000000001";
pub const BOB: &str = "300000000000000002";

pub fn project_a() -> Value {
    server_project(GUILD_A)
}

/// The app with a stopped clock that a test moves (its housekeeping runs on it).
pub struct History {
    pub app: TestApp,
    pub clock: Arc<ManualClock>,
}

impl BackendFixture for History {
    async fn open(backend: Backend) -> Option<Self> {
        let clock = Arc::new(ManualClock::starting_now());
        let app = TestApp::start_with_clock(backend, clock.clone(), |_| {}).await?;
        Some(History { app, clock })
    }

    async fn close(self) {
        self.app.stop().await;
    }
}

impl History {
    /// Sends a signed vote by `voter` naming `project` through `connection`; the status and
    /// body.
    pub async fn vote(
        &self,
        connection: &str,
        secret: &str,
        id: &str,
        project: &Value,
        voter: &str,
    ) -> (u16, String) {
        let body = topgg_testkit::vote(id, project, voter);
        self.app.webhook(connection, secret, &body).await
    }

    /// Top.gg's `integration.delete` for `connection`; its status.
    pub async fn disconnect(&self, connection: &str) -> u16 {
        let delete = json!({"type": "integration.delete", "data": {"connection_id": connection}});
        let path = "/topgg/integration";
        self.app
            .post_signed(path, INTEGRATION_SECRET, &delete)
            .await
            .0
    }

    /// A voter's figures in a history, read whether or not a connection holds it.
    pub async fn figures(&self, history: &str, voter: &str) -> Option<VoterFigures> {
        let voter = voter.parse().unwrap();
        self.app.db.history_figures(history, &voter).await.unwrap()
    }

    /// A connection as `/topgg webhook` makes it in `guild` for `bot`, with `secret` saved.
    pub async fn webhook_connection(&self, id: &str, guild: &str, bot: &str, secret: &str) {
        let (id, guild): (ConnectionId, GuildId) = (id.parse().unwrap(), guild.parse().unwrap());
        let owner = "400000000000000009".parse().unwrap();
        let new = NewWebhookConnection {
            connection_id: id.clone(),
            guild_id: &guild,
            project_type: "bot",
            project_platform_id: bot,
            owner_id: &owner,
            owner_name: "owner",
        };
        let now = self.clock.now();
        self.app
            .db
            .create_webhook_connection(&new, now)
            .await
            .unwrap();
        let saved = self.app.db.set_webhook_secret(&guild, &id, secret, now);
        assert!(saved.await.unwrap());
    }
}

/// The bot project's platform id (what `/topgg webhook bot <id>` names).
pub fn bot_platform_id() -> String {
    bot_project()["platform_id"].as_str().unwrap().to_string()
}

use reconnect::{
    a_detached_history_is_kept_7_days_then_deleted_on_the_injected_clock,
    a_disconnect_and_reconnect_keeps_every_total_streak_and_the_leaderboard,
};
use tenants::{
    a_forged_vote_for_another_guilds_project_changes_nothing_there,
    a_vote_naming_another_project_than_the_connections_is_refused,
    an_api_token_proves_a_webhook_connections_project_and_merges_its_own_history,
};

topgg_testkit::on_both_backends!(
    History;
    a_disconnect_and_reconnect_keeps_every_total_streak_and_the_leaderboard,
    a_detached_history_is_kept_7_days_then_deleted_on_the_injected_clock,
    a_vote_naming_another_project_than_the_connections_is_refused,
    a_forged_vote_for_another_guilds_project_changes_nothing_there,
    an_api_token_proves_a_webhook_connections_project_and_merges_its_own_history,
);
