//! Many guilds at once, for measuring what a public bot's memory grows with: guilds of
//! `channels` text channels and `roles` roles (the bot their only member), numbered so that
//! their ids never meet the default guild's, and sent as GUILD_CREATE to every session.

use super::DiscordStandIn;
use super::fixtures::{
    ChannelSpec, GuildModel, OWNER_USER_ID, Overwrite, RoleSpec, UserSpec, member, perms, role,
    text_channel,
};
use super::json;

/// The first numbered guild's id; guild `i` is `FIRST_WIDE_GUILD + i * WIDE_GUILD_STRIDE`.
pub const FIRST_WIDE_GUILD: u64 = 1_600_000_000_000_000_000;
/// Room for the ids of one guild's roles and channels.
pub const WIDE_GUILD_STRIDE: u64 = 1 << 12;

/// Guild number `index`: @everyone, a managed role for the bot near the top and `roles - 2`
/// plain roles; `channels` text channels, every fifth hiding itself from @everyone and
/// showing itself to the bot's role, every seventh denying the bot Embed Links.
pub fn wide_guild(index: u64, bot: &UserSpec, channels: usize, roles: usize) -> GuildModel {
    let id = FIRST_WIDE_GUILD + index * WIDE_GUILD_STRIDE;
    let bot_role_id = id + 1;
    let mut bot_role = role(
        bot_role_id,
        &bot.name,
        roles.saturating_sub(1) as u16,
        perms::MANAGE_ROLES | perms::EMBED_LINKS,
    );
    bot_role.bot_id = Some(bot.id);
    let mut all_roles: Vec<RoleSpec> = vec![role(id, "@everyone", 0, perms::EVERYONE), bot_role];
    all_roles
        .extend((2..roles as u64).map(|r| role(id + r, &format!("role {r}"), r as u16 - 1, 0)));
    GuildModel {
        id,
        name: format!("Wide guild {index}"),
        owner_id: OWNER_USER_ID,
        bot: bot.clone(),
        roles: all_roles,
        channels: (0..channels as u64)
            .map(|c| wide_channel(id, (bot.id, bot_role_id), c))
            .collect(),
        members: vec![member(bot.clone(), &[bot_role_id])],
        users: Vec::new(),
    }
}

fn wide_channel(guild_id: u64, (bot_id, bot_role_id): (u64, u64), index: u64) -> ChannelSpec {
    let mut channel = text_channel(
        guild_id + 2048 + index,
        &format!("channel-{index}"),
        index as u16,
    );
    if index.is_multiple_of(5) {
        channel.overwrites.push(Overwrite {
            id: guild_id,
            kind: 0,
            allow: 0,
            deny: perms::VIEW_CHANNEL,
        });
        channel.overwrites.push(Overwrite {
            id: bot_role_id,
            kind: 0,
            allow: perms::VIEW_CHANNEL,
            deny: 0,
        });
    }
    if index.is_multiple_of(7) {
        channel.overwrites.push(Overwrite {
            id: bot_id,
            kind: 1,
            allow: 0,
            deny: perms::EMBED_LINKS,
        });
    }
    channel
}

impl DiscordStandIn {
    /// Sends GUILD_CREATE for each of `guilds` to every session (waiting up to 5 s for one);
    /// returns how many dispatches went out.
    pub async fn send_guild_creates(&self, guilds: impl IntoIterator<Item = GuildModel>) -> usize {
        let joined_at = json::now_timestamp();
        let mut sent = 0;
        for guild in guilds {
            sent += self
                .send_dispatch("GUILD_CREATE", &json::guild_create(&guild, &joined_at))
                .await;
        }
        sent
    }
}
