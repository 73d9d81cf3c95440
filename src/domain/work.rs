//! Discord work a vote or test event queues, and how it is planned (pure).

use serde::{Deserialize, Serialize};

use super::announce::announcement;
use super::events::{Vote, WebhookTest};
use super::message::{Embed, Style};
use super::rewards::{RewardRole, grants_for};
use super::tally::Tally;

/// One unit of Discord work, stored as the job's JSON payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Work {
    /// Post the announcement; only `voter_id` may be mentioned.
    Announce {
        channel_id: String,
        /// The message content: the voter's mention (style `embed`) or the rendered text.
        content: String,
        voter_id: String,
        nonce: String,
        /// Style `embed`: the rendered template with the voter's name and avatar.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        embed: Option<Box<Embed>>,
        /// A link button to the vote page.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        button_url: Option<String>,
        /// The voter's line in a digest, e.g. `<@id> (3 votes)`.
        #[serde(default)]
        summary: String,
        /// The project's label in a digest header.
        #[serde(default)]
        project: String,
    },
    GrantRole {
        user_id: String,
        role_id: String,
    },
    /// Remove the role unless a live grant still holds it.
    RemoveRole {
        user_id: String,
        role_id: String,
    },
    /// The answer to `webhook.test`; mentions nobody.
    TestNotice {
        channel_id: String,
        content: String,
    },
    /// A vote reminder DM to `user_id` for the project of `connection_id` (see
    /// [`super::reminder`]).
    Remind {
        user_id: String,
        connection_id: String,
        nonce: String,
    },
}

impl Work {
    /// The job kind column: the serde tag.
    pub fn kind(&self) -> &'static str {
        match self {
            Work::Announce { .. } => "announce",
            Work::GrantRole { .. } => "grant_role",
            Work::RemoveRole { .. } => "remove_role",
            Work::TestNotice { .. } => "test_notice",
            Work::Remind { .. } => super::reminder::KIND,
        }
    }
}

/// A guild that linked the voted project, with its settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkSettings {
    pub guild_id: String,
    pub channel_id: Option<String>,
    pub template: Option<String>,
    /// Active reward roles (deleted ones are disabled and left out).
    pub roles: Vec<RewardRole>,
    /// How this guild names the project (`/topgg display`, the guild's or bot's name).
    pub project_name: Option<String>,
    /// The vote page this guild shows (`/topgg display`, else the known page), if any.
    pub vote_url: Option<String>,
    pub style: Style,
    /// Announcements paused: the channel is gone or the bot lost access to it.
    pub paused: bool,
}

/// A job to queue: the work, its guild, when it is due, and the role grant it records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedJob {
    pub guild_id: String,
    pub work: Work,
    pub due_at: i64,
    /// For grants: the live grant to record (`role_id`, lapse time or `None`: permanent).
    pub grant: Option<(String, Option<i64>)>,
}

/// What a stored vote sets in motion in every linked guild. Times are unix ms.
pub fn plan_vote(vote: &Vote, tally: &Tally, links: &[LinkSettings], now: i64) -> Vec<PlannedJob> {
    let mut jobs = Vec::new();
    for link in links {
        if let Some(channel_id) = link.channel_id.as_deref().filter(|_| !link.paused) {
            jobs.push(announcement(vote, tally, link, channel_id, now));
        }
        let expires_at = vote.expires_at.timestamp_millis();
        for grant in grants_for(&link.roles, tally.total, expires_at, now) {
            jobs.extend(grant_jobs(
                &link.guild_id,
                &vote.user.platform_id,
                grant,
                now,
            ));
        }
    }
    jobs
}

fn grant_jobs(
    guild_id: &str,
    user_id: &str,
    grant: super::rewards::Grant,
    now: i64,
) -> Vec<PlannedJob> {
    let role_work = |remove: bool| {
        let (user_id, role_id) = (user_id.to_string(), grant.role_id.clone());
        if remove {
            Work::RemoveRole { user_id, role_id }
        } else {
            Work::GrantRole { user_id, role_id }
        }
    };
    let mut jobs = vec![PlannedJob {
        guild_id: guild_id.to_string(),
        work: role_work(false),
        due_at: now,
        grant: Some((grant.role_id.clone(), grant.expires_at)),
    }];
    if let Some(expires_at) = grant.expires_at {
        jobs.push(PlannedJob {
            guild_id: guild_id.to_string(),
            work: role_work(true),
            due_at: expires_at,
            grant: None,
        });
    }
    jobs
}

