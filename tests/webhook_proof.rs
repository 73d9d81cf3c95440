//! A webhook-mode connection's project proved by `/topgg api`, end to end: the real
//! serenity/poise client on the Discord stand-in (`/topgg webhook`, its secret form,
//! `/topgg api`, its token form), the Top.gg stand-in for `GET /projects/@me`, the real server
//! and database, on SQLite and Postgres, with no integration secret configured.

use std::time::Duration;

use topgg_bot::samples::{sample_project, sample_vote};
use topgg_testkit::standin::*;
use topgg_testkit::topgg::{API_TOKEN, TopggStandIn};
use topgg_testkit::{Backend, TestApp, aim_at, bot_project};

const WAIT: Duration = Duration::from_secs(20);
const SECRET: &str = "whs_7d1e9a3c5b2f8e0d4a6c";
/// Top.gg's id of this guild's server project.
const PROJECT: &str = "800000000000000002";

struct Bot {
    app: TestApp,
    discord: DiscordStandIn,
    _topgg: TopggStandIn,
}

impl Bot {
    async fn start(backend: Backend) -> Option<Bot> {
        let project = sample_project(PROJECT, "server", &GUILD_ID.to_string());
        let topgg = TopggStandIn::start(&project).await;
        let discord = DiscordStandIn::start().await;
        let (d, t) = (discord.url(), topgg.api_url());
        let app = TestApp::start_with(backend, |c| {
            aim_at(c, &d);
            c.topgg.api_url = t;
            c.topgg.integration_secret = None;
        })
        .await?;
        let registered = |r: &RecordedRequest| r.method == "PUT" && r.path.ends_with("/commands");
        discord.wait_for(registered, WAIT).await.expect("commands");
        Some(Bot {
            app,
            discord,
            _topgg: topgg,
        })
    }

    async fn answer(&self, ix: &InteractionPayload) -> Reply {
        assert_eq!(self.discord.send_interaction(&ix.payload).await, 1);
        let reply = self.discord.reply_to(ix.id, WAIT).await;
        reply.unwrap_or_else(|| panic!("no answer to {}", ix.payload))
    }

    /// `/topgg webhook`, its button and form with [`SECRET`]: the connection's id.
    async fn connect(&self) -> String {
        let command = slash_command("topgg", &["webhook"], vec![], ADMIN_USER_ID);
        let reply = self.answer(&command).await;
        let content = reply.content().expect("content").to_string();
        let (_, after) = content.split_once("/topgg/webhooks/").expect("a URL");
        let id: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .collect();
        let button = reply.data()["components"][0]["components"][0]["custom_id"].clone();
        let click = self
            .discord
            .click_button(command.id, button.as_str().unwrap(), ADMIN_USER_ID);
        assert_eq!(self.answer(&click).await.callback_type, 9);
        let submit = self
            .discord
            .submit_modal(click.id, &[("secret", SECRET)], ADMIN_USER_ID);
        self.answer(&submit).await;
        id
    }

    /// `/topgg api`, its form submitted with `token`: the form's answer.
    async fn set_token(&self, token: &str) -> String {
        let command = slash_command("topgg", &["api"], vec![], ADMIN_USER_ID);
        assert_eq!(self.answer(&command).await.callback_type, 9);
        let submit = self
            .discord
            .submit_modal(command.id, &[("token", token)], ADMIN_USER_ID);
        let reply = self.answer(&submit).await;
        reply.content().expect("an answer").to_string()
    }

    async fn vote(&self, connection: &str, id: &str, project: &serde_json::Value) -> u16 {
        let body = sample_vote(id, project, &PLAIN_USER_ID.to_string(), "plain");
        self.app.webhook(connection, SECRET, &body).await.0
    }

    async fn total(&self, history: &str) -> Option<i64> {
        let voter = PLAIN_USER_ID.to_string().parse().unwrap();
        let figures = self.app.db.history_figures(history, &voter).await.unwrap();
        figures.map(|f| f.total_votes)
    }
}

async fn a_token_proves_the_project_and_the_next_vote_counts_in_its_shared_history(
    backend: Backend,
) {
    let Some(bot) = Bot::start(backend).await else {
        return;
    };
    let project = sample_project(PROJECT, "server", &GUILD_ID.to_string());
    let connection = bot.connect().await;
    let own = format!("webhook:{connection}");
    assert_eq!(bot.vote(&connection, "v1", &project).await, 204);
    assert_eq!(
        (bot.total(&own).await, bot.total(PROJECT).await),
        (Some(1), None)
    );

    let saved = bot.set_token(API_TOKEN).await;
    assert!(saved.starts_with("Saved"), "{saved}");
    assert_eq!(bot.vote(&connection, "v2", &project).await, 204);
    let totals = (bot.total(&own).await, bot.total(PROJECT).await);
    assert_eq!(
        totals,
        (None, Some(2)),
        "merged, then counted in the project's history"
    );
    assert_eq!(bot.vote(&connection, "v3", &bot_project()).await, 403);
    bot.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_proves_the_project_and_the_next_vote_counts_in_its_shared_history_on_sqlite() {
    a_token_proves_the_project_and_the_next_vote_counts_in_its_shared_history(Backend::Sqlite)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_proves_the_project_and_the_next_vote_counts_in_its_shared_history_on_postgres() {
    a_token_proves_the_project_and_the_next_vote_counts_in_its_shared_history(Backend::Postgres)
        .await;
}
