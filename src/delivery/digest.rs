//! Burst coalescing: when one channel has more announcements waiting than its rate limit
//! (about 5 messages per 5 s) drains quickly, they are merged into digest messages. Every
//! voter is still listed and only voters may be mentioned. Role grants are never merged.

use std::collections::BTreeMap;

use crate::domain::ids::{ChannelId, ConnectionId, UserId};
use crate::domain::message::{EMBED_COLOUR, Embed, OutgoingMessage, clip, limits};
use crate::domain::nonce::digest_nonce;
use crate::domain::work::Work;
use crate::storage::{Job, JobId};

/// More waiting announcements than this in one channel are merged.
pub const DIGEST_THRESHOLD: usize = 5;
/// Room a text digest's header takes besides the project's name (`**99999 new votes for
/// {project}!**` and the line break).
const TEXT_HEADER_CHARS: usize = 32;
/// Embed digests: the embed description allows 4,096 characters.
const MAX_EMBED_DIGEST_CHARS: usize = 4000;
/// Discord accepts at most 100 ids in `allowed_mentions.users`; the mentions of an embed
/// digest's content (at most 24 characters each) must also fit in 2,000 characters.
const MAX_DIGEST_VOTERS: usize = 80;

/// Several announcements posted as one message.
#[derive(Debug, Clone)]
pub struct Digest {
    pub channel_id: ChannelId,
    /// The message: every voter's mention, and their lines (in an embed for embed links).
    pub message: OutgoingMessage,
    pub nonce: String,
    /// The announcement jobs it stands for.
    pub jobs: Vec<Job>,
}

impl Digest {
    pub fn job_ids(&self) -> Vec<JobId> {
        self.jobs.iter().map(|j| j.id).collect()
    }
}

/// Splits a channel's jobs into digests and the jobs still performed one by one, in their
/// original order. Announcements already posted in a digest (a crash came before they were
/// marked done) go out again under that digest's nonce, so Discord drops the repeat; an
/// interrupted one outside a digest may have been posted alone, so it goes alone again under
/// its own nonce. The others are merged when there are more than [`DIGEST_THRESHOLD`].
pub fn coalesce(jobs: Vec<(Job, Work)>) -> (Vec<Digest>, Vec<(Job, Work)>) {
    let (reposts, jobs): (Vec<_>, Vec<_>) = jobs
        .into_iter()
        .partition(|(job, work)| is_announcement(work) && job.group_nonce.is_some());
    let mut digests = repost(reposts);
    let mergeable = |(job, work): &(Job, Work)| is_announcement(work) && !job.interrupted;
    if jobs.iter().filter(|j| mergeable(j)).count() <= DIGEST_THRESHOLD {
        return (digests, jobs);
    }
    let (merged, singles): (Vec<_>, Vec<_>) = jobs.into_iter().partition(mergeable);
    digests.extend(build(merged));
    (digests, singles)
}

/// Whether `work` may be merged into a digest (only announcements are).
fn is_announcement(work: &Work) -> bool {
    match work {
        Work::Announce { .. } => true,
        Work::TestNotice { .. }
        | Work::GrantRole { .. }
        | Work::RemoveRole { .. }
        | Work::Remind { .. } => false,
    }
}

/// Digests rebuilt from their recorded nonces.
fn repost(jobs: Vec<(Job, Work)>) -> Vec<Digest> {
    let mut by_nonce: BTreeMap<String, Vec<(Job, Work)>> = BTreeMap::new();
    for (job, work) in jobs {
        let nonce = job.group_nonce.clone().unwrap_or_default();
        by_nonce.entry(nonce).or_default().push((job, work));
    }
    let mut digests = Vec::new();
    for (nonce, group) in by_nonce {
        for mut digest in build(group) {
            digest.nonce = nonce.clone();
            digests.push(digest);
        }
    }
    digests
}

/// Packs announcements into digests within Discord's limits, grouped by connection.
fn build(mut merged: Vec<(Job, Work)>) -> Vec<Digest> {
    merged.sort_by(|a, b| {
        (a.0.connection_id.as_ref(), a.0.id).cmp(&(b.0.connection_id.as_ref(), b.0.id))
    });
    let mut digests = Vec::new();
    let mut current: Option<DigestBuilder> = None;
    for (job, work) in merged {
        let Work::Announce {
            channel_id,
            voter_id,
            summary,
            project,
            embed,
            ..
        } = work
        else {
            continue;
        };
        let line = match (summary.is_empty(), &voter_id) {
            (true, Some(voter_id)) => format!("<@{voter_id}>"),
            (true, None) => "Someone".into(),
            (false, _) => summary,
        };
        let fits = current
            .as_ref()
            .is_some_and(|d| d.accepts(&job, &project, &line));
        if !fits {
            digests.extend(current.take().map(DigestBuilder::finish));
            current = Some(DigestBuilder::new(
                channel_id,
                project,
                job.connection_id.clone(),
                embed.is_some(),
            ));
        }
        current
            .as_mut()
            .expect("set above")
            .push(job, voter_id, line);
    }
    digests.extend(current.map(DigestBuilder::finish));
    digests
}

