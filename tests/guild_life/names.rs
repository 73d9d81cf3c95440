//! Names everywhere, and announcements as embeds with the voter's avatar and a Vote button.

use serde_json::json;
use topgg_bot::samples::sample_project;

use crate::guild_life::*;
use topgg_testkit::standin::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_project_is_announced_by_its_guilds_name_in_an_embed_with_avatar_and_vote_button()
{
    let project = sample_project("900000000000000002", "server", &GUILD_ID.to_string());
    let bot = guild_bot(GuildModel::default_guild())
        .project(project)
        .start()
        .await;
    bot.connect().await;
    bot.wait_for_project_name("Stand-in Guild").await;
    bot.set_channel(POST_CHANNEL_ID).await;

    assert_eq!(bot.vote("v1").await, 204);
    let messages = bot.messages(POST_CHANNEL_ID, 1).await;
    let message = &messages[0];
    assert_eq!(message["content"], format!("<@{PLAIN_USER_ID}>"));
    let description = embed(message)["description"].as_str().unwrap();
    let shown = topgg_bot::domain::text::as_shown(description);
    assert!(shown.contains("**Stand-in Guild**"), "{description}");
    assert!(
        !description.contains(&GUILD_ID.to_string()),
        "{description}"
    );
    assert_eq!(embed(message)["author"]["name"], "plain");
    assert_eq!(embed(message)["author"]["icon_url"], AVATAR);
    assert_eq!(
        button_url(message),
        Some(format!("https://top.gg/discord/servers/{GUILD_ID}/vote").as_str())
    );
    let post = &bot.posts(POST_CHANNEL_ID)[0];
    assert_eq!(
        post.body["allowed_mentions"],
        json!({"parse": [], "users": [PLAIN_USER_ID.to_string()], "roles": []})
    );
    let status = bot.status().await;
    let shown = topgg_bot::domain::text::as_shown(&status);
    assert!(shown.contains("**Stand-in Guild**"), "{status}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_project_is_named_by_its_bot_users_name_everywhere() {
    let bot = start_bot().await;
    let linked = bot.connect_and_link().await;
    assert!(
        linked.contains(&format!("**{PROJECT_BOT_NAME}**")),
        "{linked}"
    );
    let lookup = format!("/users/{PROJECT_BOT_ID}");
    assert_eq!(bot.discord.requests_matching("GET", &lookup).len(), 1);
    bot.set_channel(POST_CHANNEL_ID).await;

    assert_eq!(bot.vote("v1").await, 204);
    let messages = bot.messages(POST_CHANNEL_ID, 1).await;
    let description = embed(&messages[0])["description"].as_str().unwrap();
    assert!(description.contains("**Cool Bot**"), "{description}");
    assert_eq!(
        button_url(&messages[0]),
        Some(format!("https://top.gg/bot/{PROJECT_BOT_ID}/vote").as_str())
    );

    let vote = bot.command(&["vote"], vec![], PLAIN_USER_ID).await;
    assert!(vote.content().unwrap().contains("**Cool Bot**"), "{vote:?}");
    let board = bot.command(&["leaderboard"], vec![], PLAIN_USER_ID).await;
    let text = board.content().unwrap();
    assert!(
        text.contains("**Cool Bot**") && text.contains("1. **plain**: 1 votes"),
        "{text}"
    );
    let typing = ("project", "");
    let ix = bot
        .discord
        .autocompletion(&["vote"], vec![], typing, PLAIN_USER_ID)
        .await;
    bot.discord.send_interaction(&ix.payload).await;
    let choices = bot.discord.reply_to(ix.id, WAIT).await.unwrap().choices();
    assert_eq!(choices[0]["name"], PROJECT_BOT_NAME);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn display_overrides_the_name_and_the_message_preview_shows_the_real_embed() {
    let bot = start_bot().await;
    bot.connect_and_link().await;
    let options = vec![("name", Opt::Str("Our Bot".into()))];
    let reply = bot
        .command(&["topgg", "display"], options, ADMIN_USER_ID)
        .await;
    assert!(
        reply.content().unwrap().contains("**Our Bot**"),
        "{reply:?}"
    );

    let options = vec![(
        "template",
        Opt::Str("{user.name} voted for {project}".into()),
    )];
    let preview = bot
        .command(&["topgg", "message"], options, ADMIN_USER_ID)
        .await;
    let embeds = preview.embeds();
    assert_eq!(
        embeds[0]["description"], "connector voted for Our Bot",
        "{preview:?}"
    );
    assert_eq!(
        button_url(preview.data()),
        Some(format!("https://top.gg/bot/{PROJECT_BOT_ID}/vote").as_str())
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn style_text_posts_the_rendered_template_as_content() {
    let bot = start_bot().await;
    bot.connect_and_link().await;
    bot.set_channel(POST_CHANNEL_ID).await;
    bot.set_template("{user} voted for {project}", true).await;

    assert_eq!(bot.vote("v1").await, 204);
    let messages = bot.messages(POST_CHANNEL_ID, 1).await;
    assert_eq!(
        messages[0]["content"],
        format!("<@{PLAIN_USER_ID}> voted for Cool Bot")
    );
    assert_eq!(messages[0]["embeds"], json!([]));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_from_outside_is_shown_as_written_and_forms_no_link_heading_or_spoiler() {
    let bot = start_bot().await;
    bot.connect_and_link().await;
    bot.set_channel(POST_CHANNEL_ID).await;
    bot.set_template("{user.name} came from {query.ref}", true)
        .await;

    let query = json!({"query": {"ref": "[Free Nitro](https://evil.example)"}});
    let name = "voter_4\u{202E}";
    assert_eq!(bot.vote_with("v1", PLAIN_USER_ID, name, query).await, 204);
    let messages = bot.messages(POST_CHANNEL_ID, 1).await;
    let content = messages[0]["content"].as_str().unwrap();
    assert!(!content.contains("[Free Nitro]("), "{content}");
    assert!(!content.contains('\u{202E}'), "{content}");
    assert_eq!(
        topgg_bot::domain::text::as_shown(content),
        "voter_4 came from [Free Nitro](https://evil.example)"
    );

    let board = bot.command(&["leaderboard"], vec![], PLAIN_USER_ID).await;
    let board = board.content().unwrap();
    assert!(
        topgg_bot::domain::text::as_shown(board).contains("1. **voter_4**: 1 votes"),
        "{board}"
    );
    bot.stop().await;
}
