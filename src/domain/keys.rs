//! Ids that always travel together: a link is a guild and a connection, a reward role a guild
//! and a role, a grant a member (guild and user) and a role. One key instead of two or three
//! arguments, so they cannot be swapped or passed one without the other.

use super::ids::{ChannelId, ConnectionId, GuildId, RoleId, UserId};

/// Something of a guild named by one more id: a link, a role, a channel.
#[derive(Debug)]
pub struct InGuild<'a, T> {
    pub guild: &'a GuildId,
    pub id: &'a T,
}

impl<'a, T> InGuild<'a, T> {
    pub fn new(guild: &'a GuildId, id: &'a T) -> Self {
        InGuild { guild, id }
    }
}

// Copy without requiring `T: Copy` (a derive would): only references are copied.
impl<T> Clone for InGuild<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for InGuild<'_, T> {}

/// A guild's link to a Top.gg connection.
pub type LinkRef<'a> = InGuild<'a, ConnectionId>;

/// A role of a guild, as any of the guild's links rewards it.
pub type GuildRole<'a> = InGuild<'a, RoleId>;

/// A channel of a guild, as the guild's links post in it.
pub type GuildChannel<'a> = InGuild<'a, ChannelId>;

/// A member's role: the grants of `role` to `user` in `guild`.
#[derive(Debug, Clone, Copy)]
pub struct MemberRole<'a> {
    pub guild: &'a GuildId,
    pub user: &'a UserId,
    pub role: &'a RoleId,
}

impl<'a> MemberRole<'a> {
    pub fn new(guild: &'a GuildId, user: &'a UserId, role: &'a RoleId) -> Self {
        MemberRole { guild, user, role }
    }
}