struct DigestBuilder {
    channel_id: ChannelId,
    project: String,
    connection_id: Option<ConnectionId>,
    embedded: bool,
    lines: Vec<String>,
    chars: usize,
    voter_ids: Vec<UserId>,
    jobs: Vec<Job>,
}

impl DigestBuilder {
    fn new(
        channel_id: ChannelId,
        project: String,
        connection_id: Option<ConnectionId>,
        embedded: bool,
    ) -> Self {
        Self {
            channel_id,
            project,
            connection_id,
            embedded,
            lines: Vec::new(),
            chars: 0,
            voter_ids: Vec::new(),
            jobs: Vec::new(),
        }
    }

    fn accepts(&self, job: &Job, project: &str, line: &str) -> bool {
        let budget = if self.embedded {
            MAX_EMBED_DIGEST_CHARS
        } else {
            // The header names the project: a long name leaves less room, so that no voter's
            // line is ever clipped off the end of the message.
            limits::CONTENT.saturating_sub(TEXT_HEADER_CHARS + self.project.chars().count())
        };
        self.connection_id == job.connection_id
            && self.project == project
            && self.chars + line.chars().count() + 2 <= budget
            && self.voter_ids.len() < MAX_DIGEST_VOTERS
    }

    fn push(&mut self, job: Job, voter_id: Option<UserId>, line: String) {
        self.chars += line.chars().count() + 2;
        self.lines.push(line);
        if let Some(voter_id) = voter_id.filter(|v| !self.voter_ids.contains(v)) {
            self.voter_ids.push(voter_id);
        }
        self.jobs.push(job);
    }

