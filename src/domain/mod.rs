//! Pure domain logic: no I/O. Signatures, payloads, tallies, templates, rewards.

pub mod announce;
pub mod events;
pub mod ids;
pub mod keys;
pub mod message;
pub mod nonce;
pub mod reminder;
pub mod rewards;
pub mod signature;
pub mod tally;
pub mod template;
pub mod text;
pub mod time;
pub mod work;
