//! Role positions as Discord keeps them when roles move ("Modify Guild Role Positions",
//! `PATCH /guilds/{g}/roles` with `[{id, position}]`): the moved roles take the places asked
//! for and every other role keeps its order around them, so the positions stay one consistent
//! order, 1, 2, 3, ... above @everyone's 0. Every role whose position changed that way gets a
//! GUILD_ROLE_UPDATE (the stand-in sends them through [`super::guild_events::between`]).
//! Discord's docs say no more than that; the stand-in renumbers the whole list on a move, as
//! Discord was seen to (discord-api-docs issue 1778: roles left sharing a position got
//! distinct ones, each told by GUILD_ROLE_UPDATE, once a role was moved), so positions
//! left equal or with gaps come out distinct and contiguous.
//! <https://discord.com/developers/docs/resources/guild#modify-guild-role-positions>,
//! <https://github.com/discord/discord-api-docs/issues/1778>

use std::cmp::Reverse;

use super::fixtures::{GuildModel, RoleSpec};

/// The roles but @everyone in Discord's order, lowest first: by position, and of roles with
/// the same position the older (smaller id) above, as discord.js's `Role.comparePositions`.
fn ranked<'a>(roles: impl Iterator<Item = &'a RoleSpec>) -> Vec<u64> {
    let mut ranked: Vec<&RoleSpec> = roles.collect();
    ranked.sort_by_key(|r| (r.position, Reverse(r.id)));
    ranked.into_iter().map(|r| r.id).collect()
}

/// Puts each role of `moves` (role id, position asked for) at its position, the other roles
/// (@everyone excepted, it stays 0) in their former order around them, and numbers them all
/// from 1 up. A position past the top puts the role on top; 0 puts it right above
/// @everyone. Ids of unknown roles and @everyone's are ignored; each role is to be named once.
pub fn reorder(guild: &mut GuildModel, moves: &[(u64, u16)]) {
    let everyone = guild.id;
    let moved = |id: u64| moves.iter().any(|(m, _)| *m == id);
    let known = |id: u64| id != everyone && guild.role(id).is_some();
    let staying = guild
        .roles
        .iter()
        .filter(|r| r.id != everyone && !moved(r.id));
    let mut order = ranked(staying);
    let mut moves: Vec<(u64, u16)> = moves.iter().copied().filter(|(id, _)| known(*id)).collect();
    moves.sort_by_key(|&(id, position)| (position, Reverse(id)));
    for (id, position) in moves {
        let at = usize::from(position).clamp(1, order.len() + 1) - 1;
        order.insert(at, id);
    }
    for role in &mut guild.roles {
        let place = order.iter().position(|id| *id == role.id);
        role.position = place.map_or(0, |at| at as u16 + 1);
    }
}

/// The roles of `after` whose position differs from `before`'s, as moves asked for: what a
/// change to the model means when it sets positions by hand (see
/// [`super::DiscordStandIn::update_guild`]).
pub fn moves_between(before: &GuildModel, after: &GuildModel) -> Vec<(u64, u16)> {
    let moved = after.roles.iter().filter(|r| {
        let old = before.role(r.id);
        old.is_some_and(|old| old.position != r.position)
    });
    moved.map(|r| (r.id, r.position)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standin::fixtures::*;

    fn positions(guild: &GuildModel) -> Vec<(u64, u16)> {
        let mut all: Vec<(u64, u16)> = guild.roles.iter().map(|r| (r.id, r.position)).collect();
        all.sort_by_key(|&(_, position)| position);
        all
    }

    #[test]
    fn a_role_moved_up_shifts_the_roles_it_passes_down_by_one() {
        let mut guild = GuildModel::default_guild();
        reorder(&mut guild, &[(REWARD_ROLE_ID, 3)]);
        assert_eq!(
            positions(&guild),
            [
                (EVERYONE_ROLE_ID, 0),
                (REWARD_ROLE_2_ID, 1),
                (BOT_ROLE_ID, 2),
                (REWARD_ROLE_ID, 3),
                (ADMIN_ROLE_ID, 4),
                (HIGH_ROLE_ID, 5),
            ]
        );
    }

    #[test]
    fn a_role_moved_down_to_the_bots_place_lands_below_it() {
        let mut guild = GuildModel::default_guild();
        reorder(&mut guild, &[(HIGH_ROLE_ID, 3)]);
        let role = |id| guild.role(id).unwrap().position;
        assert_eq!((role(HIGH_ROLE_ID), role(BOT_ROLE_ID)), (3, 4));
        assert_eq!((role(ADMIN_ROLE_ID), role(REWARD_ROLE_2_ID)), (5, 2));
    }

    #[test]
    fn shared_positions_and_gaps_come_out_distinct_and_contiguous() {
        let mut guild = GuildModel::default_guild()
            .with_role(role(1_500_000_000_000_000_090, "Late", 9, 0))
            .with_role(role(1_500_000_000_000_000_091, "Same", 1, 0));
        reorder(&mut guild, &[(HIGH_ROLE_ID, 99)]);
        let all: Vec<u16> = positions(&guild).iter().map(|(_, p)| *p).collect();
        assert_eq!(all, (0..8).collect::<Vec<u16>>());
        assert_eq!(guild.role(HIGH_ROLE_ID).unwrap().position, 7, "on top");
        let same = guild.role(1_500_000_000_000_000_091).unwrap().position;
        assert_eq!(same, 1, "of two roles at 1 the newer is below");
    }

    #[test]
    fn several_moves_each_get_their_place_and_everyone_stays_at_zero() {
        let mut guild = GuildModel::default_guild();
        let moves = [
            (HIGH_ROLE_ID, 1),
            (REWARD_ROLE_ID, 5),
            (EVERYONE_ROLE_ID, 4),
        ];
        reorder(&mut guild, &moves);
        let role = |id| guild.role(id).unwrap().position;
        assert_eq!((role(HIGH_ROLE_ID), role(REWARD_ROLE_ID)), (1, 5));
        assert_eq!(role(EVERYONE_ROLE_ID), 0);
    }

    #[test]
    fn positions_set_by_hand_read_as_moves() {
        let before = GuildModel::default_guild();
        let mut after = before.clone();
        after.roles[1].position = 4;
        assert_eq!(moves_between(&before, &after), [(REWARD_ROLE_ID, 4)]);
    }
}
