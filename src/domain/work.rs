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
    /// Post the announcement; only `voter_id` may be mentioned (nobody when the voter is not
    /// a Discord user).
    Announce {
        channel_id: ChannelId,
        /// The message content: the voter's mention (style `embed`) or the rendered text.
        content: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        voter_id: Option<UserId>,
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
        /// The voter's name as shown (empty when unknown): replaces their mention when
        /// AutoMod refuses a message for its mentions. Left out of the payload when empty,
        /// so older payloads keep their bytes.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        voter_name: String,
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
#[derive(Debug, Clone, PartialEq, Eq)]
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

impl PlannedJob {
    /// The live grant this job records, and whose it is.
    pub fn grant_for(&self) -> Option<(&Grant, &UserId)> {
        match &self.work {
            Work::GrantRole { user_id, .. } => self.grant.as_ref().map(|grant| (grant, user_id)),
            Work::Announce { .. }
            | Work::TestNotice { .. }
            | Work::RemoveRole { .. }
            | Work::Remind { .. } => None,
        }
    }
}

/// What a stored vote sets in motion in every linked guild; a voter who is not a Discord user
/// is announced by name and gets no role.
pub fn plan_vote(
    vote: &Vote,
    tally: &Tally,
    links: &[LinkSettings],
    now: Timestamp,
) -> Vec<PlannedJob> {
    let mut jobs = Vec::new();
    let voter = vote.discord_voter();
    for link in links {
        if let Some(channel_id) = link.channel_id.as_ref().filter(|_| !link.paused) {
            jobs.push(announcement(vote, tally, link, channel_id, now));
        }
        let Some(voter) = &voter else { continue };
        for grant in grants_for(&link.roles, tally.total, vote.expiry(), now) {
            jobs.extend(grant_jobs(&link.guild_id, voter, grant, now));
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
mod tests;
