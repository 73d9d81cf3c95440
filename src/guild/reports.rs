//! The texts of `/topgg status`, `/vote` and `/leaderboard`.

use std::fmt::Write as _;

use super::checks::{GuildFacts, findings};
use super::sanitize;
use super::settings::describe;
use crate::domain::ids::RoleId;
use crate::domain::ids::{GuildId, UserId};
use crate::domain::time::Timestamp;
use crate::storage::{Db, GuildLink};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// `/topgg status`: per link, who connected it, recent votes, settings, delivery health and
/// live checks; then the caller's connections still waiting to be linked.
pub async fn status_report(
    db: &Db,
    guild_id: &GuildId,
    caller: &UserId,
    facts: &GuildFacts,
    now: i64,
) -> anyhow::Result<String> {
    let links = db.links_in_guild(guild_id).await?;
    let mut out = String::new();
    if links.is_empty() {
        out.push_str("No Top.gg project is linked to this server yet.\n");
    }
    for link in &links {
        link_status(db, guild_id, link, facts, now, &mut out).await?;
    }
    let waiting = db.unlinked_connections_of(caller, guild_id).await?;
    if !waiting.is_empty() {
        out.push_str("\nYour connections waiting for `/topgg link`:\n");
        for c in waiting {
            let name = c
                .project_name
                .clone()
                .unwrap_or_else(|| format!("{} {}", c.project_type, c.project_platform_id));
            let _ = writeln!(out, "- `{}`: {name}", c.connection_id);
        }
    }
    Ok(out)
}

async fn link_status(
    db: &Db,
    guild_id: &GuildId,
    link: &GuildLink,
    facts: &GuildFacts,
    now: i64,
    out: &mut String,
) -> anyhow::Result<()> {
    let health = db
        .link_health(
            guild_id,
            &link.connection_id,
            Timestamp::from_millis(now - DAY_MS),
        )
        .await?;
    let roles = db.role_settings(guild_id, &link.connection_id).await?;
    let _ = writeln!(
        out,
        "**{}** (connection `{}`)",
        link.label(),
        link.connection_id
    );
    let _ = writeln!(
        out,
        "Connected by <@{}> <t:{}:R>",
        link.owner_discord_id,
        link.connected_at.as_secs()
    );
    let last_vote = health
        .last_vote_at
        .map_or("never".to_string(), |t| format!("<t:{}:R>", t.as_secs()));
    let _ = writeln!(
        out,
        "Last vote: {last_vote}; votes in 24 h: {}",
        health.votes_24h
    );
    let channel = match (&link.channel_id, &link.paused_reason) {
        (None, _) => "off".to_string(),
        (Some(c), None) => format!("<#{c}> (style {})", link.style().as_str()),
        (Some(c), Some(why)) => format!(
            "paused in <#{c}>: {why}. Fix it, then run `/topgg test` or choose a channel with `/topgg channel`."
        ),
    };
    let _ = writeln!(out, "Announcements: {channel}");
    for r in &roles {
        match &r.disabled_reason {
            None => {
                let _ = writeln!(out, "Reward: <@&{}> {}", r.role.role_id, describe(&r.role));
            }
            Some(why) => {
                let _ = writeln!(out, "Reward: <@&{}> disabled: {why}", r.role.role_id);
            }
        }
    }
    let _ = writeln!(
        out,
        "Deliveries: {} queued, {} failed",
        health.queued, health.failed
    );
    if let Some(error) = &health.last_error {
        let _ = writeln!(out, "Last Discord error: {error}");
    }
    let reminders = super::reminders::status_line(db, &link.connection_id, now).await?;
    let _ = writeln!(out, "{reminders}");
    let role_ids: Vec<RoleId> = roles
        .into_iter()
        .filter(|r| r.disabled_reason.is_none())
        .map(|r| r.role.role_id)
        .collect();
    let problems = findings(facts, link.channel_id.as_ref(), &role_ids);
    if problems.is_empty() {
        out.push_str("Checks: I can post and give every reward role.\n");
    }
    for problem in problems {
        let _ = writeln!(out, "Problem: {problem}");
    }
    out.push('\n');
    Ok(())
}

/// `/vote`: each project's vote link and `user_id`'s figures for it.
pub async fn vote_report(
    db: &Db,
    links: &[GuildLink],
    user_id: &UserId,
    now: i64,
) -> anyhow::Result<String> {
    let mut out = String::new();
    for link in links {
        match link.vote_url() {
            Some(url) => writeln!(out, "**{}**: vote at {url}", link.label()),
            None => writeln!(out, "**{}**", link.label()),
        }
        .ok();
        match db.voter_figures(&link.connection_id, user_id).await? {
            None => {
                let _ = writeln!(out, "<@{user_id}> has not voted yet.");
            }
            Some(f) => {
                let again = if f.last_expires_at.as_millis() > now {
                    format!("can vote again <t:{}:R>", f.last_expires_at.as_secs())
                } else {
                    "can vote now".to_string()
                };
                let _ = writeln!(
                    out,
                    "<@{user_id}>: {} votes, streak {}, {again}.",
                    f.total_votes, f.streak
                );
            }
        }
    }
    Ok(out)
}

/// A voter as a leaderboard shows them: the name Top.gg sent (markdown-neutral), else a
/// mention (replies never ping).
fn voter_label(row: &crate::storage::LeaderboardRow) -> String {
    let name: String = sanitize(&row.voter_name)
        .chars()
        .filter(|c| !matches!(c, '*' | '_' | '~' | '|' | '\\' | '<' | '>' | '#'))
        .take(32)
        .collect();
    match name.trim() {
        "" => format!("<@{}>", row.voter_id),
        name => format!("**{name}**"),
    }
}

/// `/leaderboard`: top ten voters of this month (`all_time` false) or of all time.
pub async fn leaderboard_report(
    db: &Db,
    link: &GuildLink,
    all_time: bool,
    now: i64,
) -> anyhow::Result<String> {
    let month = chrono::DateTime::from_timestamp_millis(now)
        .unwrap_or_default()
        .format("%Y-%m")
        .to_string();
    let rows = db
        .leaderboard(
            &link.connection_id,
            (!all_time).then_some(month.as_str()),
            10,
        )
        .await?;
    let period = if all_time {
        "all time".to_string()
    } else {
        month
    };
    let mut out = format!("Top voters for **{}** ({period}):\n", link.label());
    if rows.is_empty() {
        out.push_str("No votes yet.\n");
    }
    for (rank, row) in rows.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. {}: {} votes",
            rank + 1,
            voter_label(row),
            row.votes
        );
    }
    Ok(out)
}
