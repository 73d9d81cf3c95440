//! Reads [`GuildFacts`] for the live checks from the bot's own [`KnownGuilds`].

use super::Context;
use super::guild_model::BotGuild;
use crate::guild::checks::{ChannelFacts, GuildFacts, RoleFacts};
use crate::guild::role_safety::CallerFacts;

/// What the bot can do in the command's guild, as the gateway told it (GUILD_CREATE and
/// updates); nothing known outside a guild or before the guild's GUILD_CREATE.
pub fn guild_facts(ctx: Context<'_>) -> GuildFacts {
    let Some(guild_id) = ctx.guild_id() else {
        return GuildFacts::default();
    };
    let bot_id = ctx.cache().current_user().id.get();
    let read = |guild: &BotGuild| {
        let mut facts = bot_facts(bot_id, guild);
        if facts.known {
            facts.caller = caller_facts(ctx, guild);
        }
        facts
    };
    ctx.data()
        .guilds
        .read(guild_id.get(), read)
        .unwrap_or_default()
}

/// What the bot (`bot_id`) can do in `guild`; the caller is left unknown. Nothing is known
/// while the bot's own member is not.
pub fn bot_facts(bot_id: u64, guild: &BotGuild) -> GuildFacts {
    let Some(permissions) = guild.bot_permissions(bot_id) else {
        return GuildFacts::default();
    };
    let channels = guild
        .channels
        .iter()
        .map(|channel| {
            let p = guild
                .bot_permissions_in(channel, bot_id)
                .unwrap_or_default();
            let facts = ChannelFacts {
                can_post: p.view_channel() && p.send_messages(),
                embed_links: p.embed_links(),
            };
            (channel.id.into(), facts)
        })
        .collect();
    let roles = guild
        .roles
        .iter()
        .map(|role| {
            let facts = RoleFacts {
                position: role.position,
                managed: role.managed,
                permissions: role.permissions,
            };
            (role.id.into(), facts)
        })
        .collect();
    GuildFacts {
        known: true,
        manage_roles: permissions.manage_roles(),
        bot_top_position: guild.bot_top_position(),
        channels,
        roles,
        caller: None,
    }
}

/// The command's caller: owner or not, Manage Roles in the guild, and their highest role's
/// position (from the guild's roles). The interaction's `member.permissions` are not used:
/// they are the caller's permissions in the channel, overwrites included, where the same bit
/// means Manage Permissions of that channel.
fn caller_facts(ctx: Context<'_>, guild: &BotGuild) -> Option<CallerFacts> {
    let poise::Context::Application(app) = ctx else {
        return None;
    };
    let member = app.interaction.member.as_ref()?;
    let roles: Vec<u64> = member.roles.iter().map(|id| id.get()).collect();
    let user_id = ctx.author().id.get();
    Some(CallerFacts {
        is_owner: guild.owner_id == user_id,
        manage_roles: guild.member_permissions(user_id, &roles).manage_roles(),
        top_position: guild.top_position(&roles),
    })
}
