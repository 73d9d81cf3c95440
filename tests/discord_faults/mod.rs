//! Discord's failure modes, end to end: the real serenity/poise client and delivery client
//! against the Discord stand-in (gateway loss, command registration failing, a revoked token,
//! global 429s and the global request rate, lost responses, slow commands).

mod automod;
mod budget;
mod close_codes;
mod commands;
mod edge;
mod embed_links;
mod limits;
mod nonce;
mod paused_digest;
mod readiness;
mod session_starts;
mod token;

pub use topgg_testkit::bot::{Bot, WAIT, mentions};
