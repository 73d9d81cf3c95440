//! What the bot knows of each guild, kept instead of serenity's guild cache (which holds
//! every field of every channel, role and member: about 65 KB for a guild of 50 channels and
//! 30 roles). [`KnownGuilds`] keeps a [`BotGuild`] per guild, built from GUILD_CREATE and
//! kept current from the gateway events that change roles, channels, the owner or the bot's
//! roles; it is forgotten on GUILD_DELETE. A READY changes nothing: its handler may run
//! after the GUILD_CREATEs that follow it, and each GUILD_CREATE replaces its guild whole (a
//! guild that removed the bot while a shard was away stays until the next session).
//!
//! serenity runs each event's handler as a task of its own, so two changes to one role or
//! channel arriving together may be applied out of order; each event carries the whole
//! object, so the next change to it sets it right.

mod guild;
mod permissions;

use std::collections::HashMap;
use std::sync::RwLock;

use poise::serenity_prelude as serenity;

pub use guild::{BotGuild, Channel, Role};

/// Every guild the session has been told about, by guild id.
#[derive(Debug, Default)]
pub struct KnownGuilds {
    guilds: RwLock<HashMap<u64, BotGuild>>,
}

impl KnownGuilds {
    /// Applies `event`; returns the guild it changed, if any (`None` also for a guild left).
    pub fn apply(&self, bot_id: u64, event: &serenity::FullEvent) -> Option<u64> {
        use serenity::FullEvent as E;
        let mut guilds = self.guilds.write().unwrap_or_else(|e| e.into_inner());
        let changed = match event {
            E::GuildCreate { guild, .. } => {
                guilds.insert(guild.id.get(), BotGuild::from_serenity(guild, bot_id));
                return Some(guild.id.get());
            }
            E::GuildDelete { incomplete, .. } => {
                guilds.remove(&incomplete.id.get());
                return None;
            }
            E::GuildUpdate { new_data, .. } => {
                let guild = guilds.get_mut(&new_data.id.get())?;
                guild.owner_id = new_data.owner_id.get();
                guild.set_roles(new_data.roles.values());
                guild
            }
            E::GuildRoleCreate { new } | E::GuildRoleUpdate { new, .. } => {
                let guild = guilds.get_mut(&new.guild_id.get())?;
                guild.upsert_role(Role::from_serenity(new));
                guild
            }
            E::GuildRoleDelete {
                guild_id,
                removed_role_id,
                ..
            } => {
                let guild = guilds.get_mut(&guild_id.get())?;
                guild.remove_role(removed_role_id.get());
                guild
            }
            E::ChannelCreate { channel }
            | E::CategoryCreate { category: channel }
            | E::ChannelUpdate { new: channel, .. } => {
                let guild = guilds.get_mut(&channel.guild_id.get())?;
                guild.upsert_channel(Channel::from_serenity(channel, bot_id));
                guild
            }
            E::ChannelDelete { channel, .. } | E::CategoryDelete { category: channel } => {
                let guild = guilds.get_mut(&channel.guild_id.get())?;
                guild.remove_channel(channel.id.get());
                guild
            }
            E::GuildMemberUpdate { event, .. } if event.user.id.get() == bot_id => {
                let guild = guilds.get_mut(&event.guild_id.get())?;
                guild.bot_roles = Some(event.roles.iter().map(|r| r.get()).collect());
                guild
            }
            _ => return None,
        };
        Some(changed.id)
    }

    /// Reads guild `id`, if known.
    pub fn read<T>(&self, id: u64, read: impl FnOnce(&BotGuild) -> T) -> Option<T> {
        let guilds = self.guilds.read().unwrap_or_else(|e| e.into_inner());
        guilds.get(&id).map(read)
    }
}

#[cfg(test)]
mod tests;
