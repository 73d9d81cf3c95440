//! A webhook-mode connection's project proved by `/topgg api`, end to end: the real
//! serenity/poise client on the Discord stand-in (`/topgg webhook`, its secret form,
//! `/topgg api`, its token form), the Top.gg stand-in for `GET /projects/@me`, the real server
//! and database, on SQLite and Postgres, with no integration secret configured.

use std::time::Duration;

use topgg_bot::config::Config;
use topgg_bot::samples::{sample_project, sample_vote};
use topgg_testkit::bot::{Bot, connection_in};
use topgg_testkit::standin::*;
use topgg_testkit::topgg::API_TOKEN;
use topgg_testkit::{Backend, bot_project};

const WAIT: Duration = Duration::from_secs(20);
const SECRET: &str = "whs_7d1e9a3c5b2f8e0d4a6c";
/// Top.gg's id of this guild's server project.
const PROJECT: &str = "800000000000000002";

/// The app with its gateway on a fresh stand-in, the Top.gg API on its stand-in, and no
/// integration secret; `None` when Postgres is wanted but unavailable.
async fn start(backend: Backend) -> Option<Bot> {
    let project = sample_project(PROJECT, "server", &GUILD_ID.to_string());
    let no_integration = |c: &mut Config| c.topgg.integration_secret = None;
    Bot::builder()
        .backend(backend)
        .topgg_api(&project)
        .config(no_integration)
        .wait(WAIT)
        .try_start()
        .await
}

/// `/topgg webhook`, its button and form with [`SECRET`]: the connection's id.
async fn connect(bot: &Bot) -> String {
    let (shown, _) = bot.webhook_form(SECRET).await;
    connection_in(&shown)
}

/// `/topgg api`, its form submitted with `token`: the form's answer.
async fn set_token(bot: &Bot, token: &str) -> String {
    let reply = bot.api_form(token).await;
    reply.content().expect("an answer").to_string()
}

async fn vote(bot: &Bot, connection: &str, id: &str, project: &serde_json::Value) -> u16 {
    let body = sample_vote(id, project, &PLAIN_USER_ID.to_string(), "plain");
    bot.app.webhook(connection, SECRET, &body).await.0
}

async fn total(bot: &Bot, history: &str) -> Option<i64> {
    let voter = PLAIN_USER_ID.to_string().parse().unwrap();
    let figures = bot.app.db.history_figures(history, &voter).await.unwrap();
    figures.map(|f| f.total_votes)
}

async fn a_token_proves_the_project_and_the_next_vote_counts_in_its_shared_history(
    backend: Backend,
) {
    let Some(bot) = start(backend).await else {
        return;
    };
    let project = sample_project(PROJECT, "server", &GUILD_ID.to_string());
    let connection = connect(&bot).await;
    let own = format!("webhook:{connection}");
    assert_eq!(vote(&bot, &connection, "v1", &project).await, 204);
    assert_eq!(
        (total(&bot, &own).await, total(&bot, PROJECT).await),
        (Some(1), None)
    );

    let saved = set_token(&bot, API_TOKEN).await;
    assert!(saved.starts_with("Saved"), "{saved}");
    assert_eq!(vote(&bot, &connection, "v2", &project).await, 204);
    let totals = (total(&bot, &own).await, total(&bot, PROJECT).await);
    assert_eq!(
        totals,
        (None, Some(2)),
        "merged, then counted in the project's history"
    );
    assert_eq!(vote(&bot, &connection, "v3", &bot_project()).await, 403);
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
