//! Embed Links missing in the announcement channel: the checks of `/topgg channel` and
//! `/topgg status` (and `/topgg test`, which shares them) say so.

use crate::{Bot, WAIT};
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
    let discord = DiscordStandIn::builder().guild(model).start().await;
    let bot = Bot::start_on(discord, |_| {}).await;
    let registered = |r: &RecordedRequest| r.method == "PUT" && r.path.ends_with("/commands");
    assert!(bot.discord.wait_for(registered, WAIT).await.is_some());
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
