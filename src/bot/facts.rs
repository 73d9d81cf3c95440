//! Reads [`GuildFacts`] for the live checks from serenity's cache.

use poise::serenity_prelude as serenity;

use super::Context;
use crate::guild::checks::GuildFacts;

/// What the bot can do in `guild_id`, from the cache (filled by GUILD_CREATE and updates).
pub fn guild_facts(ctx: Context<'_>, guild_id: serenity::GuildId) -> GuildFacts {
    let bot_id = ctx.cache().current_user().id;
    let Some(guild) = ctx.cache().guild(guild_id) else {
        return GuildFacts::default();
    };
    let Some(bot) = guild.members.get(&bot_id) else {
        return GuildFacts::default();
    };
    #[allow(deprecated)]
    let manage_roles = guild.member_permissions(bot).manage_roles();
    let bot_top_position = guild.member_highest_role(bot).map_or(0, |r| r.position);
    let channels = guild
        .channels
        .iter()
        .map(|(id, channel)| {
            let p = guild.user_permissions_in(channel, bot);
            (
                id.to_string(),
                (channel.name.clone(), p.view_channel() && p.send_messages()),
            )
        })
        .collect();
    let roles = guild
        .roles
        .iter()
        .map(|(id, role)| {
            (
                id.to_string(),
                (role.name.clone(), role.position, role.managed),
            )
        })
        .collect();
    GuildFacts {
        known: true,
        manage_roles,
        bot_top_position,
        channels,
        roles,
    }
}
