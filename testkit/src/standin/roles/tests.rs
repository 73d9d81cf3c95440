//! Role grants and moves, through serenity's REST client or the helpers, and what a gateway
//! session with the given intents is sent for them.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use axum::extract::ws::Message as WsMessage;
use poise::serenity_prelude as serenity;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::standin::DiscordStandIn;
use crate::standin::fixtures::*;
use crate::standin::guild_events::{INTENT_GUILD_MEMBERS, INTENT_GUILDS};
use crate::standin::state::Session;

/// A gateway session with `intents`, as if it had identified: what it is sent lands in the
/// receiver.
fn listen(standin: &DiscordStandIn, intents: u64) -> mpsc::UnboundedReceiver<WsMessage> {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut inner = standin.state.lock();
    let id = inner.sessions.len() as u64 + 1;
    let seq = Arc::new(AtomicU64::new(0));
    inner.sessions.push(Session {
        id,
        tx,
        seq,
        intents,
    });
    rx
}

/// The dispatches sent so far: (event name, `d`).
fn sent(rx: &mut mpsc::UnboundedReceiver<WsMessage>) -> Vec<(String, Value)> {
    let mut events = Vec::new();
    while let Ok(WsMessage::Text(text)) = rx.try_recv() {
        let frame: Value = serde_json::from_str(text.as_str()).expect("a JSON frame");
        events.push((
            frame["t"].as_str().unwrap_or_default().to_string(),
            frame["d"].clone(),
        ));
    }
    events
}

fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(name, _)| name.as_str()).collect()
}

fn ids(
    guild: u64,
    user: u64,
    role: u64,
) -> (serenity::GuildId, serenity::UserId, serenity::RoleId) {
    let guild = serenity::GuildId::new(guild);
    (
        guild,
        serenity::UserId::new(user),
        serenity::RoleId::new(role),
    )
}

#[tokio::test]
async fn a_rest_grant_of_the_bots_own_role_is_told_to_a_session_without_guild_members() {
    let standin = DiscordStandIn::start().await;
    let mut rx = listen(&standin, INTENT_GUILDS);
    let (guild, bot, role) = ids(GUILD_ID, BOT_USER_ID, REWARD_ROLE_ID);
    let http = standin.http();
    http.add_member_role(guild, bot, role, None).await.unwrap();

    let events = sent(&mut rx);
    assert_eq!(names(&events), ["GUILD_MEMBER_UPDATE"]);
    let update: serenity::GuildMemberUpdateEvent =
        serde_json::from_value(events[0].1.clone()).unwrap();
    assert_eq!((update.guild_id, update.user.id), (guild, bot));
    assert!(update.roles.contains(&role));

    http.remove_member_role(guild, bot, role, None)
        .await
        .unwrap();
    let events = sent(&mut rx);
    assert_eq!(names(&events), ["GUILD_MEMBER_UPDATE"]);
    assert!(
        !events[0].1["roles"]
            .as_array()
            .unwrap()
            .contains(&Value::from(role.to_string()))
    );
}

#[tokio::test]
async fn another_members_grant_is_told_only_with_guild_members_and_a_refused_one_not_at_all() {
    let standin = DiscordStandIn::start().await;
    let mut guilds_only = listen(&standin, INTENT_GUILDS);
    let mut with_members = listen(&standin, INTENT_GUILDS | INTENT_GUILD_MEMBERS);
    let (guild, user, role) = ids(GUILD_ID, PLAIN_USER_ID, REWARD_ROLE_ID);
    let http = standin.http();
    http.add_member_role(guild, user, role, None).await.unwrap();
    let high = serenity::RoleId::new(HIGH_ROLE_ID);
    assert!(http.add_member_role(guild, user, high, None).await.is_err());

    assert_eq!(sent(&mut guilds_only), []);
    assert_eq!(names(&sent(&mut with_members)), ["GUILD_MEMBER_UPDATE"]);
}

