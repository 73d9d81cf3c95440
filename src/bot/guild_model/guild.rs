//! One guild as the bot needs it: the roles (position, permissions, managed), the bot's own
//! roles, the owner, and each channel's permission overwrites that can touch the bot (every
//! role's, the bot's own member's). Sorted vectors, no names: a few KB where serenity's
//! cached `Guild` of the same guild takes tens.

use poise::serenity_prelude as serenity;
use serenity::PermissionOverwriteType as Kind;

/// A role: what permission checks and role safety read of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    pub id: u64,
    pub permissions: u64,
    pub position: u16,
    pub managed: bool,
}

/// A channel overwrite for a role, or (`for_bot`) for the bot's own member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overwrite {
    pub id: u64,
    pub allow: u64,
    pub deny: u64,
    pub for_bot: bool,
}

/// A channel of the guild (threads are not kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub id: u64,
    pub overwrites: Box<[Overwrite]>,
}

/// What the bot knows of one guild.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BotGuild {
    pub id: u64,
    pub owner_id: u64,
    /// Sorted by id.
    pub roles: Vec<Role>,
    /// Sorted by id.
    pub channels: Vec<Channel>,
    /// The bot's roles; `None` until its member is known.
    pub bot_roles: Option<Box<[u64]>>,
}

impl Role {
    pub fn from_serenity(role: &serenity::Role) -> Role {
        Role {
            id: role.id.get(),
            permissions: role.permissions.bits(),
            position: role.position,
            managed: role.managed,
        }
    }
}

impl Channel {
    /// `channel`, keeping of its member overwrites only the bot's (`bot_id`).
    pub fn from_serenity(channel: &serenity::GuildChannel, bot_id: u64) -> Channel {
        let overwrites = channel
            .permission_overwrites
            .iter()
            .filter_map(|o| {
                let (id, for_bot) = match o.kind {
                    Kind::Role(role) => (role.get(), false),
                    Kind::Member(user) if user.get() == bot_id => (user.get(), true),
                    _ => return None,
                };
                let (allow, deny) = (o.allow.bits(), o.deny.bits());
                Some(Overwrite {
                    id,
                    allow,
                    deny,
                    for_bot,
                })
            })
            .collect();
        Channel {
            id: channel.id.get(),
            overwrites,
        }
    }
}

impl BotGuild {
    /// What GUILD_CREATE says (the bot's member is among `guild.members` when the bot is).
    pub fn from_serenity(guild: &serenity::Guild, bot_id: u64) -> BotGuild {
        let mut model = BotGuild {
            id: guild.id.get(),
            owner_id: guild.owner_id.get(),
            roles: Vec::new(),
            channels: guild
                .channels
                .values()
                .map(|c| Channel::from_serenity(c, bot_id))
                .collect(),
            bot_roles: guild
                .members
                .get(&serenity::UserId::new(bot_id))
                .map(|m| m.roles.iter().map(|r| r.get()).collect()),
        };
        model.channels.sort_unstable_by_key(|c| c.id);
        model.set_roles(guild.roles.values());
        model
    }

    /// Replaces every role (GUILD_CREATE, GUILD_UPDATE).
    pub fn set_roles<'a>(&mut self, roles: impl IntoIterator<Item = &'a serenity::Role>) {
        self.roles = roles.into_iter().map(Role::from_serenity).collect();
        self.roles.sort_unstable_by_key(|r| r.id);
        self.roles.shrink_to_fit();
    }

    pub fn role(&self, id: u64) -> Option<&Role> {
        find_by_id(&self.roles, id)
    }

    pub fn upsert_role(&mut self, role: Role) {
        upsert_by_id(&mut self.roles, role);
    }

    /// A deleted role is gone from the roles and from the bot's roles.
    pub fn remove_role(&mut self, id: u64) {
        self.roles.retain(|r| r.id != id);
        if let Some(roles) = &mut self.bot_roles {
            *roles = roles.iter().copied().filter(|r| *r != id).collect();
        }
    }

    pub fn channel(&self, id: u64) -> Option<&Channel> {
        find_by_id(&self.channels, id)
    }

    pub fn upsert_channel(&mut self, channel: Channel) {
        upsert_by_id(&mut self.channels, channel);
    }

    pub fn remove_channel(&mut self, id: u64) {
        self.channels.retain(|c| c.id != id);
    }
}

/// What the guild keeps in vectors sorted by id.
trait HasId {
    fn id(&self) -> u64;
}

impl HasId for Role {
    fn id(&self) -> u64 {
        self.id
    }
}

impl HasId for Channel {
    fn id(&self) -> u64 {
        self.id
    }
}

/// The item of `sorted` (sorted by id) with `id`.
fn find_by_id<T: HasId>(sorted: &[T], id: u64) -> Option<&T> {
    let at = sorted.binary_search_by_key(&id, T::id).ok()?;
    sorted.get(at)
}

/// Puts `item` in `sorted` (sorted by id), in place of the one with its id if there is one.
fn upsert_by_id<T: HasId>(sorted: &mut Vec<T>, item: T) {
    match sorted.binary_search_by_key(&item.id(), T::id) {
        Ok(at) => sorted[at] = item,
        Err(at) => sorted.insert(at, item),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(id: u64, overwrites: usize) -> Channel {
        let overwrite = Overwrite {
            id,
            allow: 0,
            deny: 0,
            for_bot: false,
        };
        let overwrites = vec![overwrite; overwrites].into();
        Channel { id, overwrites }
    }

    #[test]
    fn an_upsert_replaces_the_item_with_its_id_or_inserts_it_in_order() {
        let mut sorted = vec![channel(1, 0), channel(5, 0)];
        for upserted in [channel(3, 0), channel(5, 1), channel(9, 0)] {
            upsert_by_id(&mut sorted, upserted);
        }
        let ids: Vec<(u64, usize)> = sorted.iter().map(|c| (c.id, c.overwrites.len())).collect();
        assert_eq!(ids, [(1, 0), (3, 0), (5, 1), (9, 0)]);
        assert_eq!(find_by_id(&sorted, 5), Some(&channel(5, 1)));
        assert_eq!(find_by_id(&sorted, 4), None);
    }
}
