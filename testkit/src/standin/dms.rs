//! Direct messages as Discord does them: `POST /users/@me/channels` opens (or finds) the DM
//! channel with a user, then messages go to that channel. A user who accepts no DMs still
//! gets a channel; the message is refused with 403 code 50007.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::json;
use super::rest::Resp;
use super::state::Inner;

/// DM channels by recipient, and who refuses DMs.
#[derive(Debug, Default)]
pub struct Dms {
    pub channels: HashMap<u64, u64>,
    pub refusing: HashSet<u64>,
    /// Opens allowed per rolling second; past it, 403 code 40003 as Discord answers.
    pub opens_per_second: Option<usize>,
    /// When accepted opens came, for `opens_per_second`.
    opens: VecDeque<Instant>,
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

/// Whether one more open fits in `opens_per_second` (counted when it does).
fn open_allowed(dms: &mut Dms, now: Instant) -> bool {
    let Some(limit) = dms.opens_per_second else {
        return true;
    };
    let second = Duration::from_secs(1);
    while dms
        .opens
        .front()
        .is_some_and(|t| now.duration_since(*t) >= second)
    {
        dms.opens.pop_front();
    }
    let allowed = dms.opens.len() < limit;
    if allowed {
        dms.opens.push_back(now);
    }
    allowed
}

/// `POST /users/@me/channels` `{"recipient_id": ...}`: the same channel for the same user;
/// 403 code 40003 past `opens_per_second`.
pub fn open(inner: &mut Inner, body: &Value, now: Instant) -> Resp {
    if !open_allowed(&mut inner.dms, now) {
        return Resp::error(403, 40003, "You are opening direct messages too fast.");
    }
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
    now: Instant,
) -> Resp {
    if inner.dms.refusing.contains(&user) {
        return Resp::error(403, 50007, "Cannot send messages to this user");
    }
    super::writes::post_message(inner, channel, body, now)
}
