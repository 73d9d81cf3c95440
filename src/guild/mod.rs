//! What admins and voters do in a guild, as plain functions over the database: choosing a
//! link, claiming a connection, changing settings, and the reports the commands show. Each
//! slash command in [`crate::bot`] parses its options, calls ONE of these and sends the reply.

mod api_token;
pub mod checks;
mod claim;
#[cfg(test)]
pub(crate) mod command_tests;
mod display;
pub mod names;
mod reminders;
mod reports;
mod rewards;
pub mod role_pause;
pub mod role_safety;
mod sample;
mod settings;
mod webhook_mode;

pub use api_token::set_api_token;
pub use claim::{link_project, unlink};
pub use display::set_display;
pub use reminders::remind_report;
pub use reports::{VoteReplies, leaderboard_report, status_report, vote_replies};
pub use rewards::{add_role, remove_role, reward_duration, roles_report};
pub use sample::test_announcement;
pub use settings::{Preview, set_channel, set_template};
pub use webhook_mode::{
    BUTTON_MINUTES, PROJECT_TYPES, WebhookSetup, first_event_line, save_webhook_secret,
    webhook_setup,
};

use crate::domain::ids::{GuildId, UserId};
use crate::domain::message::Voter;
use crate::storage::{Db, GuildLink};

/// The refusal of a command run outside a server.
pub const GUILD_ONLY: &str = "This command only works in a server.";

/// Who runs a command, and in which guild, as the bot read it from the interaction.
#[derive(Debug, Clone)]
pub struct Caller {
    pub guild_id: GuildId,
    pub user_id: UserId,
    pub name: String,
    pub avatar_url: Option<String>,
    /// Manage Server (or Administrator) where they ran the command.
    pub manages_guild: bool,
    /// When the command ran, on the app's clock.
    pub now: crate::domain::time::Timestamp,
}

impl Caller {
    /// The caller as a sample announcement shows them.
    pub fn voter(&self) -> Voter<'_> {
        Voter {
            id: Some(&self.user_id),
            name: &self.name,
            avatar_url: self.avatar_url.as_deref(),
        }
    }
}

/// The guild a command runs in, or the [`GUILD_ONLY`] refusal.
pub fn in_guild(guild_id: Option<GuildId>) -> anyhow::Result<GuildId> {
    match guild_id {
        Some(id) => Ok(id),
        None => refuse(GUILD_ONLY),
    }
}

/// A refusal or problem explained in a sentence a server admin understands. Shown to the
/// caller as is; everything else is logged and answered with a generic apology.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UserError(pub String);

pub fn refuse<T>(message: impl Into<String>) -> anyhow::Result<T> {
    Err(UserError(message.into()).into())
}

/// `reply` followed by a warning line for each of `problems`.
fn with_warnings(mut reply: String, problems: impl IntoIterator<Item = String>) -> String {
    for problem in problems {
        reply.push_str(&format!("\nWarning: {problem}"));
    }
    reply
}

/// The link of `guild_id` a command acts on (see [`choose_link`]).
pub async fn target(
    db: &Db,
    guild_id: &GuildId,
    project: Option<&str>,
) -> anyhow::Result<GuildLink> {
    choose_link(db.links_in_guild(guild_id).await?, project)
}

/// The link a command acts on: the one named by `project` (connection id, project id, Discord
/// id or name), or the only one.
pub fn choose_link(links: Vec<GuildLink>, project: Option<&str>) -> anyhow::Result<GuildLink> {
    if links.is_empty() {
        return refuse(
            "No Top.gg project is linked to this server yet. Click Connect on your project's \
             Top.gg page, then run `/topgg link` here.",
        );
    }
    match project.map(str::trim).filter(|p| !p.is_empty()) {
        Some(wanted) => match links.into_iter().find(|l| matches_project(l, wanted)) {
            Some(link) => Ok(link),
            None => refuse(format!(
                "No project linked to this server matches `{}`.",
                sanitize(wanted)
            )),
        },
        None if links.len() == 1 => Ok(links.into_iter().next().expect("one link")),
        None => refuse("This server links several projects: choose one with the `project` option."),
    }
}

fn matches_project(link: &GuildLink, wanted: &str) -> bool {
    link.connection_id.as_str() == wanted
        || link.project_id == wanted
        || link.project_platform_id == wanted
        || link
            .project_name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(wanted))
}

/// Text from a user, safe to echo: no mentions, no code-block breaks, bounded.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .take(100)
        .map(|c| if c == '`' || c == '@' { '\'' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::ConnectionId;

    fn link(connection_id: &str, platform_id: &str) -> GuildLink {
        GuildLink {
            connection_id: ConnectionId::parse(connection_id).unwrap(),
            project_id: format!("p{connection_id}"),
            project_type: crate::domain::events::ProjectKind::Bot,
            project_platform_id: platform_id.into(),
            project_name: None,
            display_name: None,
            display_vote_url: None,
            style: None,
            paused_reason: None,
            owner_discord_id: Some(UserId::from(1)),
            owner_name: "o".into(),
            connected_at: Default::default(),
            linked_by: Some(UserId::from(1)),
            linked_at: Default::default(),
            channel_id: None,
            template: None,
        }
    }

    fn message(result: anyhow::Result<GuildLink>) -> String {
        result.unwrap_err().downcast::<UserError>().unwrap().0
    }

    #[test]
    fn the_only_link_is_chosen_without_a_project() {
        assert_eq!(
            choose_link(vec![link("c1", "9")], None)
                .unwrap()
                .connection_id,
            ConnectionId::parse("c1").unwrap()
        );
    }

    #[test]
    fn several_links_need_a_project_which_matches_by_any_id() {
        let links = vec![link("c1", "9"), link("c2", "8")];
        assert!(message(choose_link(links.clone(), None)).contains("several projects"));
        assert_eq!(
            choose_link(links.clone(), Some("8")).unwrap().connection_id,
            ConnectionId::parse("c2").unwrap()
        );
        assert_eq!(
            choose_link(links.clone(), Some("c1"))
                .unwrap()
                .connection_id,
            ConnectionId::parse("c1").unwrap()
        );
        assert!(message(choose_link(links, Some("@everyone"))).contains("'everyone"));
    }

    #[test]
    fn no_link_explains_how_to_connect() {
        assert!(message(choose_link(vec![], None)).contains("/topgg link"));
    }
}
