//! Permissions in a [`BotGuild`]: a member's guild-wide (the bot's, a command's caller's) and
//! the bot's in each channel, computed as serenity's
//! `Guild::member_permissions` and `Guild::user_permissions_in` do (Discord's algorithm:
//! owner and Administrator get everything; then @everyone's overwrite, the roles'
//! overwrites together, the member's overwrite, each deny before its allow).

use poise::serenity_prelude::Permissions;

use super::guild::{BotGuild, Channel};

impl BotGuild {
    /// The bot's guild-wide permissions; `None` while its member is unknown.
    pub fn bot_permissions(&self, bot_id: u64) -> Option<Permissions> {
        let roles = self.bot_roles.as_deref()?;
        Some(self.member_permissions(bot_id, roles))
    }

    /// The guild-wide permissions of member `user_id` holding `role_ids` (ids of unknown roles
    /// count for nothing): everything for the owner or with Administrator, else @everyone's
    /// and those of each role, together.
    pub fn member_permissions(&self, user_id: u64, role_ids: &[u64]) -> Permissions {
        if user_id == self.owner_id {
            return Permissions::all();
        }
        let bits = role_ids
            .iter()
            .filter_map(|id| self.roles.get(*id))
            .fold(self.everyone_bits(), |all, role| all | role.permissions);
        let permissions = Permissions::from_bits_truncate(bits);
        match permissions.administrator() {
            true => Permissions::all(),
            false => permissions,
        }
    }

    /// The bot's permissions in `channel`; `None` while its member is unknown.
    pub fn bot_permissions_in(&self, channel: &Channel, bot_id: u64) -> Option<Permissions> {
        let base = self.bot_permissions(bot_id)?;
        if base == Permissions::all() {
            return Some(base);
        }
        let bot_roles = self.bot_roles.as_deref().unwrap_or_default();
        let (mut role_allow, mut role_deny) = (0, 0);
        let (mut everyone, mut member) = ((0, 0), (0, 0));
        for o in &channel.overwrites {
            if o.for_bot {
                member = (o.allow, o.deny);
            } else if o.id == self.id {
                everyone = (o.allow, o.deny);
            } else if bot_roles.contains(&o.id) {
                role_allow |= o.allow;
                role_deny |= o.deny;
            }
        }
        let mut bits = base.bits();
        for (allow, deny) in [everyone, (role_allow, role_deny), member] {
            bits = (bits & !deny) | allow;
        }
        Some(Permissions::from_bits_truncate(bits))
    }

    /// The position of the bot's highest role (0 with none, or while its member is unknown).
    pub fn bot_top_position(&self) -> u16 {
        self.top_position(self.bot_roles.as_deref().unwrap_or_default())
    }

    /// The position of the highest of `role_ids` (0 with none known).
    pub fn top_position(&self, role_ids: &[u64]) -> u16 {
        role_ids
            .iter()
            .filter_map(|id| self.roles.get(*id))
            .map(|r| r.position)
            .max()
            .unwrap_or(0)
    }

    /// @everyone's permission bits (its role id is the guild's).
    pub fn everyone_bits(&self) -> u64 {
        self.roles.get(self.id).map_or(0, |r| r.permissions)
    }
}

#[cfg(test)]
mod tests {
    use super::super::guild::{Overwrite, Role};
    use super::*;

    const GUILD: u64 = 100;
    const BOT: u64 = 7;
    const BOT_ROLE: u64 = 101;
    const OTHER_ROLE: u64 = 102;

    fn guild(everyone: Permissions, bot_role: Permissions) -> BotGuild {
        let role = |id, permissions: Permissions, position| Role {
            id,
            permissions: permissions.bits(),
            position,
            managed: false,
        };
        BotGuild {
            id: GUILD,
            owner_id: 1,
            roles: [
                role(GUILD, everyone, 0),
                role(BOT_ROLE, bot_role, 3),
                role(OTHER_ROLE, Permissions::empty(), 5),
            ]
            .into_iter()
            .collect(),
            channels: Default::default(),
            bot_roles: Some(Box::new([BOT_ROLE])),
        }
    }

