//! Reads [`GuildFacts`] for the live checks from serenity's cache.

use poise::serenity_prelude as serenity;

use super::Context;
use crate::guild::checks::{ChannelFacts, GuildFacts, RoleFacts};
use crate::guild::role_safety::{CallerFacts, MANAGE_ROLES, grants, guild_permissions};

/// What the bot can do in the command's guild, from the cache (filled by GUILD_CREATE and
/// updates); nothing known outside a guild or before the guild is cached.
pub fn guild_facts(ctx: Context<'_>) -> GuildFacts {
    let Some(guild_id) = ctx.guild_id() else {
        return GuildFacts::default();
    };
    let Some(guild) = ctx.cache().guild(guild_id) else {
        return GuildFacts::default();
    };
    let mut facts = bot_facts(ctx.cache().current_user().id, &guild);
    if facts.known {
        facts.caller = caller_facts(ctx, &guild);
    }
    facts
}

/// What the bot (`bot_id`) can do in `guild`, as cached; the caller is left unknown.
pub fn bot_facts(bot_id: serenity::UserId, guild: &serenity::Guild) -> GuildFacts {
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
            let facts = ChannelFacts {
                name: channel.name.clone(),
                can_post: p.view_channel() && p.send_messages(),
                embed_links: p.embed_links(),
            };
            (id.get().into(), facts)
        })
        .collect();
    let roles = guild
        .roles
        .iter()
        .map(|(id, role)| {
            let facts = RoleFacts {
                name: role.name.clone(),
                position: role.position,
                managed: role.managed,
                permissions: role.permissions.bits(),
            };
            (id.get().into(), facts)
        })
        .collect();
    GuildFacts {
        known: true,
        manage_roles,
        bot_top_position,
        channels,
        roles,
        caller: None,
    }
}

/// The command's caller: owner or not, Manage Roles in the guild, and their highest role's
/// position (from the cache's roles). The interaction's `member.permissions` are not used:
/// they are the caller's permissions in the channel, overwrites included, where the same bit
/// means Manage Permissions of that channel.
fn caller_facts(ctx: Context<'_>, guild: &serenity::Guild) -> Option<CallerFacts> {
    let poise::Context::Application(app) = ctx else {
        return None;
    };
    let member = app.interaction.member.as_ref()?;
    let everyone = serenity::RoleId::new(guild.id.get());
    let role_bits = |id: &serenity::RoleId| guild.roles.get(id).map(|r| r.permissions.bits());
    let permissions = guild_permissions(
        role_bits(&everyone).unwrap_or(0),
        member.roles.iter().filter_map(role_bits),
    );
    let manage_roles = grants(permissions, MANAGE_ROLES);
    let top_position = member
        .roles
        .iter()
        .filter_map(|id| guild.roles.get(id))
        .map(|r| r.position)
        .max()
        .unwrap_or(0);
    Some(CallerFacts {
        is_owner: guild.owner_id == ctx.author().id,
        manage_roles,
        top_position,
    })
}