#[tokio::test]
async fn a_grant_by_a_member_has_that_members_checks_and_is_told_as_a_rest_grant() {
    let standin = DiscordStandIn::start().await;
    let mut rx = listen(&standin, INTENT_GUILDS);
    let by_admin = standin.grant_role_by(ADMIN_USER_ID, BOT_USER_ID, HIGH_ROLE_ID);
    assert_eq!(
        by_admin.await,
        403,
        "the moderators' role is above the admin's"
    );
    assert_eq!(sent(&mut rx), []);

    let by_owner = standin.grant_role_by(OWNER_USER_ID, BOT_USER_ID, HIGH_ROLE_ID);
    assert_eq!(by_owner.await, 204);
    assert_eq!(names(&sent(&mut rx)), ["GUILD_MEMBER_UPDATE"]);
    let roles = standin.member_roles(GUILD_ID, BOT_USER_ID).unwrap();
    assert!(roles.contains(&HIGH_ROLE_ID));
    let by_admin = standin.remove_role_by(ADMIN_USER_ID, BOT_USER_ID, REWARD_ROLE_ID);
    assert_eq!(
        by_admin.await,
        204,
        "a role the bot does not hold: nothing changes"
    );
    assert_eq!(sent(&mut rx), []);
}

#[tokio::test]
async fn a_role_position_patch_answers_every_role_and_tells_each_role_it_shifted() {
    let standin = DiscordStandIn::start().await;
    let mut rx = listen(&standin, INTENT_GUILDS);
    let (guild, _, reward) = ids(GUILD_ID, BOT_USER_ID, REWARD_ROLE_ID);
    let roles = standin
        .http()
        .edit_role_position(guild, reward, 2, None)
        .await;

    let roles = roles.expect("serenity parses the answer");
    assert_eq!(roles.len(), standin.guild().roles.len());
    let events = sent(&mut rx);
    assert_eq!(names(&events), ["GUILD_ROLE_UPDATE", "GUILD_ROLE_UPDATE"]);
    let told: Vec<(String, u64)> = events
        .iter()
        .map(|(_, d)| {
            let update: serenity::GuildRoleUpdateEvent = serde_json::from_value(d.clone()).unwrap();
            (update.role.name, u64::from(update.role.position))
        })
        .collect();
    assert_eq!(told, [("Voter".into(), 2), ("Super Voter".into(), 1)]);
}

#[tokio::test]
async fn the_bot_may_not_sort_a_role_to_its_own_place_or_above() {
    let standin = DiscordStandIn::start().await;
    let mut rx = listen(&standin, INTENT_GUILDS);
    let (guild, _, reward) = ids(GUILD_ID, BOT_USER_ID, REWARD_ROLE_ID);
    let refused = standin
        .http()
        .edit_role_position(guild, reward, 3, None)
        .await;

    assert!(refused.is_err());
    let last = standin.requests().pop().unwrap();
    assert_eq!(
        (last.status, last.response["code"].as_u64()),
        (403, Some(50013))
    );
    assert_eq!(sent(&mut rx), []);
    assert_eq!(
        standin
            .move_roles_by(OWNER_USER_ID, &[(REWARD_ROLE_ID, 3)])
            .await,
        200
    );
    assert_eq!(
        sent(&mut rx).len(),
        3,
        "Voter up, Super Voter and the bot's role down"
    );
}

#[tokio::test]
async fn a_role_moved_by_hand_shifts_the_others_and_each_shifted_role_is_told() {
    let standin = DiscordStandIn::start().await;
    let mut rx = listen(&standin, INTENT_GUILDS);
    assert_eq!(standin.move_role(HIGH_ROLE_ID, 3).await, 3);

    let guild = standin.guild();
    let position = |id| guild.role(id).unwrap().position;
    assert_eq!(
        [HIGH_ROLE_ID, BOT_ROLE_ID, ADMIN_ROLE_ID].map(position),
        [3, 4, 5]
    );
    let told: Vec<Value> = sent(&mut rx)
        .into_iter()
        .map(|(_, d)| d["role"]["id"].clone())
        .collect();
    let expected = [BOT_ROLE_ID, ADMIN_ROLE_ID, HIGH_ROLE_ID].map(|id| Value::from(id.to_string()));
    assert_eq!(told, expected);
}
