//! A reward role the bot may not give (moved above the bot's role): one failed call pauses
//! it, the voters' grants wait without calls, `/topgg status` says how to fix it, and the
//! gateway telling the bot it was fixed makes the waiting grants and removals.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use topgg_bot::domain::keys::{GuildRole, MemberRole};
use topgg_bot::domain::time::{HOUR, ManualClock};
use topgg_testkit::eventually;

use crate::guild_life::*;
use topgg_testkit::standin::*;

/// Waiting grants are taken up by the worker's next look at the queue (at most 5 s).
pub const RESUMED_WITHIN: Duration = Duration::from_secs(30);
/// Second from the top of [`guild_with_voters`]'s seven roles: moved there, the reward role
/// is above the bot's role, the admin's and the moderators' (each shifted down by one) and
/// below [`BOT_BOOST_ROLE_ID`].
pub const ABOVE_THE_BOT: u16 = 5;
/// A role an admin may give the bot, the highest.
pub const BOT_BOOST_ROLE_ID: u64 = 1_500_000_000_000_000_009;
/// The roles whose position changes when the reward role (at 1) moves to [`ABOVE_THE_BOT`]:
/// every role but @everyone (the Bots role, at 8, comes down to 6); each is told.
const SHIFTED_UP: usize = 6;
/// The roles whose position changes when it moves back to 1: all but @everyone and Bots.
const SHIFTED_BACK: usize = 5;

pub fn voters() -> Vec<u64> {
    (0..8).map(|i| 1_800_000_000_000_000_100 + i).collect()
}

pub fn guild_with_voters() -> GuildModel {
    let mut model = GuildModel::default_guild()
        .with_user(user(PROJECT_BOT_ID, PROJECT_BOT_NAME))
        .with_role(role(BOT_BOOST_ROLE_ID, "Bots", 8, 0));
    for id in voters() {
        model = model.with_member(member(user(id, &format!("voter{id}")), &[]));
    }
    model
}

/// Member-role calls Discord refused with 403.
pub fn refused_role_calls(discord: &DiscordStandIn) -> usize {
    let prefix = format!("/guilds/{GUILD_ID}/members/");
    let requests = discord.requests();
    let refused = requests
        .iter()
        .filter(|r| r.path.starts_with(&prefix) && r.path.contains("/roles/"));
    refused.filter(|r| r.status == 403).count()
}

pub async fn add_reward_role(bot: &Bot, hours: Option<i64>) {
    let mut options = vec![("role", Opt::Role(REWARD_ROLE_ID))];
    options.extend(hours.map(|h| ("hours", Opt::Int(h))));
    let reply = bot
        .command(&["topgg", "roles", "add"], options, ADMIN_USER_ID)
        .await;
    assert!(
        reply.content().unwrap_or_default().starts_with("Voters of"),
        "{reply:?}"
    );
}

/// Waits until the bot has seen the reward role moved above its own (`/topgg status` says it
/// cannot give it): the stand-in has sent the move's events, the bot handles them in tasks of
/// their own.
pub async fn wait_until_the_bot_sees_the_role_above_it(bot: &Bot) {
    let seen = eventually(WAIT, || async {
        let status = bot.status().await;
        status.contains("my highest role is below it").then_some(())
    })
    .await;
    assert!(
        seen.is_some(),
        "the bot never saw the role moved above its own"
    );
}

