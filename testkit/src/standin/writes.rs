//! REST routes that change state: messages, commands, interaction replies (roles:
//! [`super::role_routes`]).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::bodies::{validate_limits, validate_message};
use super::components::refused_callback;
use super::fixtures::{channel_kind, perms};
use super::json;
use super::limits::MESSAGE_BUCKET;
use super::moderation;
use super::nonces::{self, enforced_nonce};
use super::registrations;
use super::rest::Resp;
use super::state::Inner;

/// Discord refuses an initial interaction response after this long (404, code 10062).
pub const INTERACTION_DEADLINE: Duration = Duration::from_secs(3);
const EPHEMERAL: u64 = 1 << 6;
const LOADING: u64 = 1 << 7;

fn unknown_interaction() -> Resp {
    Resp::error(404, 10062, "Unknown interaction")
}

/// `POST /channels/{c}/messages`: 10003, the channel's bucket when a test set one (429 past
/// it; its `X-RateLimit-*` headers on every answer), the bot's channel permissions (50001 / 50013),
/// the channel's type (a category, forum or media channel takes no messages: 400 50008),
/// AutoMod (200000), Embed Links, body checks (50006 / 50035) and `enforce_nonce`.
pub fn create_message(inner: &mut Inner, channel: Option<u64>, body: &Value, now: Instant) -> Resp {
    let Some(channel) = channel.filter(|c| inner.model.channel(*c).is_some()) else {
        return Resp::error(404, 10003, "Unknown Channel");
    };
    let bucket = match inner.limiter.as_mut().map(|l| l.take(channel, now)) {
        Some(Err(limited)) => return limited,
        Some(Ok(bucket)) => Some(bucket),
        None => None,
    };
    let mut resp = checked_message(inner, channel, body, now);
    if let Some(bucket) = bucket {
        resp.headers.extend(bucket.headers(MESSAGE_BUCKET));
    }
    resp
}

fn checked_message(inner: &mut Inner, channel: u64, body: &Value, now: Instant) -> Resp {
    let p = inner.model.channel_permissions(inner.model.bot.id, channel);
    if p & perms::VIEW_CHANNEL == 0 {
        return Resp::error(403, 50001, "Missing Access");
    }
    let kind = inner.model.channel(channel).map_or(0, |c| c.kind);
    if !channel_kind::takes_messages(kind) {
        return Resp::error(400, 50008, "Cannot send messages in a non-text channel");
    }
    if p & perms::SEND_MESSAGES == 0 {
        return Resp::error(403, 50013, "Missing Permissions");
    }
    if let Some(blocked) = moderation::automod_refusal(inner.automod_mentions, body) {
        return blocked;
    }
    match moderation::apply_embed_links(p, body) {
        Ok(body) => post_message(inner, channel, &body, now),
        Err(refused) => refused,
    }
}

/// Posts a checked message in `channel` (guild or DM): Discord's body checks, then the
/// earlier message for a repeated `enforce_nonce` nonce, else a new message.
pub fn post_message(inner: &mut Inner, channel: u64, body: &Value, now: Instant) -> Resp {
    if let Some(bad) = validate_message(body) {
        return bad;
    }
    let nonce = enforced_nonce(body);
    if let Some(earlier) = nonce
        .as_ref()
        .and_then(|n| nonces::remembered(inner, channel, n, now))
    {
        return Resp::ok(earlier);
    }
    let message = json::message(json::snowflake(), channel, &inner.model.bot, body);
    inner.messages.push((channel, message.clone()));
    if let Some(n) = nonce {
        nonces::remember(inner, channel, n, &message, now);
    }
    Resp::ok(message)
}

pub fn get_message(inner: &Inner, channel: Option<u64>, message: Option<u64>) -> Resp {
    let id = message.map(|m| m.to_string());
    let found = inner
        .messages
        .iter()
        .find(|(c, m)| Some(*c) == channel && m["id"].as_str() == id.as_deref());
    match found {
        Some((_, m)) => Resp::ok(m.clone()),
        None if channel.is_some_and(|c| inner.model.channel(c).is_some()) => {
            Resp::error(404, 10008, "Unknown Message")
        }
        None => Resp::error(404, 10003, "Unknown Channel"),
    }
}

