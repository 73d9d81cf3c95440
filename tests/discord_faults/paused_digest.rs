//! A link paused after its votes were queued: the digest standing for them makes no call,
//! and its jobs end as a single announcement's would.

use std::time::Duration;

use crate::discord_faults::{Bot, WAIT};
use topgg_bot::domain::keys::GuildChannel;
use topgg_testkit::standin::*;

const FIRST_VOTER: u64 = 1_700_000_000_000_000_100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_for_a_channel_paused_after_its_votes_were_queued_makes_no_call() {
    let bot = Bot::start().await;
    bot.link_with_channel().await;
    assert_eq!(bot.vote_by("paused-0", FIRST_VOTER).await, 204);
    bot.messages_until(WAIT, |m| m.len() == 1).await;

    // The next claim holds the worker on a slow role grant once its announcement is posted.
    bot.reward_with_slow_grants(1, Duration::from_secs(5)).await;
    let members = format!("/guilds/{GUILD_ID}/members/");
    assert_eq!(bot.vote_by("paused-1", FIRST_VOTER + 1).await, 204);
    bot.messages_until(WAIT, |m| m.len() == 2).await;

    // Six votes queue meanwhile (one digest's worth), then the link is paused.
    for i in 2..8 {
        assert_eq!(
            bot.vote_by(&format!("paused-{i}"), FIRST_VOTER + i).await,
            204
        );
    }
    let (guild, channel) = (GUILD_ID.to_string(), POST_CHANNEL_ID.to_string());
    let paused = bot
        .app
        .db
        .pause_channel(
            GuildChannel::new(&guild.parse().unwrap(), &channel.parse().unwrap()),
            Some("test"),
        )
        .await
        .unwrap();
    assert_eq!(paused, 1);

    // Voters 1 to 7 get the role: their grants are not announcements and go on.
    let all_granted = || bot.discord.requests_matching("PUT", &members).len() >= 7;
    let granted = topgg_testkit::eventually(WAIT, || async { all_granted().then_some(()) });
    assert!(granted.await.is_some());
    bot.app.settle().await;

    let posts = format!("/channels/{POST_CHANNEL_ID}/messages");
    assert_eq!(bot.discord.requests_matching("POST", &posts).len(), 2);
    let figures = bot.app.db.queue_figures(bot.app.clock.now()).await.unwrap();
    // Only the seven role removals, due when the votes expire, are left.
    assert_eq!((figures.queued, figures.failed), (7, 0), "{figures:?}");
    bot.stop().await;
}
