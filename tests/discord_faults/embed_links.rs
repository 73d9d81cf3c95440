//! Embed Links missing in the announcement channel: the checks of `/topgg channel` and
//! `/topgg status` (and `/topgg test`, which shares them) say so.

use crate::discord_faults::{Bot, WAIT};
use topgg_testkit::eventually;
use topgg_testkit::standin::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_channel_say_when_the_announcement_channel_lacks_embed_links() {
    let mut model = GuildModel::default_guild();
    let bot_id = model.bot.id;
    let channel = model.channels.iter_mut().find(|c| c.id == POST_CHANNEL_ID);
    channel.unwrap().overwrites.push(Overwrite {
        id: bot_id,
        kind: 1,
        allow: 0,
        deny: perms::EMBED_LINKS,
    });
    let bot = Bot::builder().guild(model).start().await;
    bot.link_with_channel().await;

    let options = vec![("channel", Opt::Channel(POST_CHANNEL_ID))];
    let reply = bot
        .command(&["topgg", "channel"], options, ADMIN_USER_ID)
        .await;
    let said = format!("{reply:?}");
    assert!(said.contains("Embed Links"), "{said}");
    let reply = bot
        .command(&["topgg", "status"], vec![], ADMIN_USER_ID)
        .await;
    let said = format!("{reply:?}");
    assert!(said.contains("Embed Links"), "{said}");
    bot.stop().await;
}

/// The first voter of the tests below; each next one adds 1.
const VOTER: u64 = 1_700_000_000_000_000_300;

/// Whether `/topgg status` comes to report Embed Links as missing (`missing`) or as not
/// missing, within [`WAIT`]. serenity handles each gateway event in a task of its own, so a
/// command sent right after a CHANNEL_UPDATE can be answered before that event is applied
/// (seen under load): ask again until the answer is the one expected.
async fn status_says_embed_links_missing(bot: &Bot, missing: bool) -> bool {
    eventually(WAIT, || async {
        let reply = bot
            .command(&["topgg", "status"], vec![], ADMIN_USER_ID)
            .await;
        (format!("{reply:?}").contains("Embed Links") == missing).then_some(())
    })
    .await
    .is_some()
}

fn embeds(message: &serde_json::Value) -> usize {
    message["embeds"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_are_announced_in_text_style_while_embed_links_is_missing_and_as_embeds_once_it_is_back()
 {
    let bot = Bot::start().await;
    bot.link_with_channel().await;
    assert_eq!(bot.discord.set_embed_links(POST_CHANNEL_ID, false).await, 1);
    assert!(status_says_embed_links_missing(&bot, true).await);

    assert_eq!(bot.vote_by("no-embeds-1", VOTER).await, 204);
    let kept = bot.messages_until(WAIT, |m| m.len() == 1).await;
    let content = kept[0]["content"].as_str().unwrap_or_default();
    assert!(
        content.starts_with(&format!("<@{VOTER}> just voted for")),
        "the template in text style, not a bare ping: {}",
        kept[0]
    );
    assert!(content.contains("Total votes: 1"), "{content}");
    assert_eq!(embeds(&kept[0]), 0);

    assert_eq!(bot.discord.set_embed_links(POST_CHANNEL_ID, true).await, 1);
    assert!(status_says_embed_links_missing(&bot, false).await);
    assert_eq!(bot.vote_by("no-embeds-2", VOTER + 1).await, 204);
    let kept = bot.messages_until(WAIT, |m| m.len() == 2).await;
    assert_eq!(
        kept[1]["content"],
        format!("<@{}>", VOTER + 1),
        "{}",
        kept[1]
    );
    let description = kept[1]["embeds"][0]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(description.contains("just voted for"), "{}", kept[1]);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_is_digested_in_text_style_while_the_bots_role_lacks_embed_links_and_embeds_return_with_it()
 {
    let mut model = GuildModel::default_guild();
    let bot_role = model
        .roles
        .iter_mut()
        .find(|r| r.id == BOT_ROLE_ID)
        .unwrap();
    bot_role.permissions = perms::MANAGE_ROLES;
    let discord = DiscordStandIn::builder().guild(model).start().await;
    let bot = Bot::start_on(discord).await;
    bot.link_with_channel().await;
    assert!(
        status_says_embed_links_missing(&bot, true).await,
        "known from GUILD_CREATE"
    );

    // A slow role grant holds the worker once the first announcement is out: six votes queue.
    bot.reward_with_slow_grants(1, std::time::Duration::from_secs(3))
        .await;
    assert_eq!(bot.vote_by("burst-0", VOTER).await, 204);
    bot.messages_until(WAIT, |m| m.len() == 1).await;
    for i in 1..=6 {
        assert_eq!(bot.vote_by(&format!("burst-{i}"), VOTER + i).await, 204);
    }
    let kept = bot.messages_until(WAIT, |m| m.len() == 2).await;
    let digest = kept[1]["content"].as_str().unwrap_or_default();
    assert!(digest.starts_with("**6 new votes"), "{}", kept[1]);
    for i in 1..=6 {
        let line = format!("<@{}> v (1 votes)", VOTER + i);
        assert!(digest.contains(&line), "{line} missing from {digest}");
    }
    assert_eq!(embeds(&kept[1]), 0);

    let with_embeds = perms::MANAGE_ROLES | perms::EMBED_LINKS;
    let told = bot.discord.set_role_permissions(BOT_ROLE_ID, with_embeds);
    assert_eq!(told.await, 1);
    assert!(status_says_embed_links_missing(&bot, false).await);
    assert_eq!(bot.vote_by("burst-7", VOTER + 7).await, 204);
    let kept = bot.messages_until(WAIT, |m| m.len() == 3).await;
    assert_eq!(embeds(&kept[2]), 1, "{}", kept[2]);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topgg_test_posts_its_sample_in_text_style_while_embed_links_is_missing() {
    let bot = Bot::start().await;
    bot.link_with_channel().await;
    assert_eq!(bot.discord.set_embed_links(POST_CHANNEL_ID, false).await, 1);
    assert!(status_says_embed_links_missing(&bot, true).await);

    let reply = bot.command(&["topgg", "test"], vec![], ADMIN_USER_ID).await;
    assert!(format!("{reply:?}").contains("Embed Links"), "{reply:?}");
    let kept = bot.messages_until(WAIT, |m| m.len() == 1).await;
    let content = kept[0]["content"].as_str().unwrap_or_default();
    assert!(
        content.starts_with("(test) ") && content.contains("just voted for"),
        "the sample as votes are announced there: {}",
        kept[0]
    );
    assert_eq!(embeds(&kept[0]), 0);
    bot.stop().await;
}
