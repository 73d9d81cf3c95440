//! Role changes an admin makes in Discord, told to the bot as Discord tells it: the model
//! changes (so the member-role routes answer by the new hierarchy) and the gateway events
//! follow. [`DiscordStandIn::move_role`] and [`DiscordStandIn::set_bot_roles`] change the
//! model as the owner would ([`DiscordStandIn::update_live_guild`]);
//! [`DiscordStandIn::grant_role_by`] and the others act as a given member through the same
//! functions as the REST routes, checks included.

use std::time::Duration;

use serde_json::{Value, json};

use super::DiscordStandIn;
use super::fixtures::{GuildModel, RoleSpec};
use super::role_routes;

/// How long the helpers that act as a member wait for a live session first.
const LIVE_WITHIN: Duration = Duration::from_secs(5);

fn role_mut(guild: &mut GuildModel, role_id: u64) -> &mut RoleSpec {
    let role = guild.roles.iter_mut().find(|r| r.id == role_id);
    role.expect("a role of the stand-in's guild")
}

impl DiscordStandIn {
    /// Moves `role_id` to `position` as Discord does (the other roles shift around it, see
    /// [`DiscordStandIn::update_guild`]) and sends GUILD_ROLE_UPDATE for every role whose
    /// position changed; returns how many dispatches went out.
    pub async fn move_role(&self, role_id: u64, position: u16) -> usize {
        let moved = |g: &mut GuildModel| role_mut(g, role_id).position = position;
        self.update_live_guild(moved).await
    }

    /// Sets `role_id`'s permission bits and sends GUILD_ROLE_UPDATE; returns how many
    /// sessions got it.
    pub async fn set_role_permissions(&self, role_id: u64, permissions: u64) -> usize {
        let set = |g: &mut GuildModel| role_mut(g, role_id).permissions = permissions;
        self.update_live_guild(set).await
    }

    /// Gives the bot's member `roles` (besides @everyone) and sends GUILD_MEMBER_UPDATE for
    /// it, as when an admin changes the bot's roles; returns how many sessions got it.
    pub async fn set_bot_roles(&self, roles: &[u64]) -> usize {
        let set = |g: &mut GuildModel| {
            let bot = g.bot.id;
            let member = g.member_mut(bot).expect("the bot is a member");
            member.roles = roles.to_vec();
        };
        self.update_live_guild(set).await
    }

    /// `actor` (a member, or the owner) gives `user_id` the role `role_id` as
    /// `PUT /guilds/{g}/members/{u}/roles/{r}` would: Discord's checks for `actor`, then
    /// GUILD_MEMBER_UPDATE. Returns the status Discord answers (204, 403, 404).
    pub async fn grant_role_by(&self, actor: u64, user_id: u64, role_id: u64) -> u16 {
        self.member_role_by(actor, "PUT", user_id, role_id).await
    }

    /// Like [`DiscordStandIn::grant_role_by`], taking the role away (`DELETE`).
    pub async fn remove_role_by(&self, actor: u64, user_id: u64, role_id: u64) -> u16 {
        self.member_role_by(actor, "DELETE", user_id, role_id).await
    }

    /// `actor` moves roles as `PATCH /guilds/{g}/roles` with `[{id, position}]` would:
    /// Discord's checks for `actor`, the others shifted, GUILD_ROLE_UPDATE for each role
    /// whose position changed. Returns the status Discord answers.
    pub async fn move_roles_by(&self, actor: u64, moves: &[(u64, u16)]) -> u16 {
        let body: Vec<Value> = moves
            .iter()
            .map(|(id, position)| json!({ "id": id.to_string(), "position": position }))
            .collect();
        self.wait_for_ready(LIVE_WITHIN).await;
        let status = {
            let mut inner = self.state.lock();
            let guild = Some(inner.model.id);
            role_routes::role_positions(&mut inner, actor, guild, &Value::Array(body)).status
        };
        self.state.notify();
        status
    }

    async fn member_role_by(&self, actor: u64, method: &str, user_id: u64, role_id: u64) -> u16 {
        self.wait_for_ready(LIVE_WITHIN).await;
        let status = {
            let mut inner = self.state.lock();
            let ids = (Some(inner.model.id), Some(user_id), Some(role_id));
            role_routes::member_role(&mut inner, actor, method, ids).status
        };
        self.state.notify();
        status
    }
}

#[cfg(test)]
mod tests;
