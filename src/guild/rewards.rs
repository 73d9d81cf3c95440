//! `/topgg roles add|remove|list`: the reward roles of a link.

use super::checks::{GuildFacts, role_problem};
use super::{refuse, role_safety, target, with_warnings};
use crate::domain::ids::{GuildId, RoleId};
use crate::domain::keys::{GuildRole, LinkRef};
use crate::domain::rewards::{RewardDuration, RewardRole};
use crate::domain::time::Timestamp;
use crate::storage::Db;

/// Longest reward duration: a year.
pub const MAX_HOURS: u32 = 8760;

/// The `/topgg roles add hours:` option: omitted, until the vote expires; 0, permanently;
/// else that many hours (at most [`MAX_HOURS`]).
pub fn reward_duration(hours: Option<i64>) -> anyhow::Result<RewardDuration> {
    Ok(match hours.map(u32::try_from) {
        None => RewardDuration::UntilVoteExpires,
        Some(Ok(0)) => RewardDuration::Permanent,
        Some(Ok(hours)) if hours <= MAX_HOURS => RewardDuration::ForHours(hours),
        Some(_) => return out_of_limits(),
    })
}

fn out_of_limits<T>() -> anyhow::Result<T> {
    refuse(format!(
        "`votes` must be at least 1 and `hours` between 0 and {MAX_HOURS}."
    ))
}

/// `/topgg roles add`.
pub async fn add_role(
    db: &Db,
    guild_id: &GuildId,
    project: Option<&str>,
    role: RewardRole,
    facts: &GuildFacts,
) -> anyhow::Result<String> {
    let link = target(db, guild_id, project).await?;
    if role.role_id.get() == guild_id.get() {
        return refuse("@everyone cannot be a reward role.");
    }
    let too_long = matches!(role.duration, RewardDuration::ForHours(h) if h > MAX_HOURS);
    if role.votes_required < 1 || too_long {
        return out_of_limits();
    }
    if let Some(reason) = role_safety::refusal(facts, &role.role_id) {
        return refuse(reason);
    }
    db.add_reward_role(LinkRef::new(guild_id, &link.connection_id), &role)
        .await?;
    let reply = format!(
        "Voters of **{}** get <@&{}> {}",
        link.label(),
        role.role_id,
        describe(&role)
    );
    let problem = facts.known.then(|| role_problem(facts, &role.role_id));
    Ok(with_warnings(reply, problem.flatten()))
}

/// `/topgg roles remove`. Grants that waited for the role while it was paused are dropped.
pub async fn remove_role(
    db: &Db,
    guild_id: &GuildId,
    project: Option<&str>,
    role_id: &RoleId,
    now: Timestamp,
) -> anyhow::Result<String> {
    let link = target(db, guild_id, project).await?;
    let removed = db
        .remove_reward_role(LinkRef::new(guild_id, &link.connection_id), role_id)
        .await?;
    if !removed {
        return refuse(format!(
            "<@&{role_id}> is not a reward role of **{}**.",
            link.label()
        ));
    }
    db.drop_waiting_for_role(GuildRole::new(guild_id, role_id), now)
        .await?;
    Ok(format!(
        "<@&{role_id}> is no longer a reward for **{}**. Members who have it keep it until their grant lapses.",
        link.label()
    ))
}

/// `/topgg roles list`.
pub async fn roles_report(
    db: &Db,
    guild_id: &GuildId,
    project: Option<&str>,
) -> anyhow::Result<String> {
    let link = target(db, guild_id, project).await?;
    let roles = db
        .reward_roles(LinkRef::new(guild_id, &link.connection_id))
        .await?;
    if roles.is_empty() {
        return Ok(format!(
            "**{}** has no reward roles. Add one with `/topgg roles add`.",
            link.label()
        ));
    }
    let lines: Vec<String> = roles
        .iter()
        .map(|r| format!("- <@&{}> {}", r.role_id, describe(r)))
        .collect();
    Ok(format!(
        "Reward roles of **{}**:\n{}",
        link.label(),
        lines.join("\n")
    ))
}

/// "from 5 votes, for 24 h" and the like.
pub fn describe(role: &RewardRole) -> String {
    let from = match role.votes_required {
        1 => "from their first vote".to_string(),
        n => format!("from {n} votes"),
    };
    let how_long = match role.duration {
        RewardDuration::UntilVoteExpires => "until their vote expires (about 12 h)".to_string(),
        RewardDuration::Permanent => "permanently".to_string(),
        RewardDuration::ForHours(h) => format!("for {h} h after each vote"),
    };
    format!("{from}, {how_long}.")
}
