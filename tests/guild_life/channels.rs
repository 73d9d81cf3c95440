//! The guild's channels as the bot sees them: only text and announcement channels can be
//! picked for announcements, and a change an admin makes reaches the bot's checks at once
//! (the stand-in tells it with the gateway event Discord sends).

use crate::guild_life::*;
use topgg_testkit::standin::channel_kind::{ANNOUNCEMENT, CATEGORY, FORUM, VOICE};
use topgg_testkit::standin::*;

const VOICE_ID: u64 = 1_400_000_000_000_000_021;
const CATEGORY_ID: u64 = 1_400_000_000_000_000_022;
const FORUM_ID: u64 = 1_400_000_000_000_000_023;
const NEWS_ID: u64 = 1_400_000_000_000_000_024;

fn guild_with_every_kind() -> GuildModel {
    let kinds = [
        (VOICE, VOICE_ID, "lounge"),
        (CATEGORY, CATEGORY_ID, "community"),
        (FORUM, FORUM_ID, "ideas"),
        (ANNOUNCEMENT, NEWS_ID, "news"),
    ];
    let model = GuildModel::default_guild().with_user(user(PROJECT_BOT_ID, PROJECT_BOT_NAME));
    kinds
        .into_iter()
        .zip(3..)
        .fold(model, |m, ((kind, id, name), position)| {
            m.with_channel(channel_of_kind(kind, id, name, position))
        })
}

/// `/topgg channel` registers `channel_types` text and announcement, so Discord's picker never
/// offers a voice channel, a category or a forum (where Discord refuses a bot's message with
/// 400 50008, or a voice channel's chat nobody reads); an announcement channel is taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topgg_channel_offers_only_text_and_announcement_channels() {
    let bot = guild_bot(guild_with_every_kind()).start().await;
    bot.connect_and_link().await;
    let path = ["topgg", "channel"];
    for (id, kind) in [
        (VOICE_ID, "voice"),
        (CATEGORY_ID, "category"),
        (FORUM_ID, "forum"),
    ] {
        let options = vec![("channel", id.into())];
        let picked = bot
            .discord
            .try_invocation(&path, options, ADMIN_USER_ID)
            .await;
        let refused = picked.expect_err("Discord's picker does not offer it");
        let offered = "offers only text and announcement channels";
        assert!(
            refused.contains(offered) && refused.contains(kind),
            "{refused}"
        );
    }

    let reply = bot
        .command(&path, vec![("channel", NEWS_ID.into())], ADMIN_USER_ID)
        .await;
    let text = reply.content().unwrap_or_default();
    assert_eq!(
        text,
        format!("Votes for **{PROJECT_BOT_NAME}** will be announced in <#{NEWS_ID}>.")
    );
    assert_eq!(bot.vote("v1").await, 204);
    assert_eq!(bot.messages(NEWS_ID, 1).await.len(), 1, "announced in news");
    bot.stop().await;
}

/// Without GUILD_CREATE again, the bot learns of a new channel (CHANNEL_CREATE) and of the
/// Send Messages an admin then takes away (CHANNEL_UPDATE) from the gateway, as from Discord.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_created_then_locked_after_start_is_seen_by_the_checks_at_once() {
    let bot = start_bot().await;
    bot.connect_and_link().await;
    let created = bot.discord.update_guild(|g| {
        g.channels.push(text_channel(NEWS_ID, "fresh", 3));
    });
    assert_eq!(created, 1, "CHANNEL_CREATE sent");
    let reply = bot
        .command(
            &["topgg", "channel"],
            vec![("channel", NEWS_ID.into())],
            ADMIN_USER_ID,
        )
        .await;
    let text = reply.content().unwrap_or_default().to_string();
    assert!(
        !text.contains("Warning"),
        "the bot knows the new channel: {text}"
    );

    let locked = bot.discord.update_guild(|g| {
        let channel = g.channels.iter_mut().find(|c| c.id == NEWS_ID).unwrap();
        let deny = perms::SEND_MESSAGES;
        channel.overwrites.push(Overwrite {
            id: BOT_USER_ID,
            kind: 1,
            allow: 0,
            deny,
        });
    });
    assert_eq!(locked, 1, "CHANNEL_UPDATE sent");
    let status = bot.status().await;
    assert!(
        status.contains(&format!("I can't post in <#{NEWS_ID}>")),
        "{status}"
    );
    bot.stop().await;
}
