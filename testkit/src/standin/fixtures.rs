//! The guild model the stand-in serves, its default contents and the ids tests refer to.
//!
//! Ids are `u64` here and go out as string snowflakes, as Discord sends them.

/// A token serenity's `validate_token` accepts: base64 of the bot id, a dot, 6 characters,
/// a dot, 27+ characters. The stand-in's gateway only accepts this token (or the one given
/// to [`crate::standin::StandInBuilder::token`]).
pub const FAKE_TOKEN: &str = "MTIwMDAwMDAwMDAwMDAwMDAwMQ.GsTand.in0000000000000000000000000000000";

pub const GUILD_ID: u64 = 1_100_000_000_000_000_001;
/// The application id equals the bot user's id, as for every Discord bot created today.
pub const APPLICATION_ID: u64 = 1_200_000_000_000_000_001;
pub const BOT_USER_ID: u64 = APPLICATION_ID;
/// Owns the guild and the application; not a member of the modelled member list.
pub const OWNER_USER_ID: u64 = 1_300_000_000_000_000_000;
/// Has Manage Server through `ADMIN_ROLE_ID`: the one who connects the guild to Top.gg.
pub const ADMIN_USER_ID: u64 = 1_300_000_000_000_000_001;
/// A member with no role but @everyone.
pub const PLAIN_USER_ID: u64 = 1_300_000_000_000_000_002;

/// @everyone's id is the guild id, as on Discord.
pub const EVERYONE_ROLE_ID: u64 = GUILD_ID;
pub const REWARD_ROLE_ID: u64 = 1_500_000_000_000_000_001;
pub const REWARD_ROLE_2_ID: u64 = 1_500_000_000_000_000_002;
/// The bot's managed role (position 3, Manage Roles).
pub const BOT_ROLE_ID: u64 = 1_500_000_000_000_000_003;
/// Manage Server (position 4).
pub const ADMIN_ROLE_ID: u64 = 1_500_000_000_000_000_004;
/// Above the bot's role (position 5): the bot may not grant it (403, code 50013).
pub const HIGH_ROLE_ID: u64 = 1_500_000_000_000_000_005;

/// A text channel the bot can post in.
pub const POST_CHANNEL_ID: u64 = 1_400_000_000_000_000_001;
/// A text channel whose member overwrite for the bot denies Send Messages.
pub const DENIED_CHANNEL_ID: u64 = 1_400_000_000_000_000_002;

pub mod perms {
    pub const ADMINISTRATOR: u64 = 1 << 3;
    pub const KICK_MEMBERS: u64 = 1 << 1;
    pub const MANAGE_GUILD: u64 = 1 << 5;
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const EMBED_LINKS: u64 = 1 << 14;
    pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
    pub const MANAGE_ROLES: u64 = 1 << 28;
    pub const MENTION_EVERYONE: u64 = 1 << 17;
    pub const USE_APPLICATION_COMMANDS: u64 = 1 << 31;
    pub const EVERYONE: u64 =
        VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | USE_APPLICATION_COMMANDS;
    pub const ALL: u64 = (1 << 51) - 1;
}

#[derive(Clone, Debug)]
pub struct UserSpec {
    pub id: u64,
    pub name: String,
    pub bot: bool,
}

#[derive(Clone, Debug)]
pub struct RoleSpec {
    pub id: u64,
    pub name: String,
    pub position: u16,
    pub permissions: u64,
    /// Some(bot id) for a bot's managed role.
    pub bot_id: Option<u64>,
}

/// `kind`: 0 = role, 1 = member (Discord's overwrite types).
#[derive(Clone, Debug)]
pub struct Overwrite {
    pub id: u64,
    pub kind: u8,
    pub allow: u64,
    pub deny: u64,
}

/// Discord's channel types (`type` of a channel object).
pub mod channel_kind {
    pub const TEXT: u8 = 0;
    /// Takes messages too ("text in voice").
    pub const VOICE: u8 = 2;
    pub const CATEGORY: u8 = 4;
    pub const ANNOUNCEMENT: u8 = 5;
    pub const STAGE: u8 = 13;
    pub const DIRECTORY: u8 = 14;
    /// Takes threads (posts), not messages.
    pub const FORUM: u8 = 15;
    pub const MEDIA: u8 = 16;

