//! REST routes that change roles, with Discord's checks and the gateway events that follow:
//! a member's role granted or removed (GUILD_MEMBER_UPDATE) and roles moved
//! (GUILD_ROLE_UPDATE for each role whose position changed). The bot makes these calls
//! through REST; the stand-in's helpers make them as another member (an admin, the owner)
//! through the same functions.

use serde_json::Value;

use super::fixtures::{GuildModel, RoleSpec, perms};
use super::json;
use super::positions;
use super::rest::Resp;
use super::state::Inner;

/// Whether `actor` may give, take or move `role` by Discord's rules: the owner may; anyone
/// else needs Manage Roles (or Administrator) and the role below their highest role.
fn may_manage(guild: &GuildModel, actor: u64, role: &RoleSpec) -> bool {
    if actor == guild.owner_id {
        return true;
    }
    let manage = perms::MANAGE_ROLES | perms::ADMINISTRATOR;
    guild.member_permissions(actor) & manage != 0
        && role.position < guild.highest_role_position(actor)
}

fn missing_permissions() -> Resp {
    Resp::error(403, 50013, "Missing Permissions")
}

/// `PUT` / `DELETE /guilds/{g}/members/{u}/roles/{r}` by `actor`, with Discord's checks:
/// unknown guild, member, role (10004, 10007, 10011), then Manage Roles and the role
/// hierarchy (50013). A change of the member's roles is told as GUILD_MEMBER_UPDATE.
pub fn member_role(
    inner: &mut Inner,
    actor: u64,
    method: &str,
    ids: (Option<u64>, Option<u64>, Option<u64>),
) -> Resp {
    let model = &inner.model;
    let (guild, user, role) = ids;
    if guild != Some(model.id) {
        return Resp::error(404, 10004, "Unknown Guild");
    }
    let Some(user) = user.filter(|u| model.member(*u).is_some()) else {
        return Resp::error(404, 10007, "Unknown Member");
    };
    let Some(role) = role.and_then(|r| model.role(r)) else {
        return Resp::error(404, 10011, "Unknown Role");
    };
    if !may_manage(model, actor, role) {
        return missing_permissions();
    }
    let role_id = role.id;
    let before = inner.model.clone();
    if let Some(member) = inner.model.member_mut(user) {
        member.roles.retain(|r| *r != role_id);
        if method == "PUT" {
            member.roles.push(role_id);
        }
    }
    inner.dispatch_since(&before);
    Resp::no_content()
}

/// `PATCH /guilds/{g}/roles` by `actor` ("Modify Guild Role Positions"): a JSON array of
/// `{id, position}`. 400 50035 for another body, 10011 for an unknown role, 50013 unless
/// `actor` may manage each role named and the place it asks for. Answers every role and
/// sends GUILD_ROLE_UPDATE for each role whose position changed ([`positions::reorder`]).
pub fn role_positions(inner: &mut Inner, actor: u64, guild: Option<u64>, body: &Value) -> Resp {
    if guild != Some(inner.model.id) {
        return Resp::error(404, 10004, "Unknown Guild");
    }
    let Some(moves) = parse_moves(body) else {
        return Resp::error(400, 50035, "Invalid Form Body");
    };
    if let Some(refused) = refused_move(&inner.model, actor, &moves) {
        return refused;
    }
    let before = inner.model.clone();
    positions::reorder(&mut inner.model, &moves);
    inner.dispatch_since(&before);
    let mut roles = inner.model.roles.clone();
    roles.sort_by_key(|r| r.position);
    Resp::ok(Value::Array(roles.iter().map(json::role).collect()))
}

/// `[{"id": "…", "position": n}, …]` as (role id, position); a missing or null position
/// leaves the role where it is.
fn parse_moves(body: &Value) -> Option<Vec<(u64, u16)>> {
    let mut moves = Vec::new();
    for entry in body.as_array()? {
        let id = entry["id"].as_str()?.parse().ok()?;
        if let Some(position) = entry["position"].as_u64() {
            moves.push((id, u16::try_from(position).ok()?));
        }
    }
    Some(moves)
}

/// Why `actor` may not make `moves`, if not: an unknown role (10011), or a role or a place
/// not below the actor's highest role (50013: "a bot can only sort roles lower than its
/// highest role").
fn refused_move(guild: &GuildModel, actor: u64, moves: &[(u64, u16)]) -> Option<Resp> {
    let top = guild.highest_role_position(actor);
    for &(id, position) in moves {
        let Some(role) = guild.role(id) else {
            return Some(Resp::error(404, 10011, "Unknown Role"));
        };
        let owner = actor == guild.owner_id;
        if !may_manage(guild, actor, role) || (!owner && position >= top) {
            return Some(missing_permissions());
        }
    }
    None
}
