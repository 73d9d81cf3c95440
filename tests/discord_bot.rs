//! The bot end to end: signed webhooks in, the real serenity/poise client out, against the
//! Discord stand-in (REST with faults, and a gateway that delivers slash commands).

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use topgg_bot::config::Config;
use topgg_bot::domain::time::{Clock, HOUR, ManualClock};
use topgg_bot::storage::JobStatus;
use topgg_testkit::bot::{Bot, CONNECTION, WAIT, mentions};
use topgg_testkit::eventually;
use topgg_testkit::standin::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_posts_one_announcement_mentioning_only_the_voter_and_grants_the_role() {
    let bot = Bot::start().await;
    bot.connect_and_link().await;
    bot.set_channel(POST_CHANNEL_ID).await;
    let options = vec![("role", Opt::Role(REWARD_ROLE_ID))];
    bot.command(&["topgg", "roles", "add"], options, ADMIN_USER_ID)
        .await;

    assert_eq!(bot.vote("v1").await, 204);
    let messages = bot.messages(POST_CHANNEL_ID, 1).await;
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0]["content"]
            .as_str()
            .unwrap()
            .contains(&format!("<@{PLAIN_USER_ID}>"))
    );
    let post = &bot
        .discord
        .requests_matching("POST", &format!("/channels/{POST_CHANNEL_ID}/messages"))[0];
    assert_eq!(
        post.body["allowed_mentions"],
        json!({"parse": [], "users": [PLAIN_USER_ID.to_string()], "roles": []})
    );
    assert_eq!(post.body["enforce_nonce"], true);
    let has_role = |d: &DiscordStandIn| {
        let roles = d.member_roles(GUILD_ID, PLAIN_USER_ID).unwrap();
        roles.contains(&REWARD_ROLE_ID).then_some(())
    };
    let granted = bot.discord.wait_until(WAIT, has_role).await;
    assert!(granted.is_some(), "the role was granted");

    assert_eq!(bot.vote("v1").await, 204, "a redelivery is acknowledged");
    bot.app.settle().await;
    assert_eq!(
        bot.discord.messages_in(POST_CHANNEL_ID).len(),
        1,
        "a duplicate posts nothing"
    );
    assert_eq!(
        bot.role_puts(REWARD_ROLE_ID),
        1,
        "a duplicate grants nothing"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voter_named_everyone_pings_no_one() {
    let bot = Bot::start().await;
    bot.connect_and_link().await;
    bot.set_channel(POST_CHANNEL_ID).await;
    let template = vec![(
        "template",
        Opt::Str("{user.name} voted, thanks {user}!".into()),
    )];
    bot.command(&["topgg", "message"], template, ADMIN_USER_ID)
        .await;

    let long = Duration::from_secs(3600);
    assert_eq!(
        bot.vote_expiring("v1", PLAIN_USER_ID, "@everyone @here <@&1>", long)
            .await,
        204
    );
    let messages = bot.messages(POST_CHANNEL_ID, 1).await;
    let content = messages[0]["embeds"][0]["description"].as_str().unwrap();
    assert!(
        topgg_bot::domain::text::as_shown(content).starts_with("@everyone @here <@&1> voted"),
        "{content}"
    );
    assert!(
        !content.contains(" @here"),
        "shown as text, not as a mention: {content}"
    );
    let post = &bot.discord.requests_matching("POST", "/channels/")[0];
    assert_eq!(post.body["allowed_mentions"]["parse"], json!([]));
    assert_eq!(
        post.body["allowed_mentions"]["users"],
        json!([PLAIN_USER_ID.to_string()])
    );
    assert_eq!(
        post.body["allowed_mentions"]["roles"],
        json!([]),
        "no role may be pinged"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_role_is_removed_when_the_vote_expires_but_not_while_a_newer_vote_holds_it() {
    let clock = Arc::new(ManualClock::starting_now());
    let bot = Bot::builder().clock(clock.clone()).start().await;
    bot.connect_and_link().await;
    let options = vec![("role", Opt::Role(REWARD_ROLE_ID))];
    bot.command(&["topgg", "roles", "add"], options, ADMIN_USER_ID)
        .await;
    let removal = format!("/guilds/{GUILD_ID}/members/{PLAIN_USER_ID}/roles/{REWARD_ROLE_ID}");
    let start = clock.now();

    assert_eq!(bot.vote_expiring("v1", PLAIN_USER_ID, "p", HOUR).await, 204);
    // One voter cannot vote twice at one instant (that would be the same vote): v2 is cast a
    // second later, expiring at the same time as before.
    let second = Duration::from_secs(1);
    clock.advance(second);
    assert_eq!(
        bot.vote_expiring("v2", PLAIN_USER_ID, "p", HOUR * 2 - second)
            .await,
        204
    );
    bot.worked_until(start).await;
    clock.set(start + HOUR);
    bot.worked_until(start + HOUR).await;
    let removals = bot.app.db.all_jobs().await.unwrap();
    let removals: Vec<_> = removals
        .iter()
        .filter(|j| j.kind() == "remove_role")
        .collect();
    assert_eq!(removals.len(), 2, "{removals:?}");
    assert_eq!(
        removals[0].status,
        JobStatus::Done,
        "v1's removal was worked"
    );
    assert!(
        bot.discord.requests_matching("DELETE", &removal).is_empty(),
        "v2 still holds the role"
    );
    assert!(
        bot.discord
            .member_roles(GUILD_ID, PLAIN_USER_ID)
            .unwrap()
            .contains(&REWARD_ROLE_ID)
    );

    clock.set(start + HOUR * 2);
    let removed = bot
        .discord
        .wait_for(|r| r.method == "DELETE" && r.path == removal, WAIT)
        .await;
    assert!(removed.is_some(), "removed once the newest vote expired");
    assert!(
        !bot.discord
            .member_roles(GUILD_ID, PLAIN_USER_ID)
            .unwrap()
            .contains(&REWARD_ROLE_ID)
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_failing_five_times_then_recovering_still_posts_exactly_once() {
    let clock = Arc::new(ManualClock::starting_now());
    let bot = Bot::builder().clock(clock.clone()).start().await;
    bot.connect_and_link().await;
    bot.set_channel(POST_CHANNEL_ID).await;
    let path = format!("/channels/{POST_CHANNEL_ID}/messages");
    bot.discord.fail_next("POST", &path, 5, Fault::ServerError);

    assert_eq!(bot.vote("v1").await, 204);
    // Backoff 1 + 2 + 4 + 8 + 16 s before the sixth attempt, waited out on the test clock.
    for (failures, backoff) in (1..=5).zip([1, 2, 4, 8, 16]) {
        let failed_at = clock.now();
        let due = bot.retry_due(failures).await;
        assert_eq!(due, failed_at + Duration::from_secs(backoff));
        clock.set(due);
    }
    let messages = bot.messages(POST_CHANNEL_ID, 1).await;
    assert_eq!(messages.len(), 1);
    bot.queue_drained().await;
    assert_eq!(bot.discord.messages_in(POST_CHANNEL_ID).len(), 1);
    assert_eq!(bot.discord.requests_matching("POST", &path).len(), 6);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_is_waited_out_before_the_next_try() {
    let bot = Bot::start().await;
    bot.connect_and_link().await;
    bot.set_channel(POST_CHANNEL_ID).await;
    let path = format!("/channels/{POST_CHANNEL_ID}/messages");
    bot.discord
        .fail_next("POST", &path, 1, Fault::RateLimited { retry_after: 1.2 });

    assert_eq!(bot.vote("v1").await, 204);
    assert_eq!(bot.messages(POST_CHANNEL_ID, 1).await.len(), 1);
    let posts = bot.discord.requests_matching("POST", &path);
    assert_eq!(posts.len(), 2);
    assert!(posts[1].at.duration_since(posts[0].at) >= Duration::from_millis(1200));
    assert_eq!(bot.discord.rate_limit_violations(), 0);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_permissions_are_recorded_and_shown_by_topgg_status() {
    let bot = Bot::start().await;
    bot.connect_and_link().await;
    bot.set_channel(DENIED_CHANNEL_ID).await;

    assert_eq!(bot.vote("v1").await, 204);
    let path = format!("/channels/{DENIED_CHANNEL_ID}/messages");
    let refused = bot
        .discord
        .wait_for(|r| r.path == path && r.status == 403, WAIT)
        .await;
    assert!(refused.is_some());
    bot.app.settle().await;
    assert_eq!(
        bot.discord.requests_matching("POST", &path).len(),
        1,
        "403 is not retried"
    );

    let reply = bot
        .command(&["topgg", "status"], vec![], ADMIN_USER_ID)
        .await;
    let text = reply.content().unwrap();
    assert!(reply.ephemeral());
    assert!(text.contains("1 failed"), "{text}");
    assert!(text.contains("code 50013"), "{text}");
    assert!(
        text.contains(&format!("I can't post in <#{DENIED_CHANNEL_ID}>")),
        "{text}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_queued_before_a_restart_is_delivered_after_it_even_if_discord_was_down_at_start() {
    let bot = Bot::start().await;
    bot.connect_and_link().await;
    bot.set_channel(POST_CHANNEL_ID).await;
    bot.discord.set_down(true);
    assert_eq!(bot.vote("v1").await, 204);
    let path = format!("/channels/{POST_CHANNEL_ID}/messages");
    assert!(
        bot.discord
            .wait_for(|r| r.path == path && r.status == 503, WAIT)
            .await
            .is_some()
    );

    let bot = bot.restart().await;
    bot.discord.set_down(false);
    assert_eq!(bot.messages(POST_CHANNEL_ID, 1).await.len(), 1);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_user_who_clicked_connect_may_link_the_project() {
    let bot = Bot::start().await;
    bot.connect_as(1_999_000_000_000_000_001).await;

    let options = vec![("connection", Opt::Str(CONNECTION.into()))];
    let reply = bot
        .command(&["topgg", "link"], options, ADMIN_USER_ID)
        .await;
    let text = reply.content().unwrap();
    assert!(
        text.starts_with("Only the person who clicked Connect"),
        "{text}"
    );
    let reply = bot.command(&["topgg", "link"], vec![], ADMIN_USER_ID).await;
    assert!(
        reply
            .content()
            .unwrap()
            .contains("no Top.gg connection waiting")
    );
    let reply = bot.command(&["topgg", "link"], vec![], PLAIN_USER_ID).await;
    assert!(reply.content().unwrap().contains("Manage Server"));
    assert!(
        bot.app
            .db
            .links_of(&CONNECTION.parse().unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_setting_changes_what_the_next_vote_does() {
    let bot = Bot::start().await;
    bot.connect_and_link().await;
    let messages_path = format!("/channels/{POST_CHANNEL_ID}/messages");

    assert_eq!(bot.vote("v1").await, 204);
    bot.app.settle().await;
    assert!(
        bot.discord
            .requests_matching("POST", &messages_path)
            .is_empty(),
        "no channel yet"
    );

    bot.set_channel(POST_CHANNEL_ID).await;
    bot.vote("v2").await;
    assert!(
        bot.messages(POST_CHANNEL_ID, 1).await[0]["embeds"][0]["description"]
            .as_str()
            .unwrap()
            .contains("Total votes: 2")
    );

    let template = vec![(
        "template",
        Opt::Str("Thanks {user.name}: {votes} votes, streak {streak}".into()),
    )];
    let preview = bot
        .command(&["topgg", "message"], template, ADMIN_USER_ID)
        .await;
    assert_eq!(
        preview.embeds()[0]["description"],
        "Thanks connector: 12 votes, streak 3",
        "{preview:?}"
    );
    bot.vote("v3").await;
    assert_eq!(
        bot.messages(POST_CHANNEL_ID, 2).await[1]["embeds"][0]["description"],
        "Thanks plain: 3 votes, streak 3"
    );

    let options = vec![
        ("role", Opt::Role(REWARD_ROLE_2_ID)),
        ("votes", Opt::Int(4)),
        ("hours", Opt::Int(0)),
    ];
    bot.command(&["topgg", "roles", "add"], options, ADMIN_USER_ID)
        .await;
    let list = bot
        .command(&["topgg", "roles", "list"], vec![], ADMIN_USER_ID)
        .await;
    assert!(
        list.content()
            .unwrap()
            .contains("from 4 votes, permanently"),
        "{list:?}"
    );
    bot.vote("v4").await;
    bot.messages(POST_CHANNEL_ID, 3).await;
    bot.app.settle().await;
    assert_eq!(bot.role_puts(REWARD_ROLE_2_ID), 1);

    bot.command(
        &["topgg", "roles", "remove"],
        vec![("role", Opt::Role(REWARD_ROLE_2_ID))],
        ADMIN_USER_ID,
    )
    .await;
    bot.command(&["topgg", "channel"], vec![], ADMIN_USER_ID)
        .await;
    bot.vote("v5").await;
    bot.app.settle().await;
    assert_eq!(
        bot.role_puts(REWARD_ROLE_2_ID),
        1,
        "removed role not granted again"
    );
    assert_eq!(
        bot.discord.messages_in(POST_CHANNEL_ID).len(),
        3,
        "announcements turned off"
    );

    let vote = bot.command(&["vote"], vec![], PLAIN_USER_ID).await;
    let text = vote.content().unwrap();
    assert!(
        text.contains("https://top.gg/bot/910000000000000009/vote") && text.contains("5 votes"),
        "{text}"
    );
    let board = bot.command(&["leaderboard"], vec![], PLAIN_USER_ID).await;
    assert!(
        board.content().unwrap().contains("1. **plain**: 5 votes"),
        "{board:?}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_autocompletes_the_callers_waiting_connections() {
    let bot = Bot::start().await;
    bot.connect_as(ADMIN_USER_ID).await;
    let path = ["topgg", "link"];
    let typing = ("connection", "");
    let ix = bot
        .discord
        .autocompletion(&path, vec![], typing, ADMIN_USER_ID)
        .await;
    bot.discord.send_interaction(&ix.payload).await;
    let reply = bot
        .discord
        .reply_to(ix.id, WAIT)
        .await
        .expect("autocomplete answered");
    assert_eq!(reply.callback_type, 8);
    let choices = reply.choices();
    let values: Vec<&str> = choices
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, [CONNECTION]);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_for_one_channel_is_announced_in_digests_within_its_rate_limit() {
    let recheck = |c: &mut Config| c.discord.token_recheck_secs = 1;
    let bot = Bot::builder().config(recheck).start().await;
    bot.connect_and_link().await;
    bot.set_channel(POST_CHANNEL_ID).await;
    bot.discord
        .limit_channel_messages(5, Duration::from_secs(5));
    let voters: Vec<u64> = (0..120).map(|i| 1_600_000_000_000_000_000 + i).collect();
    // Delivery is held (Discord refuses the token) while the burst arrives, so the whole burst
    // is waiting at once however slowly a loaded machine takes the votes in: votes trickling
    // in one by one are rightly announced one by one. The bot learns of the refusal from the
    // first vote's post before the rest arrive: a claim it made before knowing (of the first
    // few votes, on a starved worker) would otherwise post those few alone afterwards.
    bot.discord.revoke_token(true);
    let posts = format!("/channels/{POST_CHANNEL_ID}/messages");
    send_burst(&bot, &voters[..1]).await;
    let refused = |r: &RecordedRequest| r.status == 401 && r.path == posts;
    let first = bot.discord.wait_for(refused, WAIT).await;
    assert!(
        first.is_some(),
        "the first vote's post met the refused token"
    );
    send_burst(&bot, &voters[1..]).await;
    let posted = |bot: &Bot| bot.discord.requests_matching("POST", &posts);
    assert!(
        posted(&bot).iter().all(|p| p.status == 401),
        "nothing posted yet"
    );
    let jobs = bot.app.db.all_jobs().await.unwrap();
    let queued = jobs.iter().filter(|j| j.status == JobStatus::Queued);
    assert_eq!(
        queued.count(),
        voters.len(),
        "the whole burst waits: {jobs:?}"
    );
    bot.discord.revoke_token(false);

    let messages = bot
        .discord
        .messages_when(POST_CHANNEL_ID, Duration::from_secs(40), |m| {
            voters.iter().all(|v| mentions(m, *v) > 0)
        })
        .await;
    for v in &voters {
        assert_eq!(mentions(&messages, *v), 1, "voter {v} is named once");
    }
    for message in &messages {
        let title = message["embeds"][0]["title"].as_str().unwrap_or_default();
        assert!(title.contains(" new votes"), "not a digest: {message}");
    }
    assert!(
        messages.len() <= 5,
        "{} messages: more than the channel's limit allows in 5 s",
        messages.len()
    );
    assert_eq!(
        bot.discord.rate_limit_violations(),
        0,
        "every 429 was honoured"
    );
    for post in posted(&bot).iter().filter(|p| p.status == 200) {
        let users = post.body["allowed_mentions"]["users"].as_array().unwrap();
        let content = post.body["content"].as_str().unwrap();
        assert!(
            users
                .iter()
                .all(|u| content.contains(&format!("<@{}>", u.as_str().unwrap())))
        );
        assert_eq!(post.body["allowed_mentions"]["parse"], json!([]));
    }
    bot.stop().await;
}

/// Sends one vote by each of `voters` at once; every one is accepted.
async fn send_burst(bot: &Bot, voters: &[u64]) {
    let long = Duration::from_secs(3600);
    let votes = voters.iter().map(|v| async move {
        bot.vote_expiring(&format!("burst-{v}"), *v, "v", long)
            .await
    });
    let statuses = futures_util::future::join_all(votes).await;
    assert!(statuses.iter().all(|s| *s == 204), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_gateway_while_webhooks_keep_working() {
    let discord = DiscordStandIn::start().await;
    discord.set_down(true);
    let bot = Bot::start_on(discord).await;
    let (status, body) = bot.readiness().await;
    assert_eq!(
        (status, body["gateway"].as_str()),
        (503, Some("disconnected"))
    );
    let health = bot
        .app
        .client
        .get(format!("{}/healthz", bot.app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    bot.connect_as(ADMIN_USER_ID).await;
    assert_eq!(bot.vote("while-disconnected").await, 204, "a vote is taken");
    let connection = CONNECTION.parse().unwrap();
    assert_eq!(bot.app.db.vote_count(&connection).await.unwrap(), 1);
    let (status, _) = bot.readiness().await;
    assert_eq!(status, 503, "still without a gateway");

    bot.discord.set_down(false);
    let ready = eventually(Duration::from_secs(30), || async {
        (bot.readiness().await.0 == 200).then_some(())
    });
    ready.await;
    let (status, body) = bot.readiness().await;
    assert_eq!((status, body["gateway"].as_str()), (200, Some("connected")));
    bot.stop().await;
}
