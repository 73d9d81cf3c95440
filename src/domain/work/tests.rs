//! Planning tests: what a vote or a test event queues, and the job kinds.

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
