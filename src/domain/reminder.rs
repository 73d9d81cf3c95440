//! Vote reminders (pure): the queued reminder's payload and nonce, the direct message a voter
//! gets, and the `/remind` replies.

use sha2::{Digest, Sha256};

use super::events::ProjectKind;
use super::ids::{ConnectionId, UserId};
use super::message::OutgoingMessage;
use super::template::{project_label, vote_url};
use super::time::Timestamp;
use super::work::Work;

/// The work of the reminder for `voter_id`'s vote on `connection_id` expiring at `due_at`.
/// The nonce is stable for that expiry, so a retried DM is posted once.
pub fn reminder_work(connection_id: &ConnectionId, voter_id: &UserId, due_at: Timestamp) -> Work {
    let due_ms = due_at.as_millis();
    let digest = Sha256::digest(format!("remind:{connection_id}:{voter_id}:{due_ms}"));
    Work::Remind {
        user_id: voter_id.clone(),
        connection_id: connection_id.clone(),
        nonce: hex::encode(digest)[..25].to_string(),
    }
}

/// What the reminder shows: the project's name and its vote page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderProject {
    pub name: String,
    /// Empty when the project has no known vote page (then no button).
    pub vote_url: String,
}

impl ReminderProject {
    /// From a connection's stored facts: its name (else type and Discord id) and vote page.
    pub fn from_connection(kind: &ProjectKind, platform_id: &str, name: Option<&str>) -> Self {
        let vote_url = vote_url(kind, platform_id).unwrap_or_default();
        Self {
            name: project_label(name, kind, platform_id),
            vote_url,
        }
    }
}

/// The reminder DM: names the project, a link button to vote (when it has a vote page), no
/// pings.
pub fn reminder_message(project: &ReminderProject) -> OutgoingMessage {
    let name = &project.name;
    OutgoingMessage {
        content: format!(
            "You can vote for **{name}** on Top.gg again! (`/remind off` in its server stops these reminders.)"
        ),
        embed: None,
        button_url: Some(project.vote_url.clone()).filter(|url| !url.is_empty()),
        allowed_users: Vec::new(),
    }
}

/// The `/remind on` reply: when the DM will come, or after the next vote.
pub fn on_reply(name: &str, due_at: Option<Timestamp>) -> String {
    match due_at {
        Some(due) => format!(
            "I'll DM you when you can vote for **{name}** again: <t:{}:R>.",
            due.as_secs()
        ),
        None => format!(
            "Reminders on: I'll DM you when you can vote for **{name}** again after your next vote."
        ),
    }
}

/// The `/remind off` reply.
pub fn off_reply(name: &str, was_on: bool) -> String {
    if was_on {
        format!("Reminders off: I won't DM you about voting for **{name}**; I forgot your opt-in.")
    } else {
        format!("Reminders for **{name}** were not on; nothing to turn off.")
    }
}

/// The line a voter sees once after Discord refused their reminder DM.
pub fn refused_notice() -> &'static str {
    "Your vote reminders were turned off because Discord would not let me DM you (you accept \
     no direct messages from this server's members or apps). Allow DMs, then run `/remind on` \
     again."
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::as_shown;

    #[test]
    fn the_nonce_fits_discord_and_changes_with_the_expiry() {
        let (c, u) = (ConnectionId::parse("c").unwrap(), UserId::from(1));
        let a = reminder_work(&c, &u, Timestamp::from_millis(10));
        let b = reminder_work(&c, &u, Timestamp::from_millis(11));
        let nonce = |w: &Work| match w {
            Work::Remind { nonce, .. } => nonce.clone(),
            _ => panic!("not a reminder"),
        };
        assert_eq!(nonce(&a).len(), 25);
        assert_ne!(nonce(&a), nonce(&b));
        assert_eq!(a.kind(), "remind");
    }

    #[test]
    fn a_bot_reminder_names_it_links_its_vote_page_and_may_mention_nobody() {
        let project = ReminderProject::from_connection(&ProjectKind::Bot, "99", Some("Cool *Bot*"));
        let message = reminder_message(&project);
        let content = &message.content;
        assert!(content.contains("**Cool \\*Bot\\***"), "{content}");
        assert!(as_shown(content).contains("Cool *Bot*"), "{content}");
        assert_eq!(
            message.button_url.as_deref(),
            Some("https://top.gg/bot/99/vote")
        );
        assert_eq!((message.embed, message.allowed_users), (None, vec![]));
    }

    #[test]
    fn a_project_without_a_vote_page_gets_no_button() {
        let project = ReminderProject::from_connection(&ProjectKind::Game, "5", None);
        assert_eq!(reminder_message(&project).button_url, None);
    }

    #[test]
    fn replies_say_when_or_after_the_next_vote() {
        assert!(on_reply("X", Some(Timestamp::from_millis(5_000))).contains("<t:5:R>"));
        assert!(on_reply("X", None).contains("after your next vote"));
        let name = project_label(Some("@everyone"), &"bot".into(), "1");
        assert!(!on_reply(&name, None).contains(" @everyone"));
    }
}
