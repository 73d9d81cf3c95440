//! AutoMod refusing announcements for their mentions: posted once more naming the voters;
//! refused again, the link pauses as for a lost channel.

use std::time::Duration;

use serde_json::{Value, json};

use crate::discord_faults::{Bot, WAIT};
use topgg_bot::domain::keys::GuildChannel;
use topgg_testkit::standin::*;

const FIRST_VOTER: u64 = 1_700_000_000_000_000_200;

fn text_of(messages: &[Value]) -> String {
    messages
        .iter()
        .map(|m| m["content"].as_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automod_allowing_three_mentions_still_sees_every_voter_of_a_burst_named() {
    let bot = Bot::start().await;
    bot.link_with_channel().await;
    bot.discord.limit_mentions(Some(3));
    assert_eq!(
        bot.vote_with("am-hold", FIRST_VOTER, "Holder", json!({}))
            .await,
        204
    );
    bot.messages_until(WAIT, |m| m.len() == 1).await;

    // The next claim holds the worker on a slow role grant, so the burst queues as one digest.
    bot.reward_with_slow_grants(1, Duration::from_secs(3)).await;
    assert_eq!(
        bot.vote_with("am-slow", FIRST_VOTER + 1, "Slow", json!({}))
            .await,
        204
    );
    bot.messages_until(WAIT, |m| m.len() == 2).await;
    let names: Vec<String> = (0..16).map(|i| format!("Ann{i:02}")).collect();
    for (i, name) in names.iter().enumerate() {
        let voter = FIRST_VOTER + 10 + i as u64;
        assert_eq!(
            bot.vote_with(&format!("am-{i}"), voter, name, json!({}))
                .await,
            204
        );
    }

    let everyone = |m: &[Value]| names.iter().all(|n| text_of(m).contains(n.as_str()));
    let messages = bot.messages_until(Duration::from_secs(30), everyone).await;
    let text = text_of(&messages);
    for name in &names {
        assert!(text.contains(name.as_str()), "{name} not named in {text}");
    }
    let path = format!("/channels/{POST_CHANNEL_ID}/messages");
    let posts = bot.discord.requests_matching("POST", &path);
    let refused = posts.iter().filter(|p| p.status == 400).count();
    assert_eq!(refused, 1, "the digest was refused once, then posted");
    let last = posts.last().unwrap();
    assert_eq!(last.body["allowed_mentions"]["users"], json!([]));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announcement_automod_refuses_even_without_mentions_pauses_the_link_after_two_calls() {
    let bot = Bot::start().await;
    bot.link_with_channel().await;
    let path = format!("/channels/{POST_CHANNEL_ID}/messages");
    let blocked = Fault::Status {
        status: 400,
        code: 200000,
        message: "Message was blocked by automatic moderation".into(),
    };
    bot.discord.fail_next("POST", &path, 2, blocked);
    assert_eq!(
        bot.vote_with("am-1", FIRST_VOTER, "Bea", json!({})).await,
        204
    );
    bot.app.settle().await;

    let posts = bot.discord.requests_matching("POST", &path);
    assert_eq!(posts.len(), 2, "posted once more, then no retry loop");
    assert_eq!(posts[1].body["allowed_mentions"]["users"], json!([]));
    assert!(!posts[1].body["content"].as_str().unwrap().contains("<@"));
    let (guild, channel) = (GUILD_ID.to_string(), POST_CHANNEL_ID.to_string());
    let paused = bot
        .app
        .db
        .is_channel_paused(GuildChannel::new(
            &guild.parse().unwrap(),
            &channel.parse().unwrap(),
        ))
        .await
        .unwrap();
    assert!(paused, "the link pauses as for a lost channel");
    bot.stop().await;
}
