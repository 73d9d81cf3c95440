//! [`KnownGuilds`] kept by gateway events, built as the Discord stand-in sends them.

use poise::serenity_prelude as serenity;
use serde_json::{Value, json};
use serenity::FullEvent as E;
use topgg_testkit::standin::json;
use topgg_testkit::standin::parsed::{guild_create, guild_role};
use topgg_testkit::standin::{
    ADMIN_USER_ID, BOT_ROLE_ID, BOT_USER_ID, DENIED_CHANNEL_ID, GUILD_ID, GuildModel, HIGH_ROLE_ID,
    Overwrite, POST_CHANNEL_ID, REWARD_ROLE_ID, perms, text_channel,
};

use super::KnownGuilds;

fn parse<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a valid gateway object")
}

fn known(model: &GuildModel) -> KnownGuilds {
    let guilds = KnownGuilds::default();
    assert_eq!(
        guilds.apply(BOT_USER_ID, &guild_create(model)),
        Some(model.id)
    );
    guilds
}

fn role_event(id: u64, position: u16, permissions: u64) -> serenity::Role {
    guild_role(GUILD_ID, id, position, permissions)
}

fn channel_event(channel: &topgg_testkit::standin::ChannelSpec) -> serenity::GuildChannel {
    parse(json::channel(channel, GUILD_ID))
}

#[test]
fn a_guild_create_keeps_roles_channels_and_the_bots_roles_but_not_other_members_overwrites() {
    let mut model = GuildModel::default_guild();
    model.channels[0].overwrites.push(Overwrite {
        id: ADMIN_USER_ID,
        kind: 1,
        allow: perms::EMBED_LINKS,
        deny: 0,
    });
    let guilds = known(&model);
    guilds
        .read(GUILD_ID, |g| {
            assert_eq!(g.roles.len(), model.roles.len());
            assert_eq!(g.channels.len(), 2);
            assert_eq!(g.bot_roles.as_deref(), Some(&[BOT_ROLE_ID][..]));
            assert!(
                g.channels
                    .get(POST_CHANNEL_ID)
                    .unwrap()
                    .overwrites
                    .is_empty()
            );
            let denied = &g.channels.get(DENIED_CHANNEL_ID).unwrap().overwrites;
            assert!(denied.len() == 1 && denied[0].for_bot);
        })
        .expect("the guild is known");
}

#[test]
fn role_events_add_change_and_remove_roles_and_a_deleted_role_leaves_the_bots_roles() {
    let guilds = known(&GuildModel::default_guild());
    let new = role_event(HIGH_ROLE_ID + 10, 6, perms::EMBED_LINKS);
    assert_eq!(
        guilds.apply(BOT_USER_ID, &E::GuildRoleCreate { new }),
        Some(GUILD_ID)
    );
    let new = role_event(REWARD_ROLE_ID, 4, 0);
    let update = E::GuildRoleUpdate {
        old_data_if_available: None,
        new,
    };
    guilds.apply(BOT_USER_ID, &update);
    let delete = E::GuildRoleDelete {
        guild_id: serenity::GuildId::new(GUILD_ID),
        removed_role_id: serenity::RoleId::new(BOT_ROLE_ID),
        removed_role_data_if_available: None,
    };
    guilds.apply(BOT_USER_ID, &delete);
    guilds.read(GUILD_ID, |g| {
        assert_eq!(g.roles.get(HIGH_ROLE_ID + 10).map(|r| r.position), Some(6));
        assert_eq!(g.roles.get(REWARD_ROLE_ID).map(|r| r.position), Some(4));
        assert!(g.roles.get(BOT_ROLE_ID).is_none());
        assert_eq!(g.bot_roles.as_deref(), Some(&[][..]));
    });
}

#[test]
fn channel_events_add_replace_and_remove_channels() {
    let guilds = known(&GuildModel::default_guild());
    let added = text_channel(POST_CHANNEL_ID + 100, "new", 3);
    let channel = channel_event(&added);
    assert_eq!(
        guilds.apply(BOT_USER_ID, &E::ChannelCreate { channel }),
        Some(GUILD_ID)
    );
    let mut opened = text_channel(DENIED_CHANNEL_ID, "announcements", 1);
    opened.overwrites.clear();
    let new = channel_event(&opened);
    guilds.apply(BOT_USER_ID, &E::ChannelUpdate { old: None, new });
    let channel = channel_event(&text_channel(POST_CHANNEL_ID, "votes", 0));
    guilds.apply(
        BOT_USER_ID,
        &E::ChannelDelete {
            channel,
            messages: None,
        },
    );
    guilds.read(GUILD_ID, |g| {
        let ids: Vec<u64> = g.channels.iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![DENIED_CHANNEL_ID, POST_CHANNEL_ID + 100]);
        assert!(
            g.channels
                .get(DENIED_CHANNEL_ID)
                .unwrap()
                .overwrites
                .is_empty()
        );
    });
}

