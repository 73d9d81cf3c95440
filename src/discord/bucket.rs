//! [`Bucket`]: the Discord rate limit that a call shares with others.

use crate::domain::ids::{ChannelId, GuildId, UserId};

/// Calls that share one of Discord's per-route rate limits: delivery makes a bucket's calls
/// one at a time, and rests the whole bucket when Discord says it is exhausted or answers 429.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bucket {
    /// `POST /channels/{channel}/messages`: announcements, digests and test notices.
    ChannelMessages(ChannelId),
    /// `PUT` and `DELETE /guilds/{guild}/members/{user}/roles/{role}`: reward roles.
    MemberRoles(GuildId),
    /// Opening a DM channel with the user and posting in it: reminders.
    DirectMessages(UserId),
    /// Work that makes no call (a guild's work queued without its guild fails at once).
    NoCall,
}
