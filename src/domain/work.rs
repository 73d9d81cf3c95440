//! Discord work a vote or test event queues, and how it is planned (pure).

use serde::{Deserialize, Serialize};

use super::announce::announcement;
use super::events::{Vote, WebhookTest};
use super::ids::{ChannelId, ConnectionId, GuildId, RoleId, UserId};
use super::message::{Embed, Style};
use super::rewards::{Grant, RewardRole, grants_for};
use super::tally::Tally;
use super::time::Timestamp;

/// One unit of Discord work, stored as the job's JSON payload; its kind (the serde tag) is
/// the job's `kind` column, see [`Work::kind`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Work {
    /// Post the announcement; only `voter_id` may be mentioned.
    Announce {
        channel_id: ChannelId,
        /// The message content: the voter's mention (style `embed`) or the rendered text.
        content: String,
        voter_id: UserId,
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
        user_id: UserId,
        role_id: RoleId,
    },
    /// Remove the role unless a live grant still holds it.
    RemoveRole {
        user_id: UserId,
        role_id: RoleId,
    },
    /// The answer to `webhook.test`; mentions nobody.
    TestNotice {
        channel_id: ChannelId,
        content: String,
    },
    /// A vote reminder DM to `user_id` for the project of `connection_id` (see
    /// [`super::reminder`]).
    Remind {
        user_id: UserId,
        connection_id: ConnectionId,
        nonce: String,
    },
}

impl Work {
    /// The job kind column: the serde tag, derived from the variant's name (snake case).
    pub fn kind(&self) -> &'static str {
        self.into()
    }
}

/// A guild that linked the voted project, with its settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkSettings {
    pub guild_id: GuildId,
    pub channel_id: Option<ChannelId>,
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
    pub guild_id: GuildId,
    pub work: Work,
    pub due_at: Timestamp,
    /// For grants: the live grant to record (the role and when it lapses, `None`: never).
    pub grant: Option<Grant>,
}

