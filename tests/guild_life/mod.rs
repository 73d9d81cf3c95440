//! What people in a server see and what happens in a living guild, end to end through the
//! Discord stand-in: names instead of ids, embed announcements with the voter's avatar and a
//! Vote button, Top.gg's weights and query, game projects, the bot removed and re-added,
//! deleted channels and roles, channel types and changes told by gateway events, voters who
//! are not members, reward-role safety, and roles granted or moved by others in Discord.

mod channels;
mod harness;
mod life;
mod many_guilds;
mod names;
mod protocol;
mod role_moves;
mod role_pause;
mod safety;

pub use harness::*;
