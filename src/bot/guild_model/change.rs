//! One gateway event's change to a known guild, and the changes that came before their
//! guild's GUILD_CREATE was applied (serenity runs each event's handler as a task of its
//! own, so a CHANNEL_UPDATE sent right after a GUILD_CREATE may be handled first).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;

use super::by_id::ById;
use super::guild::{BotGuild, Channel, Role};

/// Changes kept for a guild not known yet, at most (the oldest go first).
const EARLY_PER_GUILD: usize = 64;
/// Guilds with early changes, at most (more are not kept).
const EARLY_GUILDS: usize = 1024;
/// An early change older than this is not applied to a GUILD_CREATE arriving later: that
/// guild object is newer than it.
const EARLY_FOR: Duration = Duration::from_secs(30);

/// What an event changes in one guild.
#[derive(Debug, Clone)]
pub enum Change {
    Guild { owner_id: u64, roles: ById<Role> },
    Role(Role),
    RoleGone(u64),
    Channel(Channel),
    ChannelGone(u64),
    BotRoles(Box<[u64]>),
}

impl Change {
    /// The guild `event` changes and how; `None` for events the model does not follow
    /// (GUILD_CREATE and GUILD_DELETE replace or forget a guild whole).
    pub fn of(bot_id: u64, event: &serenity::FullEvent) -> Option<(u64, Change)> {
        use serenity::FullEvent as E;
        Some(match event {
            E::GuildUpdate { new_data, .. } => {
                let roles = new_data.roles.values().map(Role::from_serenity).collect();
                let owner_id = new_data.owner_id.get();
                (new_data.id.get(), Change::Guild { owner_id, roles })
            }
            E::GuildRoleCreate { new } | E::GuildRoleUpdate { new, .. } => {
                (new.guild_id.get(), Change::Role(Role::from_serenity(new)))
            }
            E::GuildRoleDelete {
                guild_id,
                removed_role_id,
                ..
            } => (guild_id.get(), Change::RoleGone(removed_role_id.get())),
            E::ChannelCreate { channel }
            | E::CategoryCreate { category: channel }
            | E::ChannelUpdate { new: channel, .. } => (
                channel.guild_id.get(),
                Change::Channel(Channel::from_serenity(channel, bot_id)),
            ),
            E::ChannelDelete { channel, .. } | E::CategoryDelete { category: channel } => (
                channel.guild_id.get(),
                Change::ChannelGone(channel.id.get()),
            ),
            E::GuildMemberUpdate { event, .. } if event.user.id.get() == bot_id => {
                let roles = event.roles.iter().map(|r| r.get()).collect();
                (event.guild_id.get(), Change::BotRoles(roles))
            }
            _ => return None,
        })
    }

    pub fn apply_to(self, guild: &mut BotGuild) {
        match self {
            Change::Guild { owner_id, roles } => {
                guild.owner_id = owner_id;
                guild.roles = roles;
            }
            Change::Role(role) => guild.roles.upsert(role),
            Change::RoleGone(id) => guild.remove_role(id),
            Change::Channel(channel) => guild.channels.upsert(channel),
            Change::ChannelGone(id) => guild.channels.remove(id),
            Change::BotRoles(roles) => guild.bot_roles = Some(roles),
        }
    }
}

/// Changes to guilds whose GUILD_CREATE has not been applied yet, bounded.
#[derive(Debug, Default)]
pub struct EarlyChanges {
    by_guild: HashMap<u64, Vec<(Instant, Change)>>,
}

impl EarlyChanges {
    pub fn hold(&mut self, guild_id: u64, change: Change) {
        if !self.by_guild.contains_key(&guild_id) && self.by_guild.len() >= EARLY_GUILDS {
            return;
        }
        let held = self.by_guild.entry(guild_id).or_default();
        if held.len() >= EARLY_PER_GUILD {
            held.remove(0);
        }
        held.push((Instant::now(), change));
    }

    /// The changes held for `guild_id` that are recent enough to be newer than its
    /// GUILD_CREATE, oldest first; the guild holds none after.
    pub fn take(&mut self, guild_id: u64) -> impl Iterator<Item = Change> {
        let held = self.by_guild.remove(&guild_id).unwrap_or_default();
        held.into_iter()
            .filter(|(at, _)| at.elapsed() < EARLY_FOR)
            .map(|(_, change)| change)
    }

    pub fn forget(&mut self, guild_id: u64) {
        self.by_guild.remove(&guild_id);
    }
}
