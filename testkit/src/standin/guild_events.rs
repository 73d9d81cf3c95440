//! A change a test makes to the guild, told to the bot as Discord tells it: the gateway
//! dispatches between the model before and after (GUILD_UPDATE, GUILD_ROLE_CREATE / UPDATE /
//! DELETE, CHANNEL_CREATE / UPDATE / DELETE, GUILD_MEMBER_ADD / UPDATE / REMOVE), each sent to
//! the sessions whose intents ask for it: GUILDS for the guild, its roles and channels,
//! GUILD_MEMBERS for members, except that GUILD_MEMBER_UPDATE "is sent for current-user
//! updates regardless of whether the GUILD_MEMBERS intent is set" (the bot's own member
//! joining or leaving is not: GUILD_CREATE and GUILD_DELETE tell the bot of those).
//! <https://discord.com/developers/docs/events/gateway#list-of-intents>,
//! <https://discord.com/developers/docs/events/gateway#caveats>

use serde_json::{Value, json};

use super::DiscordStandIn;
use super::fixtures::{GuildModel, MemberSpec};
use super::json;
use super::positions;
use super::state::Inner;

pub const INTENT_GUILDS: u64 = 1;
pub const INTENT_GUILD_MEMBERS: u64 = 1 << 1;

/// One dispatch: the event name, its `d`, and the intent a session needs to get it (`None`:
/// every session).
#[derive(Clone, Debug, PartialEq)]
pub struct GuildEvent {
    pub name: &'static str,
    pub d: Value,
    pub intent: Option<u64>,
}

impl GuildEvent {
    fn guilds(name: &'static str, d: Value) -> Self {
        let intent = Some(INTENT_GUILDS);
        GuildEvent { name, d, intent }
    }

    pub fn reaches(&self, intents: u64) -> bool {
        self.intent.is_none_or(|needed| intents & needed != 0)
    }
}

/// The dispatches Discord sends when the guild goes from `before` to `after`, in the order
/// guild, roles, channels, members (`joined_at` is the members' join time).
pub fn between(before: &GuildModel, after: &GuildModel, joined_at: &str) -> Vec<GuildEvent> {
    let mut events = Vec::new();
    if (&before.name, before.owner_id) != (&after.name, after.owner_id) {
        events.push(GuildEvent::guilds(
            "GUILD_UPDATE",
            json::partial_guild(after),
        ));
    }
    events.extend(role_events(before, after));
    events.extend(channel_events(before, after));
    events.extend(member_events(before, after, joined_at));
    events
}

fn role_events(before: &GuildModel, after: &GuildModel) -> Vec<GuildEvent> {
    let guild_id = after.id.to_string();
    let mut events = Vec::new();
    for role in &after.roles {
        let d = json!({ "guild_id": guild_id, "role": json::role(role) });
        match before.role(role.id) {
            None => events.push(GuildEvent::guilds("GUILD_ROLE_CREATE", d)),
            Some(old) if json::role(old) != json::role(role) => {
                events.push(GuildEvent::guilds("GUILD_ROLE_UPDATE", d));
            }
            Some(_) => {}
        }
    }
    for role in before.roles.iter().filter(|r| after.role(r.id).is_none()) {
        let d = json!({ "guild_id": guild_id, "role_id": role.id.to_string() });
        events.push(GuildEvent::guilds("GUILD_ROLE_DELETE", d));
    }
    events
}

fn channel_events(before: &GuildModel, after: &GuildModel) -> Vec<GuildEvent> {
    let mut events = Vec::new();
    for channel in &after.channels {
        let d = json::channel(channel, after.id);
        match before.channel(channel.id) {
            None => events.push(GuildEvent::guilds("CHANNEL_CREATE", d)),
            Some(old) if json::channel(old, before.id) != d => {
                events.push(GuildEvent::guilds("CHANNEL_UPDATE", d));
            }
            Some(_) => {}
        }
    }
    let gone = before
        .channels
        .iter()
        .filter(|c| after.channel(c.id).is_none());
    for channel in gone {
        let d = json::channel(channel, before.id);
        events.push(GuildEvent::guilds("CHANNEL_DELETE", d));
    }
    events
}

fn member_events(before: &GuildModel, after: &GuildModel, joined_at: &str) -> Vec<GuildEvent> {
    let guild_id = json!(after.id.to_string());
    let members = Some(INTENT_GUILD_MEMBERS);
    let mut events = Vec::new();
    let shown = |m: &MemberSpec| json::member(m, joined_at, true);
    for member in &after.members {
        let mut d = shown(member);
        let name = match before.member(member.user.id) {
            None => "GUILD_MEMBER_ADD",
            Some(old) if shown(old) != d => "GUILD_MEMBER_UPDATE",
            Some(_) => continue,
        };
        d["guild_id"] = guild_id.clone();
        let own_update = name == "GUILD_MEMBER_UPDATE" && member.user.id == after.bot.id;
        let intent = if own_update { None } else { members };
        events.push(GuildEvent { name, d, intent });
    }
    let gone = before
        .members
        .iter()
        .filter(|m| after.member(m.user.id).is_none());
    for member in gone {
        let d = json!({ "guild_id": guild_id, "user": json::user(&member.user) });
        events.push(GuildEvent {
            name: "GUILD_MEMBER_REMOVE",
            d,
            intent: members,
        });
    }
    events
}

impl Inner {
    /// Sends every live session the dispatches for the change from `before` to the model
    /// now, each to the sessions whose intents ask for it (none while the bot is out of the
    /// guild); returns how many went out.
    pub fn dispatch_since(&self, before: &GuildModel) -> usize {
        if self.removed_from_guild {
            return 0;
        }
        let events = between(before, &self.model, &self.joined_at);
        let mut sent = 0;
        for event in &events {
            let live = self.sessions.iter().filter(|s| event.reaches(s.intents));
            sent += live.filter(|s| s.dispatch(event.name, &event.d)).count();
        }
        sent
    }
}

impl DiscordStandIn {
    /// Changes the guild and sends every live session the dispatches Discord would send for
    /// the change (see [`between`]; none while the bot is out of the guild). Returns how many
    /// dispatches went out. A session that starts later gets the changed guild in its
    /// GUILD_CREATE. A role whose position `change` sets is moved as Discord moves roles:
    /// the others shift around it ([`positions::reorder`]) and each one shifted is told too.
    pub fn update_guild(&self, change: impl FnOnce(&mut GuildModel)) -> usize {
        let sent = {
            let mut inner = self.state.lock();
            let before = inner.model.clone();
            change(&mut inner.model);
            let moves = positions::moves_between(&before, &inner.model);
            if !moves.is_empty() {
                positions::reorder(&mut inner.model, &moves);
            }
            inner.dispatch_since(&before)
        };
        self.state.notify();
        sent
    }

    /// Like [`DiscordStandIn::update_guild`], waiting first (up to 5 s) for a live session,
    /// so the bot hears of the change.
    pub async fn update_live_guild(&self, change: impl FnOnce(&mut GuildModel)) -> usize {
        self.wait_for_ready(std::time::Duration::from_secs(5)).await;
        self.update_guild(change)
    }
}

#[cfg(test)]
mod tests;
