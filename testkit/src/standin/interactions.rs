//! INTERACTION_CREATE payloads (slash commands, autocomplete) serenity 0.12.5 parses.
//!
//! Tests of the bot build them from its registration ([`DiscordStandIn::invocation`]). The
//! ones built here by hand ([`slash_command`]: each option typed by its [`Opt`] variant, the
//! last level of `path` a sub-command and the ones above it groups) are for checks of the
//! stand-in itself, and are still held to the registration when delivered.
//!
//! [`DiscordStandIn::invocation`]: super::DiscordStandIn::invocation

use serde_json::{Map, Value, json};

use super::fixtures::{self, GuildModel, POST_CHANNEL_ID};
use super::json;
use super::opt::Opt;

/// A built interaction: send `payload` with `DiscordStandIn::send_interaction`, then wait for
/// `POST /interactions/{id}/{token}/callback` (or use `DiscordStandIn::reply_to(id, ..)`).
#[derive(Clone, Debug)]
pub struct InteractionPayload {
    pub id: u64,
    pub token: String,
    pub channel_id: u64,
    pub payload: Value,
}

/// A type-2 interaction in the default guild's `POST_CHANNEL_ID`.
pub fn slash_command(
    name: &str,
    path: &[&str],
    options: Vec<(&str, Opt)>,
    invoker: u64,
) -> InteractionPayload {
    GuildModel::default_guild().slash_command(name, path, options, invoker)
}

/// A type-4 (autocomplete) interaction whose `focused` string option holds `typed`.
pub fn autocomplete(
    name: &str,
    path: &[&str],
    options: Vec<(&str, Opt)>,
    focused: (&str, &str),
    invoker: u64,
) -> InteractionPayload {
    GuildModel::default_guild().autocomplete(name, path, options, focused, invoker)
}

impl InteractionPayload {
    /// Moves the interaction to another channel of the guild (`channel_id`, `channel.id`);
    /// `member.permissions` and `app_permissions` keep the values of the original channel.
    pub fn in_channel(mut self, channel_id: u64) -> Self {
        self.channel_id = channel_id;
        self.payload["channel_id"] = json!(channel_id.to_string());
        self.payload["channel"]["id"] = json!(channel_id.to_string());
        self
    }
}

impl GuildModel {
    pub fn slash_command(
        &self,
        name: &str,
        path: &[&str],
        options: Vec<(&str, Opt)>,
        invoker: u64,
    ) -> InteractionPayload {
        self.interaction(2, name, path, options, None, invoker)
    }

    pub fn autocomplete(
        &self,
        name: &str,
        path: &[&str],
        options: Vec<(&str, Opt)>,
        focused: (&str, &str),
        invoker: u64,
    ) -> InteractionPayload {
        self.interaction(4, name, path, options, Some(focused), invoker)
    }

    fn interaction(
        &self,
        kind: u8,
        name: &str,
        path: &[&str],
        options: Vec<(&str, Opt)>,
        focused: Option<(&str, &str)>,
        invoker: u64,
    ) -> InteractionPayload {
        let mut leaves: Vec<Value> = options
            .iter()
            .map(|(n, o)| json!({ "name": n, "type": o.kind(), "value": o.value() }))
            .collect();
        if let Some((n, typed)) = focused {
            leaves.push(json!({ "name": n, "type": 3, "value": typed, "focused": true }));
        }
        let values: Vec<Opt> = options.into_iter().map(|(_, o)| o).collect();
        self.interaction_of(kind, name, nest(path, leaves), &values, invoker)
    }

    /// An interaction of `kind` (2 command, 4 autocomplete) for the command `name` in
    /// `POST_CHANNEL_ID`, with `options` as `data.options` and the users, roles and channels
    /// among `values` in `data.resolved`.
    pub(super) fn interaction_of(
        &self,
        kind: u8,
        name: &str,
        options: Vec<Value>,
        values: &[Opt],
        invoker: u64,
    ) -> InteractionPayload {
        let id = json::snowflake();
        let token = format!("aW50ZXJhY3Rpb24{id}standin");
        let channel_id = POST_CHANNEL_ID;
        let mut data = json!({
            "id": GuildModel::command_id(name).to_string(), "name": name, "type": 1,
            "options": options, "guild_id": self.id.to_string(),
        });
        let resolved = self.resolved(values, channel_id, invoker);
        if !resolved.is_empty() {
            data["resolved"] = Value::Object(resolved);
        }
        let payload = self.envelope(kind, id, &token, channel_id, invoker, data);
        InteractionPayload {
            id,
            token,
            channel_id,
            payload,
        }
    }

