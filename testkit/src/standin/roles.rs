//! Role changes an admin makes in Discord, told to the bot as Discord tells it: the model
//! changes (so the member-role routes answer by the new hierarchy) and the gateway event
//! follows.

use serde_json::json;

use super::DiscordStandIn;
use super::json;

impl DiscordStandIn {
    /// Moves `role_id` to `position` and sends GUILD_ROLE_UPDATE; returns how many sessions
    /// got it.
    pub async fn move_role(&self, role_id: u64, position: u16) -> usize {
        let (guild_id, role) = {
            let mut inner = self.state.lock();
            let guild_id = inner.model.id;
            let role = inner.model.roles.iter_mut().find(|r| r.id == role_id);
            let role = role.expect("a role of the stand-in's guild");
            role.position = position;
            (guild_id, json::role(role))
        };
        let event = json!({ "guild_id": guild_id.to_string(), "role": role });
        self.send_dispatch("GUILD_ROLE_UPDATE", &event).await
    }

    /// Sets `role_id`'s permission bits and sends GUILD_ROLE_UPDATE; returns how many
    /// sessions got it.
    pub async fn set_role_permissions(&self, role_id: u64, permissions: u64) -> usize {
        let (guild_id, role) = {
            let mut inner = self.state.lock();
            let guild_id = inner.model.id;
            let role = inner.model.roles.iter_mut().find(|r| r.id == role_id);
            let role = role.expect("a role of the stand-in's guild");
            role.permissions = permissions;
            (guild_id, json::role(role))
        };
        let event = json!({ "guild_id": guild_id.to_string(), "role": role });
        self.send_dispatch("GUILD_ROLE_UPDATE", &event).await
    }

    /// Gives the bot's member `roles` (besides @everyone) and sends GUILD_MEMBER_UPDATE for
    /// it, as when an admin changes the bot's roles; returns how many sessions got it.
    pub async fn set_bot_roles(&self, roles: &[u64]) -> usize {
        let (guild_id, mut member) = {
            let mut inner = self.state.lock();
            let guild_id = inner.model.id;
            let bot = inner.model.bot.id;
            let spec = inner.model.member_mut(bot).expect("the bot is a member");
            spec.roles = roles.to_vec();
            let spec = spec.clone();
            (guild_id, json::member(&spec, &json::now_timestamp(), true))
        };
        member["guild_id"] = json!(guild_id.to_string());
        self.send_dispatch("GUILD_MEMBER_UPDATE", &member).await
    }
}