    /// Whether `POST /channels/{id}/messages` can post in a guild channel of this type
    /// (Discord answers 400 code 50008 for the others).
    pub fn takes_messages(kind: u8) -> bool {
        !matches!(kind, CATEGORY | DIRECTORY | FORUM | MEDIA)
    }
}

#[derive(Clone, Debug)]
pub struct ChannelSpec {
    pub id: u64,
    pub name: String,
    /// Discord channel type ([`channel_kind`]): 0 text, 2 voice, 4 category, 5 announcement,
    /// 13 stage, 15 forum, 16 media.
    pub kind: u8,
    pub position: u16,
    pub overwrites: Vec<Overwrite>,
}

#[derive(Clone, Debug)]
pub struct MemberSpec {
    pub user: UserSpec,
    /// Role ids besides @everyone.
    pub roles: Vec<u64>,
}

#[derive(Clone, Debug)]
pub struct GuildModel {
    pub id: u64,
    pub name: String,
    pub owner_id: u64,
    pub bot: UserSpec,
    pub roles: Vec<RoleSpec>,
    pub channels: Vec<ChannelSpec>,
    pub members: Vec<MemberSpec>,
    /// Other Discord users `GET /users/{id}` knows (e.g. the bot of a bot project).
    pub users: Vec<UserSpec>,
}

pub fn user(id: u64, name: &str) -> UserSpec {
    UserSpec {
        id,
        name: name.to_string(),
        bot: false,
    }
}

pub fn role(id: u64, name: &str, position: u16, permissions: u64) -> RoleSpec {
    RoleSpec {
        id,
        name: name.to_string(),
        position,
        permissions,
        bot_id: None,
    }
}

pub fn text_channel(id: u64, name: &str, position: u16) -> ChannelSpec {
    channel_of_kind(channel_kind::TEXT, id, name, position)
}

/// A channel of another type ([`channel_kind`]): voice, category, announcement, forum...
pub fn channel_of_kind(kind: u8, id: u64, name: &str, position: u16) -> ChannelSpec {
    ChannelSpec {
        id,
        name: name.to_string(),
        kind,
        position,
        overwrites: Vec::new(),
    }
}

pub fn member(user: UserSpec, roles: &[u64]) -> MemberSpec {
    MemberSpec {
        user,
        roles: roles.to_vec(),
    }
}

impl Default for GuildModel {
    fn default() -> Self {
        Self::default_guild()
    }
}

impl GuildModel {
    /// One guild: roles @everyone, two reward roles, the bot's role, an admin role and one role
    /// above the bot's; a postable and a denied text channel; the bot, an admin and a plain user.
    pub fn default_guild() -> Self {
        let bot = UserSpec {
            id: BOT_USER_ID,
            name: "Vote Bot".into(),
            bot: true,
        };
        let mut bot_role = role(
            BOT_ROLE_ID,
            "Vote Bot",
            3,
            perms::MANAGE_ROLES | perms::EMBED_LINKS,
        );
        bot_role.bot_id = Some(BOT_USER_ID);
        let mut denied = text_channel(DENIED_CHANNEL_ID, "announcements", 1);
        denied.overwrites.push(Overwrite {
            id: BOT_USER_ID,
            kind: 1,
            allow: 0,
            deny: perms::SEND_MESSAGES,
        });
        Self {
            id: GUILD_ID,
            name: "Stand-in Guild".into(),
            owner_id: OWNER_USER_ID,
            roles: vec![
                role(EVERYONE_ROLE_ID, "@everyone", 0, perms::EVERYONE),
                role(REWARD_ROLE_ID, "Voter", 1, 0),
                role(REWARD_ROLE_2_ID, "Super Voter", 2, 0),
                bot_role,
                role(
                    ADMIN_ROLE_ID,
                    "Admin",
                    4,
                    perms::MANAGE_GUILD | perms::MANAGE_ROLES,
                ),
                role(HIGH_ROLE_ID, "Moderator", 5, 0),
            ],
            channels: vec![text_channel(POST_CHANNEL_ID, "votes", 0), denied],
            members: vec![
                member(bot.clone(), &[BOT_ROLE_ID]),
                member(user(ADMIN_USER_ID, "connector"), &[ADMIN_ROLE_ID]),
                member(user(PLAIN_USER_ID, "voter"), &[]),
            ],
            users: Vec::new(),
            bot,
        }
    }

