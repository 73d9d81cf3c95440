//! What `/remind` does and what `/vote` and `/topgg status` say about reminders.

use super::target;
use crate::domain::ids::{ConnectionId, GuildId, UserId};
use crate::domain::reminder::{off_reply, on_reply, refused_notice};
use crate::domain::time::{DAY, Timestamp};
use crate::storage::{Db, GuildLink};

/// `/remind on|off`: turns `voter`'s reminder for the project on or off; the reply says what
/// will happen, after the refusal notice if Discord refused their last reminder DM.
pub async fn remind_report(
    db: &Db,
    guild_id: &GuildId,
    project: Option<&str>,
    voter: &UserId,
    on: bool,
    now: Timestamp,
) -> anyhow::Result<String> {
    let link = target(db, guild_id, project).await?;
    let notice = db.take_reminder_notice(voter).await?;
    let name = link.label();
    let text = if on {
        on_reply(&name, db.remind_on(&link.connection_id, voter, now).await?)
    } else {
        off_reply(&name, db.remind_off(&link.connection_id, voter).await?)
    };
    Ok(match notice {
        Some(_) => format!("{}\n{text}", refused_notice()),
        None => text,
    })
}

/// The `/vote` lines about the caller's reminders: whether they are on for each project, and
/// once, why Discord turned them off.
pub(super) async fn vote_reminder_lines(
    db: &Db,
    links: &[GuildLink],
    voter_id: &UserId,
) -> anyhow::Result<String> {
    let mut lines = Vec::new();
    if db.take_reminder_notice(voter_id).await?.is_some() {
        lines.push(refused_notice().to_string());
    }
    for link in links {
        let on = db.reminder_is_on(&link.connection_id, voter_id).await?;
        let state = if on {
            "on"
        } else {
            "off (`/remind on` to get a DM when you can vote again)"
        };
        lines.push(format!("Your reminders for {}: {state}", link.label()));
    }
    Ok(lines.join("\n"))
}

/// The `/topgg status` line: opted-in voters and reminders sent in 24 h.
pub(super) async fn status_line(
    db: &Db,
    connection_id: &ConnectionId,
    now: Timestamp,
) -> anyhow::Result<String> {
    let figures = db.reminder_figures(connection_id, now - DAY).await?;
    Ok(format!(
        "Reminders: {} voter(s) opted in, {} sent in 24 h",
        figures.opted_in, figures.sent_24h
    ))
}
