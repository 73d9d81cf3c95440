use poise::serenity_prelude as serenity;

use super::*;
use crate::standin::fixtures::{
    BOT_USER_ID, POST_CHANNEL_ID, REWARD_ROLE_ID, member, role, text_channel, user,
};

const NEW_ROLE: u64 = 1_500_000_000_000_000_077;
const NEW_CHANNEL: u64 = 1_400_000_000_000_000_077;
const NEWCOMER: u64 = 1_300_000_000_000_000_077;
const JOINED: &str = "2024-01-01T00:00:00.000Z";

/// Fails naming the event when serenity cannot parse its `d` as `$kind`.
macro_rules! parses {
    ($kind:ty, $event:expr) => {
        let event: &GuildEvent = $event;
        if let Err(e) = serde_json::from_value::<$kind>(event.d.clone()) {
            panic!(
                "{} does not parse in serenity: {e}\n{}",
                event.name, event.d
            );
        }
    };
}

#[test]
fn an_unchanged_guild_sends_nothing() {
    let guild = GuildModel::default_guild();
    assert_eq!(between(&guild, &guild.clone(), JOINED), vec![]);
}

#[test]
fn each_change_is_told_with_discords_event_in_a_shape_serenity_parses() {
    let before = GuildModel::default_guild();
    let mut after = before.clone();
    after.name = "Renamed".into();
    after.roles.retain(|r| r.id != REWARD_ROLE_ID);
    after.roles.push(role(NEW_ROLE, "New", 1, 0));
    after.roles[0].permissions = 0;
    after.channels.retain(|c| c.id != POST_CHANNEL_ID);
    after.channels.push(text_channel(NEW_CHANNEL, "new", 3));
    after.channels[0].name = "renamed".into();
    after.members.push(member(user(NEWCOMER, "newcomer"), &[]));
    after.member_mut(BOT_USER_ID).unwrap().roles.push(NEW_ROLE);
    after
        .members
        .retain(|m| m.user.id != crate::standin::PLAIN_USER_ID);

    let events = between(&before, &after, JOINED);
    let names: Vec<&str> = events.iter().map(|e| e.name).collect();
    assert_eq!(
        names,
        [
            "GUILD_UPDATE",
            "GUILD_ROLE_UPDATE",
            "GUILD_ROLE_CREATE",
            "GUILD_ROLE_DELETE",
            "CHANNEL_UPDATE",
            "CHANNEL_CREATE",
            "CHANNEL_DELETE",
            "GUILD_MEMBER_UPDATE",
            "GUILD_MEMBER_ADD",
            "GUILD_MEMBER_REMOVE",
        ]
    );
    parses!(serenity::GuildUpdateEvent, &events[0]);
    parses!(serenity::GuildRoleUpdateEvent, &events[1]);
    parses!(serenity::GuildRoleCreateEvent, &events[2]);
    parses!(serenity::GuildRoleDeleteEvent, &events[3]);
    parses!(serenity::ChannelUpdateEvent, &events[4]);
    parses!(serenity::ChannelCreateEvent, &events[5]);
    parses!(serenity::ChannelDeleteEvent, &events[6]);
    parses!(serenity::GuildMemberUpdateEvent, &events[7]);
    parses!(serenity::GuildMemberAddEvent, &events[8]);
    parses!(serenity::GuildMemberRemoveEvent, &events[9]);
}

#[test]
fn member_events_need_guild_members_except_for_the_bots_own_member() {
    let before = GuildModel::default_guild();
    let mut after = before.clone();
    after.member_mut(BOT_USER_ID).unwrap().roles.clear();
    after.members.push(member(user(NEWCOMER, "newcomer"), &[]));
    let events = between(&before, &after, JOINED);
    let (own, other) = (&events[0], &events[1]);
    assert_eq!(
        (own.name, other.name),
        ("GUILD_MEMBER_UPDATE", "GUILD_MEMBER_ADD")
    );
    assert!(
        own.reaches(INTENT_GUILDS),
        "the bot hears of its own member"
    );
    assert!(!other.reaches(INTENT_GUILDS));
    assert!(other.reaches(INTENT_GUILDS | INTENT_GUILD_MEMBERS));

    let mut renamed = before.clone();
    renamed.channels[0].name = "renamed".into();
    let channel_update = &between(&before, &renamed, JOINED)[0];
    assert!(channel_update.reaches(INTENT_GUILDS));
    assert!(!channel_update.reaches(INTENT_GUILD_MEMBERS));
}

#[test]
fn the_bots_own_member_leaving_is_not_told_without_guild_members() {
    let before = GuildModel::default_guild();
    let mut after = before.clone();
    after.members.retain(|m| m.user.id != BOT_USER_ID);
    let removed = &between(&before, &after, JOINED)[0];
    assert_eq!(removed.name, "GUILD_MEMBER_REMOVE");
    assert!(!removed.reaches(INTENT_GUILDS));
    assert!(removed.reaches(INTENT_GUILD_MEMBERS));
}
