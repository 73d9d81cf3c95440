//! Claiming connections and changing a link's settings.

use super::checks::{GuildFacts, role_problem};
use super::display::preview;
use super::{UserError, refuse, sanitize};
use crate::domain::ids::{ChannelId, ConnectionId, GuildId, RoleId, UserId};
use crate::domain::message::{OutgoingMessage, Style, Voter};
use crate::domain::rewards::{RewardDuration, RewardRole};
use crate::domain::template::DEFAULT_TEMPLATE;
use crate::domain::time::Timestamp;
use crate::storage::{Db, GuildLink, OwnedConnection};

/// Longest template accepted (a rendered message is clipped to Discord's limits anyway).
pub const MAX_TEMPLATE_CHARS: usize = 1500;
/// Longest reward duration: a year.
pub const MAX_HOURS: u32 = 8760;

/// `/topgg link`: links one of `caller`'s connections to `guild_id` and returns it. Only the
/// user who clicked Connect may, and only with Manage Server.
pub async fn claim(
    db: &Db,
    guild_id: &GuildId,
    caller: &UserId,
    caller_manages_guild: bool,
    connection: Option<&str>,
    now: i64,
) -> anyhow::Result<OwnedConnection> {
    if !caller_manages_guild {
        return refuse("You need the Manage Server permission to link a project to this server.");
    }
    let candidates = db.unlinked_connections_of(caller, guild_id).await?;
    let chosen = match connection.map(str::trim).filter(|c| !c.is_empty()) {
        Some(wanted) => match candidates
            .iter()
            .find(|c| c.connection_id.as_str() == wanted)
        {
            Some(found) => found.clone(),
            None => return refuse(why_not_claimable(db, guild_id, caller, wanted).await?),
        },
        None => match candidates.as_slice() {
            [only] => only.clone(),
            [] => {
                return refuse(
                    "You have no Top.gg connection waiting to be linked. Click Connect on your \
                     project's Top.gg page first (only the person who connected it can link it).",
                );
            }
            _ => {
                return refuse(
                    "You have several connections waiting: choose one with the `connection` option.",
                );
            }
        },
    };
    db.link(
        guild_id,
        &chosen.connection_id,
        caller,
        Timestamp::from_millis(now),
    )
    .await?;
    Ok(chosen)
}

/// The answer to a successful `/topgg link`, naming the project (`name`, else its id).
pub fn claimed_reply(chosen: &OwnedConnection, name: Option<&str>) -> String {
    let name = name
        .or(chosen.project_name.as_deref())
        .map(String::from)
        .unwrap_or_else(|| format!("{} {}", chosen.project_type, chosen.project_platform_id));
    let mut reply = format!(
        "Linked **{name}** to this server. Next: choose where votes are announced with \
         `/topgg channel`, and reward voters with `/topgg roles add`."
    );
    if crate::domain::template::vote_url(&chosen.project_type, "").is_none() {
        reply.push_str(
            "\nTop.gg's vote page for this kind of project is not known to me: set it with \
             `/topgg display vote_url:` to show a Vote button.",
        );
    }
    reply
}

async fn why_not_claimable(
    db: &Db,
    guild_id: &GuildId,
    caller: &UserId,
    wanted: &str,
) -> anyhow::Result<String> {
    let Some(connection) = db.connection(&ConnectionId::new(wanted)).await? else {
        return Ok(format!(
            "There is no Top.gg connection `{}`.",
            sanitize(wanted)
        ));
    };
    if connection.owner_discord_id != *caller {
        return Ok(format!(
            "Only the person who clicked Connect on Top.gg (<@{}>) can link this project.",
            connection.owner_discord_id
        ));
    }
    let linked_here = db
        .links_in_guild(guild_id)
        .await?
        .iter()
        .any(|l| l.connection_id.as_str() == wanted);
    Ok(if linked_here {
        "That project is already linked to this server.".into()
    } else {
        format!("The connection `{}` cannot be linked.", sanitize(wanted))
    })
}

/// `/topgg channel`: sets or (with `None`) clears the announcement channel.
pub async fn set_channel(
    db: &Db,
    guild_id: &GuildId,
    link: &GuildLink,
    channel_id: Option<&ChannelId>,
) -> anyhow::Result<String> {
    db.set_channel(guild_id, &link.connection_id, channel_id)
        .await?;
    Ok(match channel_id {
        Some(channel) => format!(
            "Votes for **{}** will be announced in <#{channel}>.",
            link.label()
        ),
        None => format!(
            "Announcements for **{}** are off. Reward roles still work.",
            link.label()
        ),
    })
}

/// `/topgg message`: sets or restores the template (and the style, when given); answers with
/// a sentence and the announcement a vote by `caller` would post.
pub async fn set_template(
    db: &Db,
    guild_id: &GuildId,
    link: &GuildLink,
    template: Option<&str>,
    style: Option<Style>,
    caller: Voter<'_>,
) -> anyhow::Result<(String, OutgoingMessage)> {
    let template = template.map(str::trim).filter(|t| !t.is_empty());
    if template.is_some_and(|t| t.chars().count() > MAX_TEMPLATE_CHARS) {
        return refuse(format!(
            "Templates are limited to {MAX_TEMPLATE_CHARS} characters."
        ));
    }
    db.set_template(guild_id, &link.connection_id, template)
        .await?;
    let style = style.unwrap_or(link.style());
    db.set_style(guild_id, &link.connection_id, style).await?;
    let message = preview(link, template.unwrap_or(DEFAULT_TEMPLATE), style, caller);
    let what = if template.is_some() {
        "Template saved"
    } else {
        "Default template restored"
    };
    Ok((
        format!(
            "{what} (style `{}`). A vote will look like this:",
            style.as_str()
        ),
        message,
    ))
}

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
    link: &GuildLink,
    role: RewardRole,
    facts: &GuildFacts,
) -> anyhow::Result<String> {
    if role.role_id.as_str() == guild_id.as_str() {
        return refuse("@everyone cannot be a reward role.");
    }
    let too_long = matches!(role.duration, RewardDuration::ForHours(h) if h > MAX_HOURS);
    if role.votes_required < 1 || too_long {
        return out_of_limits();
    }
    if let Some(reason) = super::role_safety::refusal(facts, &role.role_id) {
        return refuse(reason);
    }
    db.add_reward_role(guild_id, &link.connection_id, &role)
        .await?;
    let mut reply = format!(
        "Voters of **{}** get <@&{}> {}",
        link.label(),
        role.role_id,
        describe(&role)
    );
    if let Some(problem) = facts
        .known
        .then(|| role_problem(facts, &role.role_id))
        .flatten()
    {
        reply.push_str(&format!("\nWarning: {problem}"));
    }
    Ok(reply)
}

/// `/topgg roles remove`.
pub async fn remove_role(
    db: &Db,
    guild_id: &GuildId,
    link: &GuildLink,
    role_id: &RoleId,
) -> anyhow::Result<String> {
    if db
        .remove_reward_role(guild_id, &link.connection_id, role_id)
        .await?
    {
        Ok(format!(
            "<@&{role_id}> is no longer a reward for **{}**. Members who have it keep it until their grant lapses.",
            link.label()
        ))
    } else {
        Err(UserError(format!(
            "<@&{role_id}> is not a reward role of **{}**.",
            link.label()
        ))
        .into())
    }
}

/// `/topgg roles list`.
pub async fn roles_report(db: &Db, guild_id: &GuildId, link: &GuildLink) -> anyhow::Result<String> {
    let roles = db.reward_roles(guild_id, &link.connection_id).await?;
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