    pub fn with_role(mut self, role: RoleSpec) -> Self {
        self.roles.push(role);
        self
    }

    pub fn with_channel(mut self, channel: ChannelSpec) -> Self {
        self.channels.push(channel);
        self
    }

    /// A Discord user who is not a member (`GET /users/{id}` answers for them).
    pub fn with_user(mut self, user: UserSpec) -> Self {
        self.users.push(user);
        self
    }

    pub fn with_member(mut self, member: MemberSpec) -> Self {
        self.members.push(member);
        self
    }

    pub fn role(&self, id: u64) -> Option<&RoleSpec> {
        self.roles.iter().find(|r| r.id == id)
    }

    pub fn channel(&self, id: u64) -> Option<&ChannelSpec> {
        self.channels.iter().find(|c| c.id == id)
    }

    pub fn member(&self, user_id: u64) -> Option<&MemberSpec> {
        self.members.iter().find(|m| m.user.id == user_id)
    }

    pub fn member_mut(&mut self, user_id: u64) -> Option<&mut MemberSpec> {
        self.members.iter_mut().find(|m| m.user.id == user_id)
    }

    /// Guild-level permissions of a member: @everyone plus its roles (everything for the
    /// owner or an Administrator).
    pub fn member_permissions(&self, user_id: u64) -> u64 {
        if user_id == self.owner_id {
            return perms::ALL;
        }
        let everyone = self.role(self.id).map_or(0, |r| r.permissions);
        let roles = self.member(user_id).map_or(&[][..], |m| &m.roles[..]);
        let base = roles
            .iter()
            .filter_map(|id| self.role(*id))
            .fold(everyone, |acc, r| acc | r.permissions);
        if base & perms::ADMINISTRATOR != 0 {
            perms::ALL
        } else {
            base
        }
    }

    /// Channel permissions after overwrites (Discord's order: @everyone, roles, member).
    pub fn channel_permissions(&self, user_id: u64, channel_id: u64) -> u64 {
        let base = self.member_permissions(user_id);
        let Some(channel) = self.channel(channel_id) else {
            return base;
        };
        if base & perms::ADMINISTRATOR != 0 {
            return perms::ALL;
        }
        let roles = self.member(user_id).map_or(&[][..], |m| &m.roles[..]);
        let apply = |acc: u64, allow: u64, deny: u64| (acc & !deny) | allow;
        let find = |kind: u8, id: u64| {
            channel
                .overwrites
                .iter()
                .find(|o| o.kind == kind && o.id == id)
        };
        let mut p = base;
        if let Some(o) = find(0, self.id) {
            p = apply(p, o.allow, o.deny);
        }
        let (allow, deny) = roles
            .iter()
            .filter_map(|r| find(0, *r))
            .fold((0, 0), |(a, d), o| (a | o.allow, d | o.deny));
        p = apply(p, allow, deny);
        if let Some(o) = find(1, user_id) {
            p = apply(p, o.allow, o.deny);
        }
        p
    }

    /// Position of the member's highest role (0 for @everyone only).
    pub fn highest_role_position(&self, user_id: u64) -> u16 {
        let roles = self.member(user_id).map_or(&[][..], |m| &m.roles[..]);
        roles
            .iter()
            .filter_map(|id| self.role(*id))
            .map(|r| r.position)
            .max()
            .unwrap_or(0)
    }

    /// A stable command id for a command name (the same one bulk overwrite answers with and
    /// the interaction builders put in `data.id`).
    pub fn command_id(name: &str) -> u64 {
        let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        1_600_000_000_000_000_000 + hash % 100_000_000_000_000_000
    }
}