/// What a stored vote sets in motion in every linked guild.
pub fn plan_vote(
    vote: &Vote,
    tally: &Tally,
    links: &[LinkSettings],
    now: Timestamp,
) -> Vec<PlannedJob> {
    let mut jobs = Vec::new();
    for link in links {
        if let Some(channel_id) = link.channel_id.as_ref().filter(|_| !link.paused) {
            jobs.push(announcement(vote, tally, link, channel_id, now));
        }
        for grant in grants_for(&link.roles, tally.total, vote.expiry(), now) {
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
    guild_id: &GuildId,
    user_id: &UserId,
    grant: Grant,
    now: Timestamp,
) -> Vec<PlannedJob> {
    let role_work = |remove: bool| {
        let (user_id, role_id) = (user_id.clone(), grant.role_id.clone());
        if remove {
            Work::RemoveRole { user_id, role_id }
        } else {
            Work::GrantRole { user_id, role_id }
        }
    };
    let mut jobs = vec![PlannedJob {
        guild_id: guild_id.clone(),
        work: role_work(false),
        due_at: now,
        grant: Some(grant.clone()),
    }];
    if let Some(expires_at) = grant.expires_at {
        jobs.push(PlannedJob {
            guild_id: guild_id.clone(),
            work: role_work(true),
            due_at: expires_at,
            grant: None,
        });
    }
    jobs
}

/// The notice `webhook.test` posts in each linked channel.
pub fn plan_test_notice(
    test: &WebhookTest,
    links: &[LinkSettings],
    now: Timestamp,
) -> Vec<PlannedJob> {
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
    use crate::domain::ids::VoteId;
    use crate::domain::nonce::announcement_nonce;
    use crate::domain::rewards::RewardDuration;

    fn vote() -> Vote {
        Vote {
            id: VoteId::new("v1"),
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
                platform_id: UserId::new("42"),
                name: "Ann".into(),
                avatar_url: None,
            },
            query: None,
        }
    }

    fn link(channel: Option<&str>, roles: Vec<RewardRole>) -> LinkSettings {
        LinkSettings {
            guild_id: GuildId::new("g"),
            channel_id: channel.map(ChannelId::new),
            template: Some("{user} {votes}".into()),
            roles,
            style: Style::Text,
            ..Default::default()
        }
    }

    const TALLY: Tally = Tally {
        total: 2,
        streak: 2,
        last_vote_at: Timestamp::EPOCH,
    };

    const NOW: Timestamp = Timestamp::from_millis(5);

    #[test]
    fn a_link_with_a_channel_gets_one_rendered_announcement_with_a_nonce() {
        let jobs = plan_vote(&vote(), &TALLY, &[link(Some("c"), vec![])], NOW);
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
        assert_eq!(
            nonce,
            &announcement_nonce(&VoteId::new("v1"), &GuildId::new("g"))
        );
    }

    #[test]
    fn a_link_without_a_channel_announces_nothing() {
        assert!(plan_vote(&vote(), &TALLY, &[link(None, vec![])], NOW).is_empty());
    }

    #[test]
    fn a_temporary_role_is_granted_now_and_removed_when_the_vote_expires() {
        let role = RewardRole {
            role_id: RoleId::new("r"),
            votes_required: 1,
            duration: RewardDuration::UntilVoteExpires,
        };
        let jobs = plan_vote(&vote(), &TALLY, &[link(None, vec![role])], NOW);
        let expiry = vote().expiry();
        assert_eq!(jobs[0].work.kind(), "grant_role");
        let grant = Grant {
            role_id: RoleId::new("r"),
            expires_at: Some(expiry),
        };
        assert_eq!(jobs[0].grant, Some(grant));
        assert_eq!(
            (jobs[1].work.kind(), jobs[1].due_at),
            ("remove_role", expiry)
        );
    }

    #[test]
    fn a_permanent_role_schedules_no_removal() {
        let role = RewardRole {
            role_id: RoleId::new("r"),
            votes_required: 2,
            duration: RewardDuration::Permanent,
        };
        let jobs = plan_vote(&vote(), &TALLY, &[link(None, vec![role])], NOW);
        assert_eq!(jobs.len(), 1);
        let grant = Grant {
            role_id: RoleId::new("r"),
            expires_at: None,
        };
        assert_eq!(jobs[0].grant, Some(grant));
    }

    #[test]
    fn a_test_notice_goes_to_each_linked_channel() {
        let test = WebhookTest {
            project: vote().project,
            user: vote().user,
        };
        let links = [link(Some("c"), vec![]), link(None, vec![])];
        let jobs = plan_test_notice(&test, &links, NOW);
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
        let jobs = plan_vote(&vote(), &TALLY, &[l], NOW);
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
            role_id: RoleId::new("r"),
            votes_required: 1,
            duration: RewardDuration::Permanent,
        };
        let mut l = link(Some("c"), vec![role]);
        l.paused = true;
        let jobs = plan_vote(&vote(), &TALLY, &[l], NOW);
        let kinds: Vec<_> = jobs.iter().map(|j| j.work.kind()).collect();
        assert_eq!(kinds, ["grant_role"]);
    }

    #[test]
    fn every_kind_is_the_serde_tag_of_its_variant() {
        let (user_id, role_id) = (UserId::new("1"), RoleId::new("2"));
        let all = [
            plan_vote(&vote(), &TALLY, &[link(Some("c"), vec![])], NOW)[0]
                .work
                .clone(),
            Work::GrantRole {
                user_id: user_id.clone(),
                role_id: role_id.clone(),
            },
            Work::RemoveRole { user_id, role_id },
            Work::TestNotice {
                channel_id: ChannelId::new("c"),
                content: String::new(),
            },
            crate::domain::reminder::reminder_work(&ConnectionId::new("c"), &UserId::new("1"), NOW),
        ];
        for work in all {
            let json = serde_json::to_value(&work).unwrap();
            assert_eq!(json["kind"], work.kind(), "{work:?}");
        }
    }
}
