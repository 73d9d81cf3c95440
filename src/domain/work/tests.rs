//! Planning tests: what a vote or a test event queues, and the job kinds.

use super::*;
use crate::domain::events::{Project, User};
use crate::domain::ids::{VoteId, VoterId};
use crate::domain::nonce::announcement_nonce;
use crate::domain::rewards::RewardDuration;

const GUILD: u64 = 10;
const CHANNEL: u64 = 11;
const ROLE: u64 = 12;

fn vote() -> Vote {
    Vote {
        id: VoteId::parse("v1").unwrap(),
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
            platform_id: VoterId::parse("42").unwrap(),
            name: "Ann".into(),
            avatar_url: None,
        },
        query: None,
    }
}

fn link(channel: Option<u64>, roles: Vec<RewardRole>) -> LinkSettings {
    LinkSettings {
        guild_id: GuildId::from(GUILD),
        channel_id: channel.map(ChannelId::from),
        template: Some("{user} {votes}".into()),
        roles,
        style: Style::Text,
        project_name: None,
        vote_url: None,
        paused: false,
    }
}

/// The reward role [`ROLE`] from `votes_required` votes.
fn role(votes_required: i64, duration: RewardDuration) -> RewardRole {
    RewardRole {
        role_id: RoleId::from(ROLE),
        votes_required,
        duration,
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
    let jobs = plan_vote(&vote(), &TALLY, &[link(Some(CHANNEL), vec![])], NOW);
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
        (content.as_str(), voter_id, channel_id),
        (
            "<@42> 2",
            &Some(UserId::from(42)),
            &ChannelId::from(CHANNEL)
        )
    );
    assert_eq!(
        nonce,
        &announcement_nonce(&VoteId::parse("v1").unwrap(), &GuildId::from(GUILD))
    );
}

#[test]
fn a_link_without_a_channel_announces_nothing() {
    assert!(plan_vote(&vote(), &TALLY, &[link(None, vec![])], NOW).is_empty());
}

#[test]
fn a_temporary_role_is_granted_now_and_removed_when_the_vote_expires() {
    let role = role(1, RewardDuration::UntilVoteExpires);
    let jobs = plan_vote(&vote(), &TALLY, &[link(None, vec![role])], NOW);
    let expiry = vote().expiry();
    assert_eq!(jobs[0].work.kind(), "grant_role");
    let grant = Grant {
        role_id: RoleId::from(ROLE),
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
    let role = role(2, RewardDuration::Permanent);
    let jobs = plan_vote(&vote(), &TALLY, &[link(None, vec![role])], NOW);
    assert_eq!(jobs.len(), 1);
    let grant = Grant {
        role_id: RoleId::from(ROLE),
        expires_at: None,
    };
    assert_eq!(jobs[0].grant, Some(grant));
}

#[test]
fn a_voter_who_is_not_a_discord_user_is_announced_by_name_with_no_role_and_no_mention() {
    let role = role(1, RewardDuration::Permanent);
    for (platform, voter) in [
        ("discord", "../../guilds/1/members/2/roles/3?x="),
        ("roblox", "42"),
    ] {
        let mut v = vote();
        v.project.platform = platform.into();
        v.user.platform_id = VoterId::parse(voter).unwrap();
        let jobs = plan_vote(&v, &TALLY, &[link(Some(CHANNEL), vec![role.clone()])], NOW);
        let kinds: Vec<_> = jobs.iter().map(|j| j.work.kind()).collect();
        assert_eq!(kinds, ["announce"], "{platform}");
        let Work::Announce {
            content,
            voter_id,
            summary,
            ..
        } = &jobs[0].work
        else {
            unreachable!()
        };
        assert_eq!((content.as_str(), voter_id), ("Ann 2", &None));
        assert_eq!(summary, "Ann (2 votes)");
    }
}

#[test]
fn a_payload_naming_a_user_that_is_not_a_snowflake_does_not_read() {
    let crafted = r#"{"kind":"grant_role","user_id":"../../x","role_id":"7"}"#;
    assert!(serde_json::from_str::<Work>(crafted).is_err());
}

#[test]
fn a_test_notice_goes_to_each_linked_channel() {
    let test = WebhookTest {
        project: vote().project,
        user: vote().user,
    };
    let links = [link(Some(CHANNEL), vec![]), link(None, vec![])];
    let jobs = plan_test_notice(&test, &links, NOW);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].work.kind(), "test_notice");
}

#[test]
fn an_embed_link_announces_with_the_voters_mention_an_embed_and_a_vote_button() {
    let mut l = link(Some(CHANNEL), vec![]);
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
    let role = role(1, RewardDuration::Permanent);
    let mut l = link(Some(CHANNEL), vec![role]);
    l.paused = true;
    let jobs = plan_vote(&vote(), &TALLY, &[l], NOW);
    let kinds: Vec<_> = jobs.iter().map(|j| j.work.kind()).collect();
    assert_eq!(kinds, ["grant_role"]);
}

#[test]
fn every_kind_is_the_serde_tag_of_its_variant() {
    let (user_id, role_id) = (UserId::from(1), RoleId::from(2));
    let all = [
        plan_vote(&vote(), &TALLY, &[link(Some(CHANNEL), vec![])], NOW)[0]
            .work
            .clone(),
        Work::GrantRole {
            user_id: user_id.clone(),
            role_id: role_id.clone(),
        },
        Work::RemoveRole { user_id, role_id },
        Work::TestNotice {
            channel_id: ChannelId::from(CHANNEL),
            content: String::new(),
        },
        crate::domain::reminder::reminder_work(
            &ConnectionId::parse("c").unwrap(),
            &UserId::from(1),
            NOW,
        ),
    ];
    for work in all {
        let json = serde_json::to_value(&work).unwrap();
        assert_eq!(json["kind"], work.kind(), "{work:?}");
    }
}

#[test]
fn a_payload_queued_before_typed_ids_reads_back_and_writes_the_same_bytes() {
    let stored = [
        r#"{"kind":"grant_role","user_id":"42","role_id":"7"}"#,
        r#"{"kind":"remind","user_id":"42","connection_id":"c","nonce":"n"}"#,
        r#"{"kind":"announce","channel_id":"1","content":"<@42>","voter_id":"42","nonce":"n","summary":"","project":"P"}"#,
    ];
    for payload in stored {
        let work: Work = serde_json::from_str(payload).unwrap();
        assert_eq!(serde_json::to_string(&work).unwrap(), payload);
    }
}