pub async fn wait_for_role_paused(bot: &Bot, paused: bool) {
    let (guild, role) = (GUILD_ID.into(), REWARD_ROLE_ID.into());
    let role = GuildRole::new(&guild, &role);
    let seen = eventually(WAIT, || async {
        let now = bot.app.db.is_role_paused(role).await.unwrap();
        (now == paused).then_some(())
    })
    .await;
    assert!(seen.is_some(), "the role never became paused = {paused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_votes_for_a_role_above_the_bot_cost_at_most_two_failed_calls_and_all_get_it_once_moved_back()
 {
    let bot = guild_bot(guild_with_voters()).start().await;
    bot.connect_and_link().await;
    add_reward_role(&bot, None).await;
    assert_eq!(
        bot.discord.move_role(REWARD_ROLE_ID, ABOVE_THE_BOT).await,
        SHIFTED_UP
    );
    wait_until_the_bot_sees_the_role_above_it(&bot).await;

    for (i, voter) in voters().into_iter().enumerate() {
        let name = format!("voter{voter}");
        let status = bot
            .vote_with(&format!("v{i}"), voter, &name, json!({}))
            .await;
        assert_eq!(status, 204);
    }
    wait_for_role_paused(&bot, true).await;
    bot.app.settle().await;
    let failed = refused_role_calls(&bot.discord);
    assert!((1..=2).contains(&failed), "{failed} failed role calls");
    let status = bot.status().await;
    assert!(
        status.contains(&format!("<@&{REWARD_ROLE_ID}> paused"))
            && status.contains("move my role above")
            && status.contains("Manage Roles"),
        "{status}"
    );

    assert_eq!(bot.discord.move_role(REWARD_ROLE_ID, 1).await, SHIFTED_BACK);
    let everyone_has_it = bot
        .discord
        .wait_until(RESUMED_WITHIN, |d| {
            let has = |v: u64| {
                d.member_roles(GUILD_ID, v)
                    .unwrap()
                    .contains(&REWARD_ROLE_ID)
            };
            voters().into_iter().all(has).then_some(())
        })
        .await;
    assert!(everyone_has_it.is_some(), "every voter got the role");
    assert_eq!(
        refused_role_calls(&bot.discord),
        failed,
        "no failed call since"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removal_that_fails_keeps_the_grant_and_is_retried_once_the_bot_is_given_a_higher_role() {
    let clock = Arc::new(ManualClock::starting_now());
    let bot = guild_bot(guild_with_voters())
        .clock(clock.clone())
        .start()
        .await;
    bot.connect_and_link().await;
    add_reward_role(&bot, Some(1)).await;
    let (guild, user, role) = (GUILD_ID.into(), PLAIN_USER_ID.into(), REWARD_ROLE_ID.into());
    let grant = MemberRole::new(&guild, &user, &role);
    let path = format!("/guilds/{GUILD_ID}/members/{PLAIN_USER_ID}/roles/{REWARD_ROLE_ID}");
    let answered = |method: &'static str, status: u16| {
        let path = path.clone();
        move |r: &RecordedRequest| r.method == method && r.path == path && r.status == status
    };

    assert_eq!(bot.vote("v1").await, 204);
    assert!(
        bot.discord
            .wait_for(answered("PUT", 204), WAIT)
            .await
            .is_some()
    );
    bot.app.settle().await;
    bot.discord.move_role(REWARD_ROLE_ID, ABOVE_THE_BOT).await;
    wait_until_the_bot_sees_the_role_above_it(&bot).await;
    clock.advance(HOUR + Duration::from_secs(1));
    assert!(
        bot.discord
            .wait_for(answered("DELETE", 403), WAIT)
            .await
            .is_some()
    );
    wait_for_role_paused(&bot, true).await;
    clock.advance(HOUR);
    bot.app.settle().await;
    let db = &bot.app.db;
    assert_eq!(db.recorded_grants(grant).await.unwrap(), 1, "grant kept");
    assert_eq!(
        bot.discord.requests_matching("DELETE", &path).len(),
        1,
        "not retried while paused"
    );
    assert!(
        bot.discord
            .member_roles(GUILD_ID, PLAIN_USER_ID)
            .unwrap()
            .contains(&REWARD_ROLE_ID)
    );

    let roles = [BOT_ROLE_ID, BOT_BOOST_ROLE_ID];
    assert_eq!(bot.discord.set_bot_roles(&roles).await, 1);
    wait_for_role_paused(&bot, false).await;
    // The worker's next look at the queue, on the test's clock.
    clock.advance(Duration::from_secs(5));
    assert!(
        bot.discord
            .wait_for(answered("DELETE", 204), WAIT)
            .await
            .is_some()
    );
    assert!(
        !bot.discord
            .member_roles(GUILD_ID, PLAIN_USER_ID)
            .unwrap()
            .contains(&REWARD_ROLE_ID)
    );
    let forgotten = eventually(WAIT, || async {
        let left = db.recorded_grants(grant).await.unwrap();
        (left == 0).then_some(())
    })
    .await;
    assert!(forgotten.is_some(), "the grant is forgotten once removed");
    bot.stop().await;
}
