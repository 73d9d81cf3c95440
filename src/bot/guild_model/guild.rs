//! One guild as the bot needs it: the roles (position, permissions, managed), the bot's own
//! roles, the owner, and each channel's permission overwrites that can touch the bot (every
//! role's, the bot's own member's). Sorted vectors, no names: a few KB where serenity's
//! cached `Guild` of the same guild takes tens.

use poise::serenity_prelude as serenity;
use serenity::PermissionOverwriteType as Kind;

use super::by_id::{ById, HasId};

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
    pub roles: ById<Role>,
    pub channels: ById<Channel>,
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
        BotGuild {
            id: guild.id.get(),
            owner_id: guild.owner_id.get(),
            roles: guild.roles.values().map(Role::from_serenity).collect(),
            channels: guild
                .channels
                .values()
                .map(|c| Channel::from_serenity(c, bot_id))
                .collect(),
            bot_roles: guild
                .members
                .get(&serenity::UserId::new(bot_id))
                .map(|m| m.roles.iter().map(|r| r.get()).collect()),
        }
    }

    /// A deleted role is gone from the roles and from the bot's roles.
    pub fn remove_role(&mut self, id: u64) {
        self.roles.remove(id);
        if let Some(roles) = &mut self.bot_roles {
            *roles = roles.iter().copied().filter(|r| *r != id).collect();
        }
    }
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