#[test]
fn only_the_bots_member_update_changes_the_bots_roles() {
    let guilds = known(&GuildModel::default_guild());
    let member_update = |user_id: u64, roles: &[u64]| {
        let mut user = GuildModel::default_guild().bot;
        user.id = user_id;
        E::GuildMemberUpdate {
            old_if_available: None,
            new: None,
            event: parse(json!({
                "guild_id": GUILD_ID.to_string(), "nick": null,
                "joined_at": json::now_timestamp(), "premium_since": null,
                "roles": roles.iter().map(u64::to_string).collect::<Vec<_>>(),
                "user": json::user(&user), "avatar": null, "banner": null,
                "communication_disabled_until": null,
            })),
        }
    };
    assert_eq!(
        guilds.apply(BOT_USER_ID, &member_update(ADMIN_USER_ID, &[])),
        None
    );
    let bot_update = member_update(BOT_USER_ID, &[BOT_ROLE_ID, HIGH_ROLE_ID]);
    assert_eq!(guilds.apply(BOT_USER_ID, &bot_update), Some(GUILD_ID));
    let bot_roles = guilds.read(GUILD_ID, |g| g.bot_roles.clone()).flatten();
    assert_eq!(bot_roles.as_deref(), Some(&[BOT_ROLE_ID, HIGH_ROLE_ID][..]));
}

#[test]
fn guild_delete_forgets_the_guild_and_ready_keeps_the_others() {
    let guilds = known(&GuildModel::default_guild());
    let ready = parse(json!({
        "v": 10, "user": json::user(&GuildModel::default_guild().bot), "guilds": [],
        "session_id": "s", "resume_gateway_url": "ws://127.0.0.1:1", "shard": [0, 1],
        "application": { "id": BOT_USER_ID.to_string(), "flags": 0 },
    }));
    assert_eq!(
        guilds.apply(
            BOT_USER_ID,
            &E::Ready {
                data_about_bot: ready
            }
        ),
        None
    );
    assert!(guilds.read(GUILD_ID, |_| ()).is_some());
    let incomplete = parse(json!({ "id": GUILD_ID.to_string(), "unavailable": false }));
    guilds.apply(
        BOT_USER_ID,
        &E::GuildDelete {
            incomplete,
            full: None,
        },
    );
    assert!(guilds.read(GUILD_ID, |_| ()).is_none());
}

#[test]
fn a_change_handled_before_its_guilds_create_is_applied_right_after_it() {
    let model = GuildModel::default_guild();
    let guilds = KnownGuilds::default();
    // serenity ran the CHANNEL_UPDATE's handler first: DENIED_CHANNEL_ID lost its overwrites.
    let mut opened = text_channel(DENIED_CHANNEL_ID, "announcements", 1);
    opened.overwrites.clear();
    let new = channel_event(&opened);
    let early = guilds.apply(BOT_USER_ID, &E::ChannelUpdate { old: None, new });
    assert_eq!(early, None, "nothing to change yet");
    assert!(guilds.read(GUILD_ID, |_| ()).is_none());
    // Then the GUILD_CREATE sent before it, with the channel still locked.
    assert!(
        model
            .channels
            .iter()
            .any(|c| c.id == DENIED_CHANNEL_ID && !c.overwrites.is_empty())
    );
    assert_eq!(
        guilds.apply(BOT_USER_ID, &guild_create(&model)),
        Some(GUILD_ID)
    );
    let overwrites = guilds.read(GUILD_ID, |g| {
        g.channels.get(DENIED_CHANNEL_ID).unwrap().overwrites.len()
    });
    assert_eq!(overwrites, Some(0), "the later change wins");
    // Held once: a second GUILD_CREATE (a new session) is taken as it comes.
    guilds.apply(BOT_USER_ID, &guild_create(&model));
    let overwrites = guilds.read(GUILD_ID, |g| {
        g.channels.get(DENIED_CHANNEL_ID).unwrap().overwrites.len()
    });
    assert!(overwrites > Some(0));
}
