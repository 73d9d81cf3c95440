//! `/topgg roles add` refuses roles that hand out power, and roles the caller could not give.

use crate::*;
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
        .reward_roles(&guild.parse().unwrap(), &CONNECTION.parse().unwrap())
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_with_moderation_powers_is_refused_with_the_reason() {
    let model = GuildModel::default_guild()
        .with_user(user(PROJECT_BOT_ID, PROJECT_BOT_NAME))
        .with_role(role(KICK_ROLE_ID, "Helpers", 1, perms::KICK_MEMBERS));
    let bot = Bot::start_with(model, bot_project()).await;
    bot.connect_and_link().await;
    let reply = add(&bot, KICK_ROLE_ID).await;
    assert!(reply.contains("Kick Members"), "{reply}");
    assert_eq!(stored_roles(&bot).await, 0);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_above_the_callers_highest_role_is_refused() {
    let bot = Bot::start().await;
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
    let bot = Bot::start_with(model, bot_project()).await;
    bot.connect_and_link().await;
    let reply = add(&bot, REWARD_ROLE_ID).await;
    assert!(reply.contains("Manage Roles"), "{reply}");
    assert_eq!(stored_roles(&bot).await, 0);
    bot.stop().await;
}
