//! Role changes an admin makes in Discord, told to the bot as Discord tells it: the model
//! changes (so the member-role routes answer by the new hierarchy) and the gateway event
//! follows (through [`DiscordStandIn::update_live_guild`]).

use super::DiscordStandIn;
use super::fixtures::{GuildModel, RoleSpec};

fn role_mut(guild: &mut GuildModel, role_id: u64) -> &mut RoleSpec {
    let role = guild.roles.iter_mut().find(|r| r.id == role_id);
    role.expect("a role of the stand-in's guild")
}

impl DiscordStandIn {
    /// Moves `role_id` to `position` and sends GUILD_ROLE_UPDATE; returns how many sessions
    /// got it.
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
}
