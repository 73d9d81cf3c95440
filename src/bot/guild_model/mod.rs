//! What the bot knows of each guild, kept instead of serenity's guild cache (which holds
//! every field of every channel, role and member: about 65 KB for a guild of 50 channels and
//! 30 roles). [`KnownGuilds`] keeps a [`BotGuild`] per guild, built from GUILD_CREATE and
//! kept current from the gateway events that change roles, channels, the owner or the bot's
//! roles; it is forgotten on GUILD_DELETE. A READY changes nothing: its handler may run
//! after the GUILD_CREATEs that follow it, and each GUILD_CREATE replaces its guild whole (a
//! guild that removed the bot while a shard was away stays until the next session).
//!
//! serenity runs each event's handler as a task of its own, so events may be applied out of
//! order: a change to a guild whose GUILD_CREATE is not applied yet is held and applied right
//! after it ([`change::EarlyChanges`]); two changes to one role or channel arriving together
//! may still be swapped, and as each event carries the whole object, the next sets it right.

mod by_id;
mod change;
mod guild;
mod permissions;

use std::collections::HashMap;
use std::sync::RwLock;

use poise::serenity_prelude as serenity;

use change::{Change, EarlyChanges};
pub use guild::BotGuild;

/// Every guild the session has been told about, by guild id.
#[derive(Debug, Default)]
pub struct KnownGuilds {
    state: RwLock<State>,
}

#[derive(Debug, Default)]
struct State {
    guilds: HashMap<u64, BotGuild>,
    early: EarlyChanges,
}

impl KnownGuilds {
    /// Applies `event`; returns the guild it changed, if any (`None` also for a guild left,
    /// and for a change held until its guild's GUILD_CREATE).
    pub fn apply(&self, bot_id: u64, event: &serenity::FullEvent) -> Option<u64> {
        use serenity::FullEvent as E;
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        let State { guilds, early } = &mut *state;
        match event {
            E::GuildCreate { guild, .. } => {
                let id = guild.id.get();
                let mut known = BotGuild::from_serenity(guild, bot_id);
                early
                    .take(id)
                    .for_each(|change| change.apply_to(&mut known));
                guilds.insert(id, known);
                Some(id)
            }
            E::GuildDelete { incomplete, .. } => {
                guilds.remove(&incomplete.id.get());
                early.forget(incomplete.id.get());
                None
            }
            other => {
                let (id, change) = Change::of(bot_id, other)?;
                match guilds.get_mut(&id) {
                    Some(guild) => {
                        change.apply_to(guild);
                        Some(id)
                    }
                    None => {
                        early.hold(id, change);
                        None
                    }
                }
            }
        }
    }

    /// Reads guild `id`, if known.
    pub fn read<T>(&self, id: u64, read: impl FnOnce(&BotGuild) -> T) -> Option<T> {
        let state = self.state.read().unwrap_or_else(|e| e.into_inner());
        state.guilds.get(&id).map(read)
    }
}

#[cfg(test)]
mod tests;
