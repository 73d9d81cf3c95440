//! A public bot's start-up: a burst of GUILD_CREATEs of wide guilds, every one recorded.

use std::time::Duration;

use topgg_testkit::eventually;
use topgg_testkit::standin::many_guilds::{FIRST_WIDE_GUILD, wide_guild};
use topgg_testkit::standin::*;

use crate::guild_life::*;

const GUILDS: u64 = 400;
/// Channels 0, 7, ..., 49 of a wide guild deny the bot Embed Links.
const WITHOUT_EMBED_LINKS: u64 = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_guild_of_a_burst_of_guild_creates_is_recorded_with_its_embed_links() {
    let bot = start_bot().await;
    let me = GuildModel::default_guild().bot;
    let burst = (0..GUILDS).map(|i| wide_guild(i, &me, 50, 30));
    assert_eq!(bot.discord.send_guild_creates(burst).await, GUILDS as usize);
    let db = &bot.app.db;
    let recorded = eventually(Duration::from_secs(60), || async {
        let present = db.present_guilds().await.ok()?;
        let wide = present.iter().filter(|g| g.get() >= FIRST_WIDE_GUILD);
        (wide.count() as u64 == GUILDS).then_some(())
    })
    .await;
    assert!(recorded.is_some(), "every guild recorded as present");
    let lacking = eventually(Duration::from_secs(60), || async {
        let lacking = db.channels_without_embeds().await.ok()?;
        let wide = lacking.iter().filter(|(g, _)| g.get() >= FIRST_WIDE_GUILD);
        (wide.count() as u64 == GUILDS * WITHOUT_EMBED_LINKS).then_some(())
    })
    .await;
    assert!(
        lacking.is_some(),
        "each guild's channels without Embed Links shared"
    );
    bot.stop().await;
}
