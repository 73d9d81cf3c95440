//! Top.gg's real protocol: weights, query parameters, game projects.

use serde_json::json;
use topgg_bot::samples::sample_project;

use crate::guild_life::*;
use topgg_testkit::standin::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weekend_vote_of_weight_two_counts_two_in_votes_thresholds_and_leaderboards() {
    let bot = start_bot().await;
    bot.connect_and_link().await;
    bot.set_channel(POST_CHANNEL_ID).await;
    bot.set_template("{votes} votes, weight {weight}", true)
        .await;
    let options = vec![("role", Opt::Role(REWARD_ROLE_ID)), ("votes", Opt::Int(2))];
    let added = bot
        .command(&["topgg", "roles", "add"], options, ADMIN_USER_ID)
        .await;
    assert!(
        added.content().unwrap().starts_with("Voters of"),
        "{added:?}"
    );

    let status = bot
        .vote_with("v1", PLAIN_USER_ID, "plain", json!({"weight": 2}))
        .await;
    assert_eq!(status, 204);
    let messages = bot.messages(POST_CHANNEL_ID, 1).await;
    assert_eq!(messages[0]["content"], "2 votes, weight 2");
    let granted = format!("/guilds/{GUILD_ID}/members/{PLAIN_USER_ID}/roles/{REWARD_ROLE_ID}");
    let put = bot
        .discord
        .wait_for(|r| r.method == "PUT" && r.path == granted, WAIT)
        .await;
    assert!(put.is_some(), "one weight-2 vote reaches a 2-vote reward");
    let board = bot.command(&["leaderboard"], vec![], PLAIN_USER_ID).await;
    assert!(board.content().unwrap().contains(": 2 votes"), "{board:?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vote_pages_query_is_offered_as_query_placeholders() {
    let bot = start_bot().await;
    bot.connect_and_link().await;
    bot.set_channel(POST_CHANNEL_ID).await;
    bot.set_template("from [{query.ref}] [{query.missing}]", true)
        .await;

    let query = json!({"query": {"ref": "discord"}});
    assert_eq!(
        bot.vote_with("v1", PLAIN_USER_ID, "plain", query).await,
        204
    );
    let messages = bot.messages(POST_CHANNEL_ID, 1).await;
    assert_eq!(messages[0]["content"], "from [discord] []");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_game_project_is_linked_and_announced_with_the_vote_link_display_set() {
    let mut project = sample_project("900000000000000003", "game", "4242");
    project["platform"] = json!("roblox");
    let bot = guild_bot(GuildModel::default_guild())
        .project(project)
        .start()
        .await;
    let linked = bot.connect_and_link().await;
    assert!(linked.contains("/topgg display"), "{linked}");
    bot.set_channel(POST_CHANNEL_ID).await;

    assert_eq!(bot.vote("v1").await, 204);
    let first = bot.messages(POST_CHANNEL_ID, 1).await;
    assert_eq!(button_url(&first[0]), None, "no known vote page: no button");
    assert!(
        !embed(&first[0])["description"]
            .as_str()
            .unwrap()
            .contains("top.gg/bot")
    );

    let options = vec![
        ("name", Opt::Str("Obby Tower".into())),
        (
            "vote_url",
            Opt::Str("https://top.gg/roblox/4242/vote".into()),
        ),
    ];
    bot.command(&["topgg", "display"], options, ADMIN_USER_ID)
        .await;
    assert_eq!(
        bot.vote_with("v2", PLAIN_USER_ID, "plain", json!({})).await,
        204
    );
    let both = bot.messages(POST_CHANNEL_ID, 2).await;
    assert!(
        embed(&both[1])["description"]
            .as_str()
            .unwrap()
            .contains("**Obby Tower**")
    );
    assert_eq!(
        button_url(&both[1]),
        Some("https://top.gg/roblox/4242/vote")
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_template_with_the_vote_url_is_clipped_not_refused() {
    let bot = start_bot().await;
    bot.connect_and_link().await;
    bot.set_channel(POST_CHANNEL_ID).await;
    bot.set_template(&"{vote_url}".repeat(150), true).await;

    assert_eq!(bot.vote("v1").await, 204);
    let messages = bot.messages(POST_CHANNEL_ID, 1).await;
    assert_eq!(
        messages.len(),
        1,
        "posted: {:?}",
        bot.posts(POST_CHANNEL_ID)
    );
    assert_eq!(
        messages[0]["content"].as_str().unwrap().chars().count(),
        2000
    );
    bot.stop().await;
}
