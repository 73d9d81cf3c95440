//! Gateway events as serenity parses them from what the stand-in sends, for unit tests of what
//! the bot keeps from them.

use poise::serenity_prelude as serenity;
use serde_json::json;

use super::{GuildModel, json as wire, role};

/// GUILD_CREATE of `model`, joined now.
pub fn guild_create(model: &GuildModel) -> serenity::FullEvent {
    let guild = wire::guild_create(model, &wire::now_timestamp());
    let guild = serde_json::from_value(guild).expect("a guild serenity parses");
    serenity::FullEvent::GuildCreate {
        guild,
        is_new: None,
    }
}

/// Role `id` of guild `guild_id` at `position` with `permissions`, as a role event carries it.
pub fn guild_role(guild_id: u64, id: u64, position: u16, permissions: u64) -> serenity::Role {
    let mut value = wire::role(&role(id, "r", position, permissions));
    value["guild_id"] = json!(guild_id.to_string());
    serde_json::from_value(value).expect("a role serenity parses")
}

/// GUILD_ROLE_UPDATE of role `id` of guild `guild_id`, now at `position`, without permissions.
pub fn role_moved(guild_id: u64, id: u64, position: u16) -> serenity::FullEvent {
    serenity::FullEvent::GuildRoleUpdate {
        old_data_if_available: None,
        new: guild_role(guild_id, id, position, 0),
    }
}