/// The notice `webhook.test` posts in each linked channel.
pub fn plan_test_notice(test: &WebhookTest, links: &[LinkSettings], now: i64) -> Vec<PlannedJob> {
    links
        .iter()
        .filter_map(|link| {
            let channel_id = link.channel_id.clone()?;
            let project = link.project_name.as_deref().unwrap_or(&test.project.platform_id);
            let content = format!(
                "Top.gg test webhook received for **{project}** (sent by {}). Vote announcements will appear in this channel.",
                test.user.name
            );
            Some(PlannedJob {
                guild_id: link.guild_id.clone(),
                work: Work::TestNotice {
                    channel_id,
                    content,
                },
                due_at: now,
                grant: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::{Project, User};
    use crate::domain::nonce::announcement_nonce;

    fn vote() -> Vote {
        Vote {
            id: "v1".into(),
            weight: 1,
            created_at: "2026-02-09T00:00:00Z".parse().unwrap(),
            expires_at: "2026-02-09T12:00:00Z".parse().unwrap(),
            project: Project {
                id: "p".into(),
                kind: "bot".into(),
                platform: "discord".into(),
                platform_id: "99".into(),
            },
            user: User {
                id: "t".into(),
                platform_id: "42".into(),
                name: "Ann".into(),
                avatar_url: None,
            },
            query: None,
        }
    }

    fn link(channel: Option<&str>, roles: Vec<RewardRole>) -> LinkSettings {
        LinkSettings {
            guild_id: "g".into(),
            channel_id: channel.map(String::from),
            template: Some("{user} {votes}".into()),
            roles,
            style: Style::Text,
            ..Default::default()
        }
    }

    const TALLY: Tally = Tally {
        total: 2,
        streak: 2,
        last_vote_at: 0,
    };

    #[test]
    fn a_link_with_a_channel_gets_one_rendered_announcement_with_a_nonce() {
        let jobs = plan_vote(&vote(), &TALLY, &[link(Some("c"), vec![])], 5);
        assert_eq!(jobs.len(), 1);
        let Work::Announce {
            content,
            voter_id,
            nonce,
            channel_id,
            ..
        } = &jobs[0].work
        else {
            panic!("not an announcement");
        };
        assert_eq!(
            (content.as_str(), voter_id.as_str(), channel_id.as_str()),
            ("<@42> 2", "42", "c")
        );
        assert_eq!(nonce, &announcement_nonce("v1", "g"));
    }

    #[test]
    fn a_link_without_a_channel_announces_nothing() {
        assert!(plan_vote(&vote(), &TALLY, &[link(None, vec![])], 5).is_empty());
    }

    #[test]
    fn a_temporary_role_is_granted_now_and_removed_when_the_vote_expires() {
        let role = RewardRole {
            role_id: "r".into(),
            votes_required: 1,
            hours: None,
        };
        let jobs = plan_vote(&vote(), &TALLY, &[link(None, vec![role])], 5);
        let expiry = vote().expires_at.timestamp_millis();
        assert_eq!(jobs[0].work.kind(), "grant_role");
        assert_eq!(jobs[0].grant, Some(("r".into(), Some(expiry))));
        assert_eq!(
            (jobs[1].work.kind(), jobs[1].due_at),
            ("remove_role", expiry)
        );
    }

    #[test]
    fn a_permanent_role_schedules_no_removal() {
        let role = RewardRole {
            role_id: "r".into(),
            votes_required: 2,
            hours: Some(0),
        };
        let jobs = plan_vote(&vote(), &TALLY, &[link(None, vec![role])], 5);
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].grant, Some(("r".into(), None)));
    }

    #[test]
    fn a_test_notice_goes_to_each_linked_channel() {
        let test = WebhookTest {
            project: vote().project,
            user: vote().user,
        };
        let jobs = plan_test_notice(&test, &[link(Some("c"), vec![]), link(None, vec![])], 1);
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].work.kind(), "test_notice");
    }

    #[test]
    fn an_embed_link_announces_with_the_voters_mention_an_embed_and_a_vote_button() {
        let mut l = link(Some("c"), vec![]);
        l.style = Style::Embed;
        l.project_name = Some("Cool Bot".into());
        l.template = Some("{user.name} voted for {project}".into());
        l.vote_url = Some("https://top.gg/bot/99/vote".into());
        let jobs = plan_vote(&vote(), &TALLY, &[l], 5);
        let Work::Announce {
            content,
            embed,
            button_url,
            ..
        } = &jobs[0].work
        else {
            panic!("not an announcement");
        };
        assert_eq!(content, "<@42>");
        assert_eq!(
            embed.as_ref().unwrap().description,
            "Ann voted for Cool Bot"
        );
        assert_eq!(button_url.as_deref(), Some("https://top.gg/bot/99/vote"));
    }

    #[test]
    fn a_paused_link_announces_nothing_but_still_grants_roles() {
        let role = RewardRole {
            role_id: "r".into(),
            votes_required: 1,
            hours: Some(0),
        };
        let mut l = link(Some("c"), vec![role]);
        l.paused = true;
        let jobs = plan_vote(&vote(), &TALLY, &[l], 5);
        let kinds: Vec<_> = jobs.iter().map(|j| j.work.kind()).collect();
        assert_eq!(kinds, ["grant_role"]);
    }
}
