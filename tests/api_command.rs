//! `/topgg api` and the "Check my vote" button end to end: the real serenity/poise client on
//! the Discord stand-in, the Top.gg stand-in for the API, the real server and database.

use std::time::Duration;

use serde_json::Value;
use topgg_testkit::bot::{Bot, CONNECTION, WEBHOOK_SECRET, mentions};
use topgg_testkit::standin::*;
use topgg_testkit::topgg::{API_TOKEN, TopggStandIn};
use topgg_testkit::{Backend, OWNER_ID, eventually, server_project};

const WAIT: Duration = Duration::from_secs(20);
/// The app with its gateway on a fresh stand-in and the Top.gg API on its stand-in, one
/// server project connected and announcing in `POST_CHANNEL_ID`; `None` when Postgres is
/// wanted but unavailable.
async fn start(backend: Backend) -> Option<Bot> {
    let project = server_project(&GUILD_ID.to_string());
    let bot = Bot::builder()
        .backend(backend)
        .topgg_api(&project)
        .project(project)
        .wait(WAIT)
        .try_start()
        .await?;
    bot.connect_as(OWNER_ID.parse().unwrap()).await;
    bot.set_channel(POST_CHANNEL_ID).await;
    Some(bot)
}

/// The Top.gg API stand-in of `bot`.
fn topgg(bot: &Bot) -> &TopggStandIn {
    bot.topgg_api.as_ref().expect("started with the Top.gg API")
}

/// Sends `ix` and returns the bot's answer to it.
async fn run(bot: &Bot, ix: InteractionPayload) -> (InteractionPayload, Reply) {
    let reply = bot.answer(&ix).await;
    (ix, reply)
}

async fn token_state(bot: &Bot) -> Option<topgg_bot::storage::ApiTokenState> {
    let connection = CONNECTION.parse().unwrap();
    bot.app.db.api_token_state(&connection).await.unwrap()
}

/// Presses the "Check my vote" button under `/vote` as `user`: the private answer.
async fn check_vote(bot: &Bot, vote: &InteractionPayload, reply: &Reply, user: u64) -> String {
    let button = reply.data()["components"][0]["components"][0]["custom_id"].clone();
    let button = button.as_str().expect("a Check my vote button");
    let click = bot.discord.click_button(vote.id, button, user);
    let (_, answer) = run(bot, click).await;
    assert!(answer.ephemeral(), "{answer:?}");
    answer.content().expect("an answer").to_string()
}

/// Waits for the recovery pass a saved token starts at once (the first: the import).
async fn imported(bot: &Bot) {
    let done = eventually(WAIT, || async { token_state(bot).await?.recovered_until });
    assert!(done.await.is_some(), "a pass runs when a token is saved");
}

async fn a_good_token_is_stored_shown_in_status_and_never_shown_back(backend: Backend) {
    let Some(bot) = start(backend).await else {
        return;
    };
    assert!(bot.status().await.contains("API token: not set"));
    let saved = bot.api_form(API_TOKEN).await;
    assert!(saved.ephemeral(), "{saved:?}");
    let text = saved.content().expect("an answer");
    assert!(text.contains("Saved the Top.gg API token"), "{text}");
    assert!(
        text.contains("Stand-in Project"),
        "the project's name: {text}"
    );
    let state = token_state(&bot).await.expect("a token state");
    assert!(state.has_token && state.rejected_at.is_none(), "{state:?}");
    imported(&bot).await;
    let status = bot.status().await;
    assert!(
        status.contains("API token: set; missed votes recovered up to"),
        "{status}"
    );
    for request in bot.discord.requests() {
        assert!(!request.body.to_string().contains(API_TOKEN), "{request:?}");
    }
    bot.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_token_is_stored_shown_in_status_and_never_shown_back_on_sqlite() {
    a_good_token_is_stored_shown_in_status_and_never_shown_back(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_top_gg_rejects_is_refused_with_its_reason_and_nothing_is_stored() {
    let Some(bot) = start(Backend::Sqlite).await else {
        return;
    };
    let refused = bot.api_form("not-the-project-token").await;
    assert!(refused.ephemeral(), "{refused:?}");
    let text = refused.content().expect("an answer");
    assert!(text.contains("does not accept this token"), "{text}");
    assert!(
        text.contains("Invalid or missing API token"),
        "Top.gg's reason: {text}"
    );
    assert!(text.contains("nothing was saved"), "{text}");
    assert!(
        !text.contains("not-the-project-token"),
        "never shown back: {text}"
    );
    assert_eq!(token_state(&bot).await, None);
    assert!(bot.status().await.contains("API token: not set"));
    bot.app.stop().await;
}

async fn checking_a_vote_twice_records_one_vote_and_one_announcement(backend: Backend) {
    let Some(bot) = start(backend).await else {
        return;
    };
    let vote = bot
        .discord
        .invocation(&["vote"], vec![], PLAIN_USER_ID)
        .await;
    let (_, plain) = run(&bot, vote).await;
    assert_eq!(
        plain.data()["components"],
        Value::Null,
        "no token, no button"
    );

    bot.api_form(API_TOKEN).await;
    imported(&bot).await;
    // Not yet in Top.gg's list: a recovery pass running meanwhile (one the token's save
    // queued) cannot record it first, so the button is what records it.
    let voted = topgg(&bot).vote_not_yet_listed(&PLAIN_USER_ID.to_string());
    let vote = bot
        .discord
        .invocation(&["vote"], vec![], PLAIN_USER_ID)
        .await;
    let (vote, reply) = run(&bot, vote).await;
    let first = check_vote(&bot, &vote, &reply, PLAIN_USER_ID).await;
    assert!(first.contains("recorded it"), "{first}");
    let announced = bot
        .discord
        .wait_for_messages(POST_CHANNEL_ID, 1, WAIT)
        .await;
    assert_eq!(announced.len(), 1, "the checked vote is announced");
    let again = check_vote(&bot, &vote, &reply, PLAIN_USER_ID).await;
    assert!(again.contains("already recorded"), "{again}");
    let nobody = check_vote(&bot, &vote, &reply, ADMIN_USER_ID).await;
    assert!(nobody.contains("no live vote"), "{nobody}");
    // Top.gg's own webhook for the checked vote, arriving late, is the same vote.
    let late = voted.webhook_body(&server_project(&GUILD_ID.to_string()));
    assert_eq!(
        bot.app.webhook(CONNECTION, WEBHOOK_SECRET, &late).await.0,
        204
    );
    bot.app.settle().await;
    let connection = CONNECTION.parse().unwrap();
    assert_eq!(bot.app.db.vote_count(&connection).await.unwrap(), 1);
    assert_eq!(
        mentions(&bot.discord.messages_in(POST_CHANNEL_ID), PLAIN_USER_ID),
        1,
        "one announcement"
    );
    let asked = |r: &topgg_testkit::topgg::ApiRequest| r.param("source") == Some("discord");
    assert_eq!(
        topgg(&bot).requests().iter().filter(|r| asked(r)).count(),
        3
    );
    bot.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checking_a_vote_twice_records_one_vote_and_one_announcement_on_sqlite() {
    checking_a_vote_twice_records_one_vote_and_one_announcement(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checking_a_vote_twice_records_one_vote_and_one_announcement_on_postgres() {
    checking_a_vote_twice_records_one_vote_and_one_announcement(Backend::Postgres).await;
}
