//! Direct messages as Discord does them: `POST /users/@me/channels` opens (or finds) the DM
//! channel with a user, then messages go to that channel. A user who accepts no DMs still
//! gets a channel; the message is refused with 403 code 50007.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use serde_json::{Value, json};

use super::json;
use super::rest::Resp;
use super::state::Inner;

/// DM channels by recipient, and who refuses DMs.
#[derive(Debug, Default)]
pub struct Dms {
    pub channels: HashMap<u64, u64>,
    pub refusing: HashSet<u64>,
}

impl Dms {
    /// The recipient of a DM channel.
    pub fn recipient(&self, channel: u64) -> Option<u64> {
        self.channels
            .iter()
            .find(|(_, c)| **c == channel)
            .map(|(u, _)| *u)
    }
}

/// `POST /users/@me/channels` `{"recipient_id": ...}`: the same channel for the same user.
pub fn open(inner: &mut Inner, body: &Value) -> Resp {
    let recipient = match &body["recipient_id"] {
        Value::String(s) => s.parse::<u64>().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    };
    let Some(user) = recipient else {
        return Resp::error(400, 50035, "Invalid Form Body");
    };
    let channel = *inner
        .dms
        .channels
        .entry(user)
        .or_insert_with(json::snowflake);
    Resp::ok(json!({
        "id": channel.to_string(), "type": 1, "last_message_id": null,
        "recipients": [{ "id": user.to_string(), "username": format!("user{user}"),
                          "discriminator": "0", "global_name": null, "avatar": null }],
    }))
}

/// `POST /channels/{dm}/messages`: 50007 when the recipient accepts no DMs, else as in a
/// guild channel (body checks, `enforce_nonce`).
pub fn create_message(
    inner: &mut Inner,
    channel: u64,
    user: u64,
    body: &Value,
    _now: Instant,
) -> Resp {
    if inner.dms.refusing.contains(&user) {
        return Resp::error(403, 50007, "Cannot send messages to this user");
    }
    super::writes::post_message(inner, channel, body)
}
