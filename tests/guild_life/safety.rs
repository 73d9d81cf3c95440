//! `/topgg roles add` refuses roles that hand out power, and roles the caller could not give.

use crate::guild_life::*;
use topgg_bot::domain::keys::LinkRef;
use topgg_testkit::standin::*;

const KICK_ROLE_ID: u64 = 1_500_000_000_000_000_009;

async fn add(bot: &Bot, role: u64) -> String {
    let options = vec![("role", Opt::Role(role))];
    let reply = bot
        .command(&["topgg", "roles", "add"], options, ADMIN_USER_ID)
        .await;
    reply.content().unwrap_or_default().to_string()
}

async fn stored_roles(bot: &Bot) -> usize {
    let guild = GUILD_ID.to_string();
    bot.app
        .db
        .reward_roles(LinkRef::new(
            &guild.parse().unwrap(),
            &CONNECTION.parse().unwrap(),
        ))
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_with_moderation_powers_is_refused_with_the_reason() {
    let model = GuildModel::default_guild()
        .with_user(user(PROJECT_BOT_ID, PROJECT_BOT_NAME))
        .with_role(role(KICK_ROLE_ID, "Helpers", 1, perms::KICK_MEMBERS));
    let bot = guild_bot(model).start().await;
    bot.connect_and_link().await;
    let reply = add(&bot, KICK_ROLE_ID).await;
    assert!(reply.contains("Kick Members"), "{reply}");
    assert_eq!(stored_roles(&bot).await, 0);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_above_the_callers_highest_role_is_refused() {
    let bot = start_bot().await;
    bot.connect_and_link().await;
    let reply = add(&bot, HIGH_ROLE_ID).await;
    assert!(reply.contains("not below your highest role"), "{reply}");
    assert_eq!(stored_roles(&bot).await, 0);
    assert!(add(&bot, REWARD_ROLE_ID).await.starts_with("Voters of"));
    assert_eq!(stored_roles(&bot).await, 1);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_without_manage_roles_cannot_choose_a_reward_role() {
    let mut model = GuildModel::default_guild().with_user(user(PROJECT_BOT_ID, PROJECT_BOT_NAME));
    for r in &mut model.roles {
        if r.id == ADMIN_ROLE_ID {
            r.permissions = perms::MANAGE_GUILD;
        }
    }
    let bot = guild_bot(model).start().await;
    bot.connect_and_link().await;
    let reply = add(&bot, REWARD_ROLE_ID).await;
    assert!(reply.contains("Manage Roles"), "{reply}");
    assert_eq!(stored_roles(&bot).await, 0);
    bot.stop().await;
}

const MANAGED_ROLE_ID: u64 = 1_500_000_000_000_000_010;
const PING_ROLE_ID: u64 = 1_500_000_000_000_000_011;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managed_role_and_a_role_that_mentions_everyone_are_refused() {
    let mut managed = role(MANAGED_ROLE_ID, "Some App", 1, 0);
    managed.bot_id = Some(PROJECT_BOT_ID);
    let model = GuildModel::default_guild()
        .with_user(user(PROJECT_BOT_ID, PROJECT_BOT_NAME))
        .with_role(managed)
        .with_role(role(PING_ROLE_ID, "Pingers", 1, perms::MENTION_EVERYONE));
    let bot = guild_bot(model).start().await;
    bot.connect_and_link().await;
    let reply = add(&bot, MANAGED_ROLE_ID).await;
    assert!(reply.contains("managed"), "{reply}");
    let reply = add(&bot, PING_ROLE_ID).await;
    assert!(reply.contains("Mention Everyone"), "{reply}");
    assert_eq!(stored_roles(&bot).await, 0);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manage_permissions_on_one_channel_is_not_manage_roles_in_the_server() {
    let mut model = GuildModel::default_guild().with_user(user(PROJECT_BOT_ID, PROJECT_BOT_NAME));
    for r in &mut model.roles {
        if r.id == ADMIN_ROLE_ID {
            r.permissions = perms::MANAGE_GUILD;
        }
    }
    // The same bit in a channel overwrite means Manage Permissions of that channel, and it is
    // what the interaction's member.permissions carry when the command runs there.
    let channel = model
        .channels
        .iter_mut()
        .find(|c| c.id == POST_CHANNEL_ID)
        .unwrap();
    channel.overwrites.push(Overwrite {
        id: ADMIN_USER_ID,
        kind: 1,
        allow: perms::MANAGE_ROLES,
        deny: 0,
    });
    let bot = guild_bot(model).start().await;
    bot.connect_and_link().await;
    let options = vec![("role", Opt::Role(REWARD_ROLE_ID))];
    let reply = bot
        .command_in(
            POST_CHANNEL_ID,
            &["topgg", "roles", "add"],
            options,
            ADMIN_USER_ID,
        )
        .await;
    let reply = reply.content().unwrap_or_default().to_string();
    assert!(reply.contains("Manage Roles"), "{reply}");
    assert_eq!(stored_roles(&bot).await, 0);
    bot.stop().await;
}