    fn channel(overwrites: &[(u64, Permissions, Permissions, bool)]) -> Channel {
        let overwrites = overwrites
            .iter()
            .map(|&(id, allow, deny, for_bot)| Overwrite {
                id,
                allow: allow.bits(),
                deny: deny.bits(),
                for_bot,
            })
            .collect();
        Channel { id: 9, overwrites }
    }

    #[test]
    fn the_bots_roles_add_to_everyones_permissions() {
        let g = guild(Permissions::VIEW_CHANNEL, Permissions::MANAGE_ROLES);
        let p = g.bot_permissions(BOT).unwrap();
        assert!(p.view_channel() && p.manage_roles() && !p.embed_links());
        assert_eq!(g.bot_top_position(), 3);
    }

    #[test]
    fn a_members_permissions_are_everyones_and_their_known_roles_or_all_for_owner_and_admin() {
        let g = guild(Permissions::VIEW_CHANNEL, Permissions::ADMINISTRATOR);
        let plain = g.member_permissions(BOT, &[OTHER_ROLE, 999]);
        assert_eq!(plain, Permissions::VIEW_CHANNEL);
        assert_eq!(g.member_permissions(BOT, &[BOT_ROLE]), Permissions::all());
        assert_eq!(g.member_permissions(g.owner_id, &[]), Permissions::all());
        assert_eq!(g.top_position(&[BOT_ROLE, OTHER_ROLE, 999]), 5);
        assert_eq!(g.top_position(&[]), 0);
    }

    #[test]
    fn nothing_is_known_before_the_bots_member_is() {
        let mut g = guild(Permissions::VIEW_CHANNEL, Permissions::empty());
        g.bot_roles = None;
        assert_eq!(g.bot_permissions(BOT), None);
        assert_eq!(g.bot_permissions_in(&channel(&[]), BOT), None);
    }

    #[test]
    fn owner_and_administrator_get_every_permission_in_every_channel() {
        let deny_all = channel(&[(GUILD, Permissions::empty(), Permissions::all(), false)]);
        let admin = guild(Permissions::empty(), Permissions::ADMINISTRATOR);
        assert_eq!(
            admin.bot_permissions_in(&deny_all, BOT),
            Some(Permissions::all())
        );
        let mut owned = guild(Permissions::empty(), Permissions::empty());
        owned.owner_id = BOT;
        assert_eq!(
            owned.bot_permissions_in(&deny_all, BOT),
            Some(Permissions::all())
        );
    }

    #[test]
    fn a_role_overwrite_beats_everyones_and_the_members_beats_both() {
        let (view, embed) = (Permissions::VIEW_CHANNEL, Permissions::EMBED_LINKS);
        let g = guild(view | embed, Permissions::empty());
        let hidden = channel(&[(GUILD, Permissions::empty(), view, false)]);
        assert!(!g.bot_permissions_in(&hidden, BOT).unwrap().view_channel());
        let shown_to_bot_role = channel(&[
            (GUILD, Permissions::empty(), view, false),
            (BOT_ROLE, view, Permissions::empty(), false),
        ]);
        assert!(
            g.bot_permissions_in(&shown_to_bot_role, BOT)
                .unwrap()
                .view_channel()
        );
        let other_role_only = channel(&[
            (GUILD, Permissions::empty(), view, false),
            (OTHER_ROLE, view, Permissions::empty(), false),
        ]);
        assert!(
            !g.bot_permissions_in(&other_role_only, BOT)
                .unwrap()
                .view_channel()
        );
        let member_denies = channel(&[
            (BOT_ROLE, embed, Permissions::empty(), false),
            (BOT, Permissions::empty(), embed, true),
        ]);
        assert!(
            !g.bot_permissions_in(&member_denies, BOT)
                .unwrap()
                .embed_links()
        );
    }
}
