//! A living guild: the bot removed and re-added, a channel deleted, a role deleted, voters who
//! are not members.

use serde_json::json;
use topgg_bot::storage::JobStatus;

use crate::guild_life::*;
use topgg_testkit::standin::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_guild_delete_votes_queue_nothing_until_guild_create() {
    let bot = start_bot().await;
    bot.connect_and_link().await;
    bot.set_channel(POST_CHANNEL_ID).await;
    bot.command(
        &["topgg", "roles", "add"],
        vec![("role", Opt::Role(REWARD_ROLE_ID))],
        ADMIN_USER_ID,
    )
    .await;

    let removed = json!({"id": GUILD_ID.to_string()});
    assert_eq!(bot.discord.send_dispatch("GUILD_DELETE", &removed).await, 1);
    bot.wait_for_guild_gone(true).await;
    assert_eq!(bot.vote("v1").await, 204);
    bot.app.settle().await;
    assert!(
        bot.posts(POST_CHANNEL_ID).is_empty(),
        "no call for a guild the bot left"
    );
    assert!(bot.discord.requests_matching("PUT", "/guilds/").is_empty());
    let queued = bot.app.db.all_jobs().await.unwrap();
    assert!(
        queued.iter().all(|j| j.status != JobStatus::Queued),
        "{queued:?}"
    );
    assert_eq!(
        bot.app
            .db
            .links_of(&CONNECTION.parse().unwrap())
            .await
            .unwrap()
            .len(),
        0,
        "no live link"
    );

    let guild = json::guild_create(&bot.discord.guild(), &json::now_timestamp());
    assert_eq!(bot.discord.send_dispatch("GUILD_CREATE", &guild).await, 1);
    bot.wait_for_guild_gone(false).await;
    assert_eq!(bot.vote("v2").await, 204);
    let messages = bot.messages(POST_CHANNEL_ID, 1).await;
    assert_eq!(
        messages.len(),
        1,
        "announced again once back, settings kept"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_guild_is_not_treated_as_a_removal() {
    let bot = start_bot().await;
    bot.connect_and_link().await;
    bot.set_channel(POST_CHANNEL_ID).await;
    let outage = json!({"id": GUILD_ID.to_string(), "unavailable": true});
    bot.discord.send_dispatch("GUILD_DELETE", &outage).await;
    assert_eq!(bot.vote("v1").await, 204);
    assert_eq!(bot.messages(POST_CHANNEL_ID, 1).await.len(), 1);
    assert!(
        !bot.app
            .db
            .is_guild_gone(&(GUILD_ID.to_string()).parse().unwrap())
            .await
            .unwrap()
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_channel_pauses_announcements_after_one_failed_call_until_a_test_succeeds() {
    let bot = start_bot().await;
    bot.connect_and_link().await;
    bot.set_channel(POST_CHANNEL_ID).await;
    let saved = bot.discord.guild();
    bot.discord
        .update_guild(|g| g.channels.retain(|c| c.id != POST_CHANNEL_ID));

    assert_eq!(bot.vote("v1").await, 204);
    let path = format!("/channels/{POST_CHANNEL_ID}/messages");
    let refused = bot
        .discord
        .wait_for(|r| r.path == path && r.status == 404, WAIT)
        .await;
    assert!(refused.is_some());
    bot.app.settle().await;
    for id in ["v2", "v3", "v4"] {
        assert_eq!(bot.vote(id).await, 204);
    }
    bot.app.settle().await;
    assert_eq!(
        bot.posts(POST_CHANNEL_ID).len(),
        1,
        "one failed call, not one per vote"
    );
    let status = bot.status().await;
    assert!(
        status.contains("paused") && status.contains("10003"),
        "{status}"
    );

    bot.discord.update_guild(|g| *g = saved);
    let test = bot.command(&["topgg", "test"], vec![], ADMIN_USER_ID).await;
    assert!(
        test.content().unwrap().contains("Posted a sample"),
        "{test:?}"
    );
    assert_eq!(bot.vote("v5").await, 204);
    assert_eq!(
        bot.messages(POST_CHANNEL_ID, 2).await.len(),
        2,
        "resumed after the test"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voter_who_is_not_a_member_is_skipped_and_not_reported_as_failed() {
    let bot = start_bot().await;
    bot.connect_and_link().await;
    bot.command(
        &["topgg", "roles", "add"],
        vec![("role", Opt::Role(REWARD_ROLE_ID))],
        ADMIN_USER_ID,
    )
    .await;
    let stranger = 1_800_000_000_000_000_001_u64;
    assert_eq!(
        bot.vote_with("v1", stranger, "stranger", json!({})).await,
        204
    );
    let path = format!("/guilds/{GUILD_ID}/members/{stranger}/roles/{REWARD_ROLE_ID}");
    let refused = bot
        .discord
        .wait_for(|r| r.path == path && r.status == 404, WAIT)
        .await;
    assert!(refused.is_some());
    bot.app.settle().await;
    let status = bot.status().await;
    assert!(status.contains("0 failed"), "{status}");
    assert!(!status.contains("Unknown Member"), "{status}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_reward_role_is_disabled_and_reported() {
    let bot = start_bot().await;
    bot.connect_and_link().await;
    bot.command(
        &["topgg", "roles", "add"],
        vec![("role", Opt::Role(REWARD_ROLE_ID))],
        ADMIN_USER_ID,
    )
    .await;
    bot.discord
        .update_guild(|g| g.roles.retain(|r| r.id != REWARD_ROLE_ID));

    assert_eq!(bot.vote("v1").await, 204);
    let path = format!("/guilds/{GUILD_ID}/members/{PLAIN_USER_ID}/roles/{REWARD_ROLE_ID}");
    assert!(
        bot.discord
            .wait_for(|r| r.path == path && r.status == 404, WAIT)
            .await
            .is_some()
    );
    bot.app.settle().await;
    assert_eq!(bot.vote("v2").await, 204);
    bot.app.settle().await;
    assert_eq!(
        bot.discord.requests_matching("PUT", &path).len(),
        1,
        "not granted again"
    );
    let status = bot.status().await;
    assert!(
        status.contains(&format!("<@&{REWARD_ROLE_ID}> disabled")),
        "{status}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topgg_test_posts_the_real_announcement_pinging_no_one() {
    let bot = start_bot().await;
    bot.connect_and_link().await;
    bot.set_channel(POST_CHANNEL_ID).await;
    bot.command(&["topgg", "test"], vec![], ADMIN_USER_ID).await;
    let post = &bot.posts(POST_CHANNEL_ID)[0];
    assert_eq!(
        post.body["allowed_mentions"],
        json!({"parse": [], "users": [], "roles": []})
    );
    assert!(
        post.body["embeds"][0]["description"]
            .as_str()
            .unwrap()
            .contains("Cool Bot")
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guild_missing_from_ready_is_treated_as_removed_until_guild_create() {
    let bot = start_bot().await;
    bot.connect_and_link().await;
    bot.set_channel(POST_CHANNEL_ID).await;
    let options = vec![("role", Opt::Role(REWARD_ROLE_ID))];
    bot.command(&["topgg", "roles", "add"], options, ADMIN_USER_ID)
        .await;

    // Removed while the session was down: no GUILD_DELETE, the next READY just omits it.
    bot.discord.set_removed_from_guild(true);
    let identified = bot.discord.identify_count();
    bot.discord.disconnect_gateway(4000);
    assert!(bot.discord.wait_for_identify(identified + 1, WAIT).await);
    bot.wait_for_guild_gone(true).await;
    let before = bot.discord.requests().len();
    for id in ["v1", "v2", "v3"] {
        assert_eq!(bot.vote(id).await, 204);
    }
    bot.app.settle().await;
    let calls: Vec<String> = bot.discord.requests()[before..]
        .iter()
        .filter(|r| r.path.contains(&GUILD_ID.to_string()) || r.path.contains("/channels/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        calls.is_empty(),
        "no call for a guild the bot is not in: {calls:?}"
    );

    bot.discord.set_removed_from_guild(false);
    let guild = json::guild_create(&bot.discord.guild(), &json::now_timestamp());
    assert_eq!(bot.discord.send_dispatch("GUILD_CREATE", &guild).await, 1);
    bot.wait_for_guild_gone(false).await;
    assert_eq!(bot.vote("v4").await, 204);
    assert_eq!(bot.messages(POST_CHANNEL_ID, 1).await.len(), 1);
    bot.stop().await;
}
