//! What `/remind` does and what `/vote` and `/topgg status` say about reminders.

use crate::domain::ids::{ConnectionId, UserId};
use crate::domain::reminder::{off_reply, on_reply, refused_notice};
use crate::domain::time::Timestamp;
use crate::storage::{Db, GuildLink};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Turns `voter_id`'s reminder for the link's project on or off; the reply says what will
/// happen, after the refusal notice if Discord refused their last reminder DM.
pub async fn remind_report(
    db: &Db,
    link: &GuildLink,
    voter_id: &UserId,
    on: bool,
    now: i64,
) -> anyhow::Result<String> {
    let notice = db.take_reminder_notice(voter_id).await?;
    let name = link.label();
    let text = if on {
        on_reply(
            &name,
            db.remind_on(&link.connection_id, voter_id, Timestamp::from_millis(now))
                .await?,
        )
    } else {
        off_reply(&name, db.remind_off(&link.connection_id, voter_id).await?)
    };
    Ok(match notice {
        Some(_) => format!("{}\n{text}", refused_notice()),
        None => text,
    })
}

/// The `/vote` lines about the caller's reminders: whether they are on for each project, and
/// once, why Discord turned them off.
pub async fn vote_reminder_lines(
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
pub async fn status_line(
    db: &Db,
    connection_id: &ConnectionId,
    now: i64,
) -> anyhow::Result<String> {
    let since = Timestamp::from_millis(now - DAY_MS);
    let figures = db.reminder_figures(connection_id, since).await?;
    Ok(format!(
        "Reminders: {} voter(s) opted in, {} sent in 24 h",
        figures.opted_in, figures.sent_24h
    ))
}
