//! A paused reward role is fixed in Discord by a REST call of someone else's, and the bot
//! learns it only from the gateway events Discord sends for that call: GUILD_MEMBER_UPDATE
//! for its own member (sent without the GUILD_MEMBERS intent), GUILD_ROLE_UPDATE for each
//! role a move shifted.

use serde_json::json;

use crate::guild_life::role_pause::*;
use crate::guild_life::*;
use topgg_testkit::standin::*;

/// Votes `voter` in and waits until the reward role is paused (the bot may not give it).
async fn paused_by_a_vote(bot: &Bot, voter: u64) {
    let status = bot
        .vote_with("v0", voter, &format!("voter{voter}"), json!({}))
        .await;
    assert_eq!(status, 204);
    wait_for_role_paused(bot, true).await;
}

/// Waits until `voter` holds the reward role in Discord.
async fn wait_for_reward(bot: &Bot, voter: u64) {
    let has_it = |d: &DiscordStandIn| {
        let roles = d.member_roles(GUILD_ID, voter).unwrap();
        roles.contains(&REWARD_ROLE_ID).then_some(())
    };
    let given = bot.discord.wait_until(RESUMED_WITHIN, has_it).await;
    assert!(given.is_some(), "the voter got the reward role");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_role_resumes_when_the_owner_grants_the_bot_a_higher_role() {
    let bot = guild_bot(guild_with_voters()).start().await;
    bot.connect_and_link().await;
    add_reward_role(&bot, None).await;
    bot.discord.move_role(REWARD_ROLE_ID, ABOVE_THE_BOT).await;
    let voter = voters()[0];
    paused_by_a_vote(&bot, voter).await;

    let granted = bot
        .discord
        .grant_role_by(OWNER_USER_ID, BOT_USER_ID, BOT_BOOST_ROLE_ID)
        .await;
    assert_eq!(granted, 204);
    wait_for_role_paused(&bot, false).await;
    wait_for_reward(&bot, voter).await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reward_role_moved_down_to_the_bots_place_lands_below_it_and_its_pause_lifts() {
    let bot = guild_bot(guild_with_voters()).start().await;
    bot.connect_and_link().await;
    add_reward_role(&bot, None).await;
    bot.discord.move_role(REWARD_ROLE_ID, ABOVE_THE_BOT).await;
    let voter = voters()[0];
    paused_by_a_vote(&bot, voter).await;

    // The reward role takes the bot's place; the bot's role moves up by one, and only that
    // role's own GUILD_ROLE_UPDATE says so.
    let bots_place = bot.discord.guild().role(BOT_ROLE_ID).unwrap().position;
    let moved = bot
        .discord
        .move_roles_by(OWNER_USER_ID, &[(REWARD_ROLE_ID, bots_place)])
        .await;
    assert_eq!(moved, 200);
    let guild = bot.discord.guild();
    let position = |id| guild.role(id).unwrap().position;
    assert_eq!(
        (position(REWARD_ROLE_ID), position(BOT_ROLE_ID)),
        (bots_place, bots_place + 1)
    );
    wait_for_role_paused(&bot, false).await;
    wait_for_reward(&bot, voter).await;
    bot.stop().await;
}
