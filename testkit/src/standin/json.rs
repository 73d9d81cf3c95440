//! Discord-shaped JSON for the model, with every field serenity 0.12.5 requires to parse it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::fixtures::{ChannelSpec, GuildModel, MemberSpec, RoleSpec, UserSpec};

const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;
static SNOWFLAKE_COUNTER: AtomicU64 = AtomicU64::new(1);

/// A fresh snowflake: the current time since Discord's epoch and a process-wide counter.
pub fn snowflake() -> u64 {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let count = SNOWFLAKE_COUNTER.fetch_add(1, Ordering::Relaxed) & 0x3F_FFFF;
    ((ms - DISCORD_EPOCH_MS) << 22) | count
}

/// ISO 8601 with milliseconds, as Discord writes timestamps.
pub fn now_timestamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn error(code: u64, message: &str) -> Value {
    json!({ "message": message, "code": code })
}

pub fn user(u: &UserSpec) -> Value {
    json!({
        "id": u.id.to_string(), "username": u.name, "global_name": u.name,
        "discriminator": "0", "avatar": null, "bot": u.bot, "public_flags": 0, "flags": 0,
    })
}

pub fn role(r: &RoleSpec) -> Value {
    let tags = match r.bot_id {
        Some(bot) => json!({ "bot_id": bot.to_string() }),
        None => json!({}),
    };
    json!({
        "id": r.id.to_string(), "name": r.name, "color": 0,
        "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null },
        "hoist": false, "icon": null, "unicode_emoji": null, "position": r.position,
        "permissions": r.permissions.to_string(), "managed": r.bot_id.is_some(),
        "mentionable": false, "flags": 0, "tags": tags,
    })
}

pub fn channel(c: &ChannelSpec, guild_id: u64) -> Value {
    let overwrites: Vec<Value> = c
        .overwrites
        .iter()
        .map(|o| {
            json!({ "id": o.id.to_string(), "type": o.kind,
                    "allow": o.allow.to_string(), "deny": o.deny.to_string() })
        })
        .collect();
    json!({
        "id": c.id.to_string(), "type": c.kind, "guild_id": guild_id.to_string(),
        "name": c.name, "position": c.position, "permission_overwrites": overwrites,
        "parent_id": null, "topic": null, "nsfw": false, "last_message_id": null,
        "rate_limit_per_user": 0, "flags": 0,
    })
}

/// A guild member; `with_user` false gives the shape of `resolved.members` entries.
pub fn member(m: &MemberSpec, joined_at: &str, with_user: bool) -> Value {
    let mut v = json!({
        "nick": null, "avatar": null, "banner": null,
        "roles": m.roles.iter().map(u64::to_string).collect::<Vec<_>>(),
        "joined_at": joined_at, "premium_since": null, "deaf": false, "mute": false,
        "flags": 0, "pending": false, "communication_disabled_until": null,
    });
    if with_user {
        v["user"] = user(&m.user);
    }
    v
}

/// `GET /guilds/{id}`: serenity's `PartialGuild`.
pub fn partial_guild(g: &GuildModel) -> Value {
    json!({
        "id": g.id.to_string(), "name": g.name, "icon": null, "icon_hash": null,
        "splash": null, "discovery_splash": null, "owner_id": g.owner_id.to_string(),
        "afk_channel_id": null, "afk_timeout": 300, "widget_enabled": false,
        "verification_level": 1, "default_message_notifications": 1,
        "explicit_content_filter": 2, "roles": g.roles.iter().map(role).collect::<Vec<_>>(),
        "emojis": [], "features": [], "mfa_level": 0, "application_id": null,
        "system_channel_id": null, "system_channel_flags": 0, "rules_channel_id": null,
        "max_presences": null, "max_members": 500_000, "vanity_url_code": null,
        "description": null, "banner": null, "premium_tier": 0,
        "premium_subscription_count": 0, "preferred_locale": "en-US",
        "public_updates_channel_id": null, "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50, "nsfw_level": 0, "stickers": [],
        "premium_progress_bar_enabled": false, "safety_alerts_channel_id": null,
    })
}

/// The `d` of GUILD_CREATE: the partial guild plus the gateway-only fields.
pub fn guild_create(g: &GuildModel, joined_at: &str) -> Value {
    let mut v = partial_guild(g);
    let extra = json!({
        "joined_at": joined_at, "large": false, "unavailable": false,
        "member_count": g.members.len(), "voice_states": [],
        "members": g.members.iter().map(|m| member(m, joined_at, true)).collect::<Vec<_>>(),
        "channels": g.channels.iter().map(|c| channel(c, g.id)).collect::<Vec<_>>(),
        "threads": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
    });
    if let (Some(obj), Value::Object(extra)) = (v.as_object_mut(), extra) {
        obj.extend(extra);
    }
    v
}

/// `GET /oauth2/applications/@me`: serenity's `CurrentApplicationInfo`.
pub fn application(g: &GuildModel) -> Value {
    json!({
        "id": g.bot.id.to_string(), "name": g.bot.name, "icon": null, "description": "",
        "bot_public": true, "bot_require_code_grant": false,
        "owner": { "id": g.owner_id.to_string(), "username": "owner", "discriminator": "0",
                   "avatar": null, "global_name": "owner" },
        "verify_key": "0".repeat(64), "team": null, "flags": 0,
        "role_connections_verification_url": null, "approximate_guild_count": 1,
        "bot": user(&g.bot),
    })
}

/// A message as `POST /channels/{id}/messages` answers it, built from the request body.
pub fn message(id: u64, channel_id: u64, author: &UserSpec, body: &Value) -> Value {
    let field = |name: &str, default: Value| body.get(name).cloned().unwrap_or(default);
    json!({
        "id": id.to_string(), "channel_id": channel_id.to_string(), "author": user(author),
        "content": field("content", json!("")), "timestamp": now_timestamp(),
        "edited_timestamp": null, "tts": field("tts", json!(false)), "mention_everyone": false,
        "mentions": [], "mention_roles": [], "mention_channels": [], "attachments": [],
        "embeds": field("embeds", json!([])), "components": field("components", json!([])),
        "reactions": [], "nonce": field("nonce", Value::Null), "pinned": false,
        "webhook_id": null, "type": 0, "flags": field("flags", json!(0)),
    })
}

/// A command as bulk overwrite echoes it: the request's command plus id, version and ids.
pub fn command(requested: &Value, application_id: u64, guild_id: Option<u64>) -> Value {
    let mut cmd = requested.clone();
    let name = cmd
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let id = GuildModel::command_id(&name);
    if let Some(obj) = cmd.as_object_mut() {
        obj.insert("id".into(), json!(id.to_string()));
        obj.insert("application_id".into(), json!(application_id.to_string()));
        obj.insert("version".into(), json!(id.to_string()));
        obj.entry("type").or_insert(json!(1));
        obj.entry("description").or_insert(json!(""));
        if let Some(g) = guild_id {
            obj.insert("guild_id".into(), json!(g.to_string()));
        }
    }
    cmd
}
