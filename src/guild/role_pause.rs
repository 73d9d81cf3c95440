//! Paused reward roles as a guild sees them: what `/topgg status` says about one, and resuming
//! those the bot can give again (its highest role above them, with Manage Roles).

use super::checks::{GuildFacts, role_problem};
use crate::domain::ids::{GuildId, RoleId};
use crate::domain::keys::GuildRole;
use crate::domain::time::Timestamp;
use crate::storage::Db;

/// Resumes the guild's paused reward roles that `facts` show the bot can give again (their
/// waiting grants fall due); returns them. Nothing is resumed on facts the bot could not read.
pub async fn resume_fixed_roles(
    db: &Db,
    guild_id: &GuildId,
    facts: &GuildFacts,
    now: Timestamp,
) -> anyhow::Result<Vec<RoleId>> {
    if !facts.known || !facts.manage_roles {
        return Ok(Vec::new());
    }
    let mut resumed = Vec::new();
    for role_id in db.paused_roles(guild_id).await? {
        if role_problem(facts, &role_id).is_some() {
            continue;
        }
        let done = db
            .resume_role(GuildRole::new(guild_id, &role_id), now)
            .await?;
        tracing::info!(guild = %guild_id, role = %role_id, woken = done.woken, expired = done.expired, "reward role resumed");
        resumed.push(role_id);
    }
    Ok(resumed)
}

/// The line saying a paused role was resumed.
pub fn resumed_line(role_id: &RoleId) -> String {
    format!(
        "Resumed <@&{role_id}>: I can give it again, and the grants that waited are being made."
    )
}

/// The status line of a paused reward role: why, and how to fix it.
pub fn paused_line(role_id: &RoleId, reason: &str) -> String {
    format!(
        "Reward: <@&{role_id}> paused: {reason}. Voters' grants wait meanwhile. To fix it, move \
         my role above <@&{role_id}> in Server Settings -> Roles and give me the Manage Roles \
         permission; the waiting grants are made once I see it fixed."
    )
}