    pub(super) fn envelope(
        &self,
        kind: u8,
        id: u64,
        token: &str,
        channel_id: u64,
        invoker: u64,
        data: Value,
    ) -> Value {
        // Discord always sends the channel; one the model lost reads as a plain text channel.
        let fallback = || fixtures::text_channel(channel_id, "channel", 0);
        let channel = self.channel(channel_id).cloned().unwrap_or_else(fallback);
        let channel = json::channel(&channel, self.id);
        json!({
            "id": id.to_string(), "application_id": self.bot.id.to_string(), "type": kind,
            "token": token, "version": 1, "guild_id": self.id.to_string(),
            "channel_id": channel_id.to_string(), "channel": channel,
            "member": self.invoker_member(invoker, channel_id), "locale": "en-US",
            "guild_locale": "en-US", "entitlements": [], "attachment_size_limit": 26_214_400,
            "app_permissions": self.channel_permissions(self.bot.id, channel_id).to_string(),
            "authorizing_integration_owners": { "0": self.id.to_string() }, "context": 0,
            "guild": { "id": self.id.to_string(), "locale": "en-US", "features": [] },
            "data": data,
        })
    }

    fn invoker_member(&self, user_id: u64, channel_id: u64) -> Value {
        let fallback = fixtures::member(fixtures::user(user_id, &format!("user{user_id}")), &[]);
        let m = self.member(user_id).cloned().unwrap_or(fallback);
        let mut v = json::member(&m, &json::now_timestamp(), true);
        v["permissions"] = json!(self.channel_permissions(user_id, channel_id).to_string());
        v
    }

    /// Discord's `data.resolved`; a channel's `permissions` are the invoker's there and its
    /// `app_permissions` the bot's.
    fn resolved(&self, values: &[Opt], channel_id: u64, invoker: u64) -> Map<String, Value> {
        let mut resolved = Map::new();
        for opt in values {
            match opt {
                Opt::User(id) => self.resolve_user(&mut resolved, *id, channel_id),
                Opt::Mentionable(id) | Opt::Id(id) if self.role(*id).is_none() => {
                    self.resolve_user(&mut resolved, *id, channel_id)
                }
                Opt::Role(id) | Opt::Mentionable(id) | Opt::Id(id) => {
                    let role = self
                        .role(*id)
                        .cloned()
                        .unwrap_or_else(|| fixtures::role(*id, "role", 1, 0));
                    insert(&mut resolved, "roles", *id, json::role(&role));
                }
                Opt::Channel(id) => {
                    let c = self
                        .channel(*id)
                        .cloned()
                        .unwrap_or_else(|| fixtures::text_channel(*id, "channel", 9));
                    let perms = self.channel_permissions(invoker, *id).to_string();
                    let app = self.channel_permissions(self.bot.id, *id).to_string();
                    let entry = json!({ "id": id.to_string(), "name": c.name, "type": c.kind,
                                        "permissions": perms, "app_permissions": app,
                                        "parent_id": null });
                    insert(&mut resolved, "channels", *id, entry);
                }
                _ => {}
            }
        }
        resolved
    }

    fn resolve_user(&self, resolved: &mut Map<String, Value>, id: u64, channel_id: u64) {
        match self.member(id) {
            Some(m) => {
                insert(resolved, "users", id, json::user(&m.user));
                let mut partial = json::member(m, &json::now_timestamp(), false);
                partial["permissions"] =
                    json!(self.channel_permissions(id, channel_id).to_string());
                insert(resolved, "members", id, partial);
            }
            None => insert(
                resolved,
                "users",
                id,
                json::user(&fixtures::user(id, &format!("user{id}"))),
            ),
        }
    }
}

fn insert(resolved: &mut Map<String, Value>, kind: &str, id: u64, entry: Value) {
    let map = resolved.entry(kind).or_insert_with(|| json!({}));
    map[id.to_string()] = entry;
}

/// Wraps leaf options in subcommand (type 1) and group (type 2) options, innermost last.
fn nest(path: &[&str], leaves: Vec<Value>) -> Vec<Value> {
    match path {
        [] => leaves,
        [sub] => vec![json!({ "name": sub, "type": 1, "options": leaves })],
        [group, rest @ ..] => {
            vec![json!({ "name": group, "type": 2, "options": nest(rest, leaves) })]
        }
    }
}
