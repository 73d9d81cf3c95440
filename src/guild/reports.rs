//! The texts of `/topgg status`, `/vote` and `/leaderboard`.

use std::fmt::Write as _;

use super::checks::{GuildFacts, findings};
use super::reminders::vote_reminder_lines;
use super::rewards::describe;
use super::role_pause::{paused_line, resume_fixed_roles, resumed_line};
use super::{Caller, choose_link, target};
use crate::domain::ids::{GuildId, RoleId, UserId};
use crate::domain::keys::LinkRef;
use crate::domain::text;
use crate::domain::time::{DAY, Timestamp};
use crate::storage::{Db, GuildLink};

/// `/topgg status`: per link, who connected it, recent votes, settings, delivery health and
/// live checks; then the caller's connections still waiting to be linked.
pub async fn status_report(db: &Db, caller: &Caller, facts: &GuildFacts) -> anyhow::Result<String> {
    let (guild_id, now) = (&caller.guild_id, caller.now);
    let links = db.links_in_guild(guild_id).await?;
    let mut out = String::new();
    for role_id in resume_fixed_roles(db, guild_id, facts, now).await? {
        let _ = writeln!(out, "{}", resumed_line(&role_id));
    }
    if links.is_empty() {
        out.push_str("No Top.gg project is linked to this server yet.\n");
    }
    for link in &links {
        link_status(db, guild_id, link, facts, now, &mut out).await?;
    }
    webhook_mode_status(db, guild_id, &mut out).await?;
    let waiting = db
        .unlinked_connections_of(&caller.user_id, guild_id)
        .await?;
    if !waiting.is_empty() {
        out.push_str("\nYour connections waiting for `/topgg link`:\n");
        for c in waiting {
            let _ = writeln!(out, "- `{}`: {}", c.connection_id, c.label());
        }
    }
    Ok(out)
}

/// The connections made here with `/topgg webhook`: secret set, first signed event.
async fn webhook_mode_status(db: &Db, guild_id: &GuildId, out: &mut String) -> anyhow::Result<()> {
    let made_here = db.webhook_connections_in(guild_id).await?;
    if !made_here.is_empty() {
        out.push_str("\nConnections made with `/topgg webhook`:\n");
    }
    for c in made_here {
        let secret = if c.has_secret {
            "secret saved"
        } else {
            "no secret yet"
        };
        let first = super::first_event_line(c.first_event_at);
        let _ = writeln!(out, "- `{}`: {secret}. {first}", c.connection_id);
    }
    Ok(())
}

async fn link_status(
    db: &Db,
    guild_id: &GuildId,
    link: &GuildLink,
    facts: &GuildFacts,
    now: Timestamp,
    out: &mut String,
) -> anyhow::Result<()> {
    let health = db
        .link_health(LinkRef::new(guild_id, &link.connection_id), now - DAY)
        .await?;
    let roles = db
        .role_settings(LinkRef::new(guild_id, &link.connection_id))
        .await?;
    let _ = writeln!(
        out,
        "**{}** (connection `{}`)",
        link.label(),
        link.connection_id
    );
    let owner = link
        .owner_discord_id
        .as_ref()
        .map_or_else(|| link.owner_name.clone(), |id| format!("<@{id}>"));
    let _ = writeln!(
        out,
        "Connected by {owner} <t:{}:R>",
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
        match (&r.disabled_reason, &r.paused_reason) {
            (Some(why), _) => {
                let _ = writeln!(out, "Reward: <@&{}> disabled: {why}", r.role.role_id);
            }
            (None, Some(why)) => {
                let _ = writeln!(out, "{}", paused_line(&r.role.role_id, why));
            }
            (None, None) => {
                let _ = writeln!(out, "Reward: <@&{}> {}", r.role.role_id, describe(&r.role));
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
    let token = db.api_token_state(&link.connection_id).await?;
    let _ = writeln!(out, "{}", super::api_token::api_token_line(token.as_ref()));
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

/// What `/vote` answers: figures everyone in the channel sees, and (when the caller asked
/// about themselves) their reminder state, for them alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteReplies {
    pub public: String,
    pub private: Option<String>,
}

/// `/vote`: the project's (or, without `project`, every linked project's) vote link and
/// `user`'s figures (default: the caller's).
pub async fn vote_replies(
    db: &Db,
    guild_id: &GuildId,
    caller: &UserId,
    user: Option<&UserId>,
    project: Option<&str>,
    now: Timestamp,
) -> anyhow::Result<VoteReplies> {
    let links = db.links_in_guild(guild_id).await?;
    let links = match project {
        Some(_) => vec![choose_link(links, project)?],
        None if links.is_empty() => vec![choose_link(links, None)?],
        None => links,
    };
    let user = user.unwrap_or(caller);
    let public = vote_report(db, &links, user, now).await?;
    // The caller's reminder state is theirs: a private follow-up.
    let private = if user == caller {
        Some(vote_reminder_lines(db, &links, caller).await?)
    } else {
        None
    };
    Ok(VoteReplies { public, private })
}

/// Each link's vote link and `user_id`'s figures for it.
async fn vote_report(
    db: &Db,
    links: &[GuildLink],
    user_id: &UserId,
    now: Timestamp,
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
                let again = if f.last_expires_at > now {
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

/// A voter as a leaderboard shows them: the name Top.gg sent (shown as written), else a
/// mention (replies never ping).
fn voter_label(row: &crate::storage::LeaderboardRow) -> String {
    let name: String = text::plain(&row.voter_name).chars().take(32).collect();
    match name.trim() {
        "" => match UserId::parse(row.voter_id.as_str()) {
            Ok(id) => format!("<@{id}>"),
            Err(_) => "(unnamed voter)".into(),
        },
        name => format!("**{}**", text::literal(name)),
    }
}

/// `/leaderboard`: top ten voters of this month (`all_time` false) or of all time.
pub async fn leaderboard_report(
    db: &Db,
    guild_id: &GuildId,
    project: Option<&str>,
    all_time: bool,
    now: Timestamp,
) -> anyhow::Result<String> {
    let link = target(db, guild_id, project).await?;
    let month = now.to_datetime().format("%Y-%m").to_string();
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