    fn finish(self) -> Digest {
        let project = if self.project.is_empty() {
            String::new()
        } else {
            format!(" for {}", self.project)
        };
        let header = format!("{} new votes{project}!", self.lines.len());
        let message = if self.embedded {
            let mentions: Vec<String> = self.voter_ids.iter().map(|v| format!("<@{v}>")).collect();
            OutgoingMessage {
                content: mentions.join(" "),
                embed: Some(Embed {
                    title: Some(clip(&header, limits::EMBED_TITLE)),
                    description: self.lines.join("\n"),
                    colour: EMBED_COLOUR,
                    ..Embed::default()
                }),
                button_url: None,
                allowed_users: self.voter_ids.clone(),
            }
        } else {
            OutgoingMessage {
                content: format!("**{header}**\n{}", self.lines.join(", ")),
                embed: None,
                button_url: None,
                allowed_users: self.voter_ids.clone(),
            }
        };
        let mut digest = Digest {
            nonce: String::new(),
            channel_id: self.channel_id,
            message: message.clipped(),
            jobs: self.jobs,
        };
        let ids: Vec<i64> = digest.job_ids().into_iter().map(JobId::get).collect();
        digest.nonce = digest_nonce(&ids);
        digest
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::GuildId;
    use crate::storage::JobStatus;

    fn job(id: i64, work: Work) -> (Job, Work) {
        let claimed = Job {
            id: id.into(),
            guild_id: Some(GuildId::from(1)),
            connection_id: Some(ConnectionId::from(2)),
            vote_id: None,
            work: work.clone(),
            status: JobStatus::Queued,
            attempts: 0,
            due_at: Default::default(),
            last_error: None,
            created_at: Default::default(),
            group_nonce: None,
            interrupted: false,
        };
        (claimed, work)
    }

    fn announce(id: i64) -> (Job, Work) {
        job(
            id,
            Work::Announce {
                channel_id: ChannelId::from(3),
                content: format!("<@{id}> voted"),
                voter_id: Some(UserId::from(id as u64)),
                nonce: format!("n{id}"),
                summary: format!("<@{id}> (1 votes)"),
                project: "Bot".into(),
                voter_name: String::new(),
                embed: None,
                button_url: None,
            },
        )
    }

    fn announce_embed(id: i64) -> (Job, Work) {
        let (job, mut work) = announce(id);
        if let Work::Announce { embed, .. } = &mut work {
            *embed = Some(Box::default());
        }
        (job, work)
    }

    /// The ids of the jobs the digests stand for, in order.
    fn listed(digests: &[Digest]) -> Vec<i64> {
        digests
            .iter()
            .flat_map(|d| d.job_ids())
            .map(JobId::get)
            .collect()
    }

    /// Whether `text` mentions every voter the message may ping.
    fn mentions_every_pinged_voter(message: &OutgoingMessage, text: &str) -> bool {
        let pinged = &message.allowed_users;
        pinged.iter().all(|v| text.contains(&format!("<@{v}>")))
    }

    #[test]
    fn an_embed_burst_lists_every_voter_within_discords_limits() {
        let (digests, _) = coalesce((1..=300).map(announce_embed).collect());
        assert_eq!(listed(&digests), (1..=300).collect::<Vec<_>>());
        for d in &digests {
            let m = &d.message;
            let embed = m.embed.as_ref().unwrap();
            assert!(m.content.chars().count() <= limits::CONTENT);
            assert!(embed.description.chars().count() <= limits::EMBED_DESCRIPTION);
            assert!(m.allowed_users.len() <= limits::ALLOWED_USERS);
            assert!(mentions_every_pinged_voter(m, &m.content));
            assert!(mentions_every_pinged_voter(m, &embed.description));
        }
    }

    #[test]
    fn a_text_digest_with_a_long_project_name_stays_within_discords_limit_with_every_line_whole() {
        let project = "P".repeat(200);
        let burst = (1..=300).map(|id| {
            let (job, mut work) = announce(id);
            if let Work::Announce {
                project: name,
                summary,
                ..
            } = &mut work
            {
                *name = project.clone();
                *summary = format!("<@{id}> voter with a rather long name {id} (1 votes)");
            }
            (job, work)
        });
        let (digests, _) = coalesce(burst.collect());
        assert!(digests.len() > 1);
        for d in &digests {
            let content = &d.message.content;
            assert!(
                content.chars().count() <= limits::CONTENT,
                "{}",
                content.len()
            );
            for job in &d.jobs {
                let id = job.id.get();
                let line = format!("<@{id}> voter with a rather long name {id} (1 votes)");
                assert!(content.contains(&line), "line {id} cut: {content}");
            }
        }
    }

    #[test]
    fn a_few_announcements_are_posted_one_by_one() {
        let (digests, singles) = coalesce((1..=5).map(announce).collect());
        assert!(digests.is_empty());
        assert_eq!(singles.len(), 5);
    }

    #[test]
    fn a_burst_becomes_digests_listing_every_voter_once() {
        let (digests, singles) = coalesce((1..=200).map(announce).collect());
        assert!(singles.is_empty());
        assert_eq!(listed(&digests), (1..=200).collect::<Vec<_>>());
        for d in &digests {
            let content = &d.message.content;
            assert!(content.chars().count() <= 2000, "{}", content.len());
            assert!(d.message.allowed_users.len() <= 100);
            assert!(mentions_every_pinged_voter(&d.message, content));
        }
        assert!(digests[0].message.content.starts_with("**"));
    }

    #[test]
    fn announcements_already_posted_in_a_digest_keep_its_nonce() {
        let mut jobs: Vec<_> = (1..=3).map(announce).collect();
        for (job, _) in &mut jobs {
            job.group_nonce = Some("earlier".into());
        }
        jobs.push(announce(4));
        let (digests, singles) = coalesce(jobs);
        assert_eq!(digests.len(), 1);
        assert_eq!(
            (digests[0].nonce.as_str(), digests[0].job_ids()),
            ("earlier", vec![1.into(), 2.into(), 3.into()])
        );
        assert_eq!(
            singles.len(),
            1,
            "below the threshold the rest go one by one"
        );
    }

    #[test]
    fn an_interrupted_announcement_goes_alone_under_its_own_nonce_even_in_a_burst() {
        let mut jobs: Vec<_> = (1..=20).map(announce).collect();
        jobs[3].0.interrupted = true;
        let (digests, singles) = coalesce(jobs);
        let ids: Vec<i64> = singles.iter().map(|(j, _)| j.id.get()).collect();
        assert_eq!(
            ids,
            vec![4],
            "it may have been posted alone before the crash"
        );
        assert!(
            digests
                .iter()
                .all(|d| !d.job_ids().contains(&JobId::from(4)))
        );
        let merged: usize = digests.iter().map(|d| d.jobs.len()).sum();
        assert_eq!(merged, 19);
    }

    #[test]
    fn role_work_is_never_merged() {
        let mut jobs: Vec<_> = (1..=10).map(announce).collect();
        jobs.push(job(
            99,
            Work::GrantRole {
                user_id: UserId::from(1),
                role_id: crate::domain::ids::RoleId::from(4),
            },
        ));
        let (digests, singles) = coalesce(jobs);
        assert_eq!(digests.iter().map(|d| d.jobs.len()).sum::<usize>(), 10);
        assert_eq!(singles.len(), 1);
        assert_eq!(singles[0].0.id, JobId::from(99));
    }
}
