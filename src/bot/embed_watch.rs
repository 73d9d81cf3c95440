//! Keeps delivery's view of where the bot lacks Embed Links current: after every gateway event
//! that can change the bot's permissions in a guild's channels (GUILD_CREATE, a channel
//! created or updated, a role created, updated or deleted, the bot's member updated), the
//! guild's channels are read again from serenity's cache, which the event has already updated.

use poise::serenity_prelude as serenity;

use crate::discord::Discord;
use crate::domain::ids::{ChannelId, GuildId};

/// What an event changed: a guild's channels without Embed Links (`None`: the bot left).
pub type EmbedLinksUpdate = (GuildId, Option<Vec<ChannelId>>);

/// Reads the guild an event touches again, or forgets a guild the bot left; returns what
/// changed, for the database (where instances without the guild's shard read it).
pub fn on_event(
    cache: &serenity::Cache,
    discord: &Discord,
    event: &serenity::FullEvent,
) -> Option<EmbedLinksUpdate> {
    use serenity::FullEvent as E;
    let bot_id = cache.current_user().id;
    let guild_id = match event {
        E::GuildCreate { guild, .. } => guild.id,
        E::ChannelCreate { channel } | E::ChannelDelete { channel, .. } => channel.guild_id,
        E::ChannelUpdate { new, .. } => new.guild_id,
        E::GuildRoleCreate { new } | E::GuildRoleUpdate { new, .. } => new.guild_id,
        E::GuildRoleDelete { guild_id, .. } => *guild_id,
        E::GuildMemberUpdate { event, .. } if event.user.id == bot_id => event.guild_id,
        E::GuildDelete { incomplete, .. } => {
            let guild_id = GuildId::from(incomplete.id.get());
            discord.embed_links_in(&guild_id, None);
            return Some((guild_id, None));
        }
        _ => return None,
    };
    let lacking = cache
        .guild(guild_id)
        .map(|guild| channels_without_embed_links(bot_id, &guild))?;
    let guild_id = GuildId::from(guild_id.get());
    discord.embed_links_in(&guild_id, Some(lacking.clone()));
    Some((guild_id, Some(lacking)))
}

/// The guild's channels where the bot (`bot_id`) may not embed links, as cached; none while
/// the bot's own member is not cached (nothing is known then).
fn channels_without_embed_links(
    bot_id: serenity::UserId,
    guild: &serenity::Guild,
) -> Vec<ChannelId> {
    let Some(bot) = guild.members.get(&bot_id) else {
        return Vec::new();
    };
    guild
        .channels
        .values()
        .filter(|channel| !guild.user_permissions_in(channel, bot).embed_links())
        .map(|channel| ChannelId::from(channel.id.get()))
        .collect()
}
