//! Commands: registration that fails is retried while commands already work, and every
//! command is acknowledged within Discord's 3 s however busy the database is.

use std::time::{Duration, Instant};

use sqlx::Connection as _;

use crate::discord_faults::{Bot, WAIT};
use topgg_testkit::standin::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_command_registration_is_retried_while_commands_already_work() {
    let discord = DiscordStandIn::start().await;
    discord.fail_next("PUT", "/applications/", 1, Fault::BadGateway);
    let bot = Bot::start_on(discord).await;
    let is_put =
        |r: &RecordedRequest| r.is("PUT", "/applications/") && r.path.ends_with("/commands");
    let failed = bot
        .discord
        .wait_for(|r| is_put(r) && r.status == 502, WAIT)
        .await;
    assert!(failed.is_some(), "the first registration got the 502");

    let reply = bot.command(&["vote"], vec![], PLAIN_USER_ID).await;
    assert!(reply.content().is_some_and(|c| !c.is_empty()), "{reply:?}");

    let registered = bot
        .discord
        .wait_for(|r| is_put(r) && r.status == 200, WAIT)
        .await;
    assert!(
        registered.is_some(),
        "registration retried until Discord accepted it"
    );
    let puts = bot.discord.requests_matching("PUT", "/applications/");
    assert_eq!(puts.len(), 2, "one failure, one success, then no more");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_is_acknowledged_in_time_while_the_database_is_locked() {
    let bot = Bot::start().await;
    bot.link_with_channel().await;
    let mut lock = sqlx::SqliteConnection::connect(&bot.app.database_url)
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut lock)
        .await
        .unwrap();
    let locked_at = Instant::now();

    let options = vec![("channel", POST_CHANNEL_ID.into())];
    let path = ["topgg", "channel"];
    let ix = bot.discord.invocation(&path, options, ADMIN_USER_ID).await;
    assert_eq!(bot.discord.send_interaction(&ix.payload).await, 1);
    let prefix = format!("/interactions/{}/", ix.id);
    let acknowledged = bot
        .discord
        .wait_for(|r| r.is("POST", &prefix) && r.status == 204, WAIT)
        .await;
    assert!(
        acknowledged.is_some(),
        "no accepted callback: the 3 s deadline was missed ({:?})",
        bot.discord.requests_matching("POST", &prefix)
    );
    // Hold the write lock past the deadline, so an answer after the write would be late.
    let past_deadline = INTERACTION_DEADLINE + Duration::from_millis(500);
    tokio::time::sleep(past_deadline.saturating_sub(locked_at.elapsed())).await;
    sqlx::query("COMMIT").execute(&mut lock).await.unwrap();

    let reply = bot.discord.reply_to(ix.id, WAIT).await.expect("a reply");
    assert!(reply.deferred() && reply.ephemeral(), "{reply:?}");
    assert!(reply.content().is_some_and(|c| !c.is_empty()), "{reply:?}");
    bot.stop().await;
}
