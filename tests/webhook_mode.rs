//! Webhook mode end to end: `/topgg webhook`, its button and secret form through the real
//! serenity/poise client and the Discord stand-in, then Top.gg's signed events on the real
//! server, on SQLite and Postgres, with no integration secret configured.

use topgg_bot::config::Config;
use topgg_bot::samples::{sample_project, sample_vote, sample_webhook_test};
use topgg_testkit::bot::{Bot, WAIT, connection_in};
use topgg_testkit::standin::*;
use topgg_testkit::{Backend, eventually};

const SECRET: &str = "whs_4f9c2e7a1b8d6c3e5f0a9b7c";

/// The app with its gateway on a fresh stand-in and no integration secret (webhook mode
/// only); `None` when Postgres is wanted but unavailable.
async fn start(backend: Backend) -> Option<Bot> {
    let no_integration = |c: &mut Config| c.topgg.integration_secret = None;
    Bot::builder()
        .backend(backend)
        .config(no_integration)
        .try_start()
        .await
}

/// `/topgg webhook`, the button, the form submitted with `secret`: the form's answer.
async fn set_secret(bot: &Bot, secret: &str) -> Reply {
    bot.webhook_form(secret).await.1
}

/// A signed vote for the guild's server project on `connection`, signed with `secret`.
async fn vote(bot: &Bot, connection: &str, secret: &str, id: &str) -> u16 {
    let project = sample_project("800000000000000002", "server", &GUILD_ID.to_string());
    let body = sample_vote(id, &project, &PLAIN_USER_ID.to_string(), "plain");
    bot.app.webhook(connection, secret, &body).await.0
}

async fn a_webhook_mode_connection_announces_signed_events_and_never_shows_its_secret(
    backend: Backend,
) {
    let Some(bot) = start(backend).await else {
        return;
    };
    let (_, first) = bot.topgg(&["webhook"], vec![]).await;
    assert!(first.ephemeral());
    let connection = connection_in(&first);
    let url = format!("{}/topgg/webhooks/{connection}", bot.app.base);
    assert!(first.content().unwrap().contains(&url), "{first:?}");
    assert!(first.content().unwrap().contains("Integrations & API"));
    assert_eq!(vote(&bot, &connection, "", "v0").await, 401, "empty key");

    let saved = set_secret(&bot, SECRET).await;
    assert!(saved.ephemeral());
    assert!(
        saved.content().unwrap().contains("Secret saved"),
        "{saved:?}"
    );
    let options = vec![("channel", Opt::Channel(POST_CHANNEL_ID))];
    bot.topgg(&["channel"], options).await;
    let role = vec![("role", Opt::Role(REWARD_ROLE_ID))];
    let (_, added) = bot.topgg(&["roles", "add"], role).await;
    assert!(added.content().unwrap().contains("Voter"), "{added:?}");

    let project = sample_project("800000000000000002", "server", &GUILD_ID.to_string());
    let test = sample_webhook_test(&project);
    assert_eq!(bot.app.webhook(&connection, SECRET, &test).await.0, 204);
    let notice = bot
        .discord
        .wait_for_messages(POST_CHANNEL_ID, 1, WAIT)
        .await;
    assert_eq!(notice.len(), 1, "the test notice");
    assert_eq!(vote(&bot, &connection, SECRET, "v1").await, 204);
    let posts = bot
        .discord
        .wait_for_messages(POST_CHANNEL_ID, 2, WAIT)
        .await;
    let voter = format!("<@{PLAIN_USER_ID}>");
    assert!(posts[1]["content"].as_str().unwrap().contains(&voter));
    let rewarded = |roles: Option<Vec<u64>>| roles.is_some_and(|r| r.contains(&REWARD_ROLE_ID));
    let granted = eventually(WAIT, || async {
        rewarded(bot.discord.member_roles(GUILD_ID, PLAIN_USER_ID)).then_some(())
    });
    assert!(granted.await.is_some(), "the reward role is granted");
    assert_eq!(
        vote(&bot, &connection, "whs_not_the_secret_at_all", "v2").await,
        401
    );

    // The first event is recorded in the background: wait for it, then read the replies.
    let guild = GUILD_ID.to_string();
    let guild_id = GUILD_ID.into();
    let recorded = eventually(WAIT, || async {
        let made = bot.app.db.webhook_connection(&guild_id, "server", &guild);
        made.await.unwrap()?.first_event_at
    });
    assert!(
        recorded.await.is_some(),
        "the first signed event is recorded"
    );
    let (_, again) = bot.topgg(&["webhook"], vec![]).await;
    assert_eq!(
        connection_in(&again),
        connection,
        "the same connection, shown again"
    );
    assert!(again.content().unwrap().contains("Secret: saved"));
    assert!(again.content().unwrap().contains("First signed event"));
    let (_, status) = bot.topgg(&["status"], vec![]).await;
    assert!(status.content().unwrap().contains("First signed event"));
    for request in bot.discord.requests() {
        assert!(!request.body.to_string().contains(SECRET), "{request:?}");
    }
    bot.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_mode_connection_announces_signed_events_and_never_shows_its_secret_on_sqlite() {
    a_webhook_mode_connection_announces_signed_events_and_never_shows_its_secret(Backend::Sqlite)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_mode_connection_announces_signed_events_and_never_shows_its_secret_on_postgres()
{
    a_webhook_mode_connection_announces_signed_events_and_never_shows_its_secret(Backend::Postgres)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_that_is_not_a_whs_secret_is_refused_and_nothing_verifies() {
    let bot = start(Backend::Sqlite).await.expect("SQLite");
    let answer = set_secret(&bot, "sk_live_0123456789abcdef").await;
    assert!(
        answer.content().unwrap().contains("nothing was saved"),
        "{answer:?}"
    );
    let (_, shown) = bot.topgg(&["webhook"], vec![]).await;
    assert!(shown.content().unwrap().contains("Secret: not set yet"));
    let connection = connection_in(&shown);
    assert_eq!(vote(&bot, &connection, "", "v1").await, 401);
    assert_eq!(
        vote(&bot, &connection, "sk_live_0123456789abcdef", "v2").await,
        401
    );
    bot.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_project_needs_its_id_and_is_linked_where_it_was_made_even_after_an_unlink() {
    let bot = start(Backend::Sqlite).await.expect("SQLite");
    // poise sends a choice as its index: bot 0, server 1, game 2.
    let (_, refused) = bot.topgg(&["webhook"], vec![("type", "bot".into())]).await;
    assert!(refused.content().unwrap().contains("`id`"), "{refused:?}");
    let options = vec![("type", "bot".into()), ("id", "910000000000000009".into())];
    let (_, made) = bot.topgg(&["webhook"], options).await;
    let connection = connection_in(&made);
    let linked = || async {
        let links = bot.app.db.links_in_guild(&GUILD_ID.into()).await.unwrap();
        links
            .into_iter()
            .map(|l| l.connection_id.into_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(linked().await, vec![connection.clone()]);
    bot.topgg(&["unlink"], vec![]).await;
    assert!(linked().await.is_empty());
    let options = vec![("type", "bot".into()), ("id", "910000000000000009".into())];
    let (_, shown) = bot.topgg(&["webhook"], options).await;
    assert_eq!(connection_in(&shown), connection, "shown again");
    assert_eq!(linked().await, vec![connection], "and linked again");
    bot.app.stop().await;
}