/// Bulk overwrite (`PUT`, checked as Discord does, then echoed with ids) and listing (`GET`) of global or guild commands.
pub fn commands(inner: &mut Inner, guild: Option<u64>, method: &str, body: &Value) -> Resp {
    if method == "PUT" {
        let app = inner.model.bot.id;
        let list = body.as_array().map_or(&[][..], Vec::as_slice);
        if let Some(refused) = registrations::refusal(list) {
            return refused;
        }
        let echoed: Vec<Value> = list.iter().map(|c| json::command(c, app, guild)).collect();
        inner.commands.insert(guild, echoed);
    }
    Resp::ok(Value::Array(
        inner.commands.get(&guild).cloned().unwrap_or_default(),
    ))
}

/// `POST /interactions/{id}/{token}/callback`: once only (40060), within 3 s (10062).
pub fn callback(
    inner: &mut Inner,
    id: Option<u64>,
    token: &str,
    body: &Value,
    now: Instant,
) -> Resp {
    let bot = inner.model.bot.clone();
    let Some(rec) = id.and_then(|i| inner.interactions.get_mut(&i)) else {
        return unknown_interaction();
    };
    if rec.token != token || now.duration_since(rec.sent_at) > INTERACTION_DEADLINE {
        return unknown_interaction();
    }
    if rec.acknowledged {
        return Resp::error(400, 40060, "Interaction has already been acknowledged.");
    }
    if let Some(refused) = refused_callback(rec, body) {
        return refused;
    }
    if let Some(bad) = callback_body_refusal(body) {
        return bad;
    }
    rec.acknowledged = true;
    let data = body.get("data").cloned().unwrap_or_else(|| json!({}));
    let mut original = json::message(json::snowflake(), rec.channel_id, &bot, &data);
    original["webhook_id"] = json!(bot.id.to_string());
    original["application_id"] = json!(bot.id.to_string());
    match body["type"].as_u64() {
        Some(4) => rec.original = Some(original),
        Some(5) => {
            original["flags"] = json!((data["flags"].as_u64().unwrap_or(0) & EPHEMERAL) | LOADING);
            rec.original = Some(original);
        }
        _ => {}
    }
    Resp::no_content()
}

/// A reply (callback type 4) is checked as a new message, a message update (7) as an edit.
fn callback_body_refusal(body: &Value) -> Option<Resp> {
    match body["type"].as_u64() {
        Some(4) => validate_message(&body["data"]),
        Some(7) => validate_limits(&body["data"]),
        _ => None,
    }
}

/// `/webhooks/{app}/{token}...`: follow-ups and `messages/@original` (GET, PATCH, DELETE).
pub fn webhook(inner: &mut Inner, method: &str, token: &str, rest: &[&str], body: &Value) -> Resp {
    let bot = inner.model.bot.clone();
    let Some(rec) = inner.interactions.values_mut().find(|r| r.token == token) else {
        return Resp::error(404, 10015, "Unknown Webhook");
    };
    let checked = match method {
        "POST" => validate_message(body),
        "PATCH" => validate_limits(body),
        _ => None,
    };
    if let Some(bad) = checked {
        return bad;
    }
    match (method, rest) {
        ("POST", []) if rec.acknowledged => {
            // The first follow-up after a deferral replaces the loading message.
            if let Some(original) = rec.original.as_mut()
                && original["flags"].as_u64().unwrap_or(0) & LOADING != 0
            {
                return Resp::ok(edit(original, body));
            }
            let mut m = json::message(json::snowflake(), rec.channel_id, &bot, body);
            m["webhook_id"] = json!(bot.id.to_string());
            Resp::ok(m)
        }
        ("GET" | "PATCH" | "DELETE", ["messages", "@original"]) => {
            let Some(original) = rec.original.as_mut() else {
                return Resp::error(404, 10008, "Unknown Message");
            };
            match method {
                "GET" => Resp::ok(original.clone()),
                "PATCH" => Resp::ok(edit(original, body)),
                _ => {
                    rec.original = None;
                    Resp::no_content()
                }
            }
        }
        ("POST", []) => Resp::error(404, 10015, "Unknown Webhook"),
        _ => Resp::not_found(),
    }
}

fn edit(original: &mut Value, body: &Value) -> Value {
    for field in ["content", "embeds", "components"] {
        if let Some(v) = body.get(field) {
            original[field] = v.clone();
        }
    }
    let flags = original["flags"].as_u64().unwrap_or(0) & !LOADING;
    original["flags"] = json!(flags);
    original["edited_timestamp"] = json!(json::now_timestamp());
    original.clone()
}
