//! The guild functions the commands call, over a real SQLite database and the dry-run sink
//! instead of Discord: what a command answers and what it changes.

use super::*;
use crate::discord::{Discord, DryRunAction, DryRunSink};
use crate::domain::events::Event;
use crate::domain::ids::ChannelId;
use crate::domain::keys::{GuildRole, LinkRef};
use crate::domain::message::Style;
use crate::domain::time::{Clock as _, Timestamp};
use crate::samples::{sample_integration_create, sample_project};

pub(crate) const GUILD: u64 = 700_000_000_000_000_001;
const OWNER: u64 = 800_000_000_000_000_001;
const CHANNEL: u64 = 710_000_000_000_000_001;

pub(crate) struct Scratch {
    pub(crate) db: Db,
    _dir: tempfile::TempDir,
}

/// A fresh database with a server project connected by [`OWNER`], not linked yet.
pub(crate) async fn scratch() -> Scratch {
    let (db, dir) = crate::storage::scratch_sqlite().await;
    let project = sample_project("p1", "game", "123");
    let body = sample_integration_create("c1", "whs", &project, &OWNER.to_string());
    let Ok(Event::IntegrationCreate(create)) = Event::parse(&serde_json::to_vec(&body).unwrap())
    else {
        panic!("a sample integration.create parses");
    };
    db.upsert_connection(&create, Timestamp::from_millis(0))
        .await
        .unwrap();
    Scratch { db, _dir: dir }
}

fn owner() -> Caller {
    Caller {
        guild_id: GUILD.into(),
        user_id: OWNER.into(),
        name: "owner".into(),
        avatar_url: None,
        manages_guild: true,
        now: crate::domain::time::SystemClock.now(),
    }
}

fn refusal(result: anyhow::Result<String>) -> String {
    result.unwrap_err().downcast::<UserError>().unwrap().0
}

#[tokio::test]
async fn linking_names_the_project_and_unlinking_says_it_is_gone() {
    let s = scratch().await;
    let discord = Discord::dry_run(DryRunSink::default());
    let linked = link_project(&s.db, &discord, &owner(), None).await.unwrap();
    assert!(
        linked.starts_with("Linked **game 123** to this server."),
        "{linked}"
    );
    let gone = unlink(&s.db, &GUILD.into(), None).await.unwrap();
    assert_eq!(gone, "Unlinked **game 123** from this server.");
    let again = unlink(&s.db, &GUILD.into(), None).await;
    assert!(refusal(again).contains("No Top.gg project is linked"));
}

#[tokio::test]
async fn linking_without_manage_server_is_refused_in_a_sentence() {
    let s = scratch().await;
    let discord = Discord::dry_run(DryRunSink::default());
    let caller = Caller {
        manages_guild: false,
        now: crate::domain::time::SystemClock.now(),
        ..owner()
    };
    let refused = link_project(&s.db, &discord, &caller, None).await;
    assert!(refusal(refused).contains("Manage Server permission"));
}

#[tokio::test]
async fn the_test_command_posts_a_sample_pinging_no_one_in_the_chosen_channel() {
    let s = scratch().await;
    let sink = DryRunSink::default();
    let discord = Discord::dry_run(sink.clone());
    link_project(&s.db, &discord, &owner(), None).await.unwrap();
    let facts = checks::GuildFacts::default();
    let channel = ChannelId::from(CHANNEL);
    let set = set_channel(&s.db, &GUILD.into(), None, Some(&channel), &facts).await;
    assert!(
        set.unwrap()
            .starts_with("Votes for **game 123** will be announced in <#")
    );
    let reply = test_announcement(&s.db, &discord, &owner(), None, &facts)
        .await
        .unwrap();
    assert!(reply.starts_with(&format!("Posted a sample announcement in <#{CHANNEL}>.")));
    let actions = sink.actions();
    let [DryRunAction::Post { channel_id, body }] = actions.as_slice() else {
        panic!("one post: {actions:?}");
    };
    assert_eq!(channel_id, &CHANNEL.to_string());
    assert!(
        body["content"].as_str().unwrap().starts_with("(test) "),
        "{body}"
    );
    assert_eq!(
        body["allowed_mentions"]["users"],
        serde_json::json!([]),
        "{body}"
    );
}

#[tokio::test]
async fn changing_only_the_style_keeps_a_custom_template_and_nothing_restores_the_default() {
    let s = scratch().await;
    let discord = Discord::dry_run(DryRunSink::default());
    link_project(&s.db, &discord, &owner(), None).await.unwrap();
    let template = Some("{user} is a star");
    set_template(&s.db, &owner(), None, template, None)
        .await
        .unwrap();
    set_template(&s.db, &owner(), None, None, Some(Style::Text))
        .await
        .unwrap();
    let link = target(&s.db, &GUILD.into(), None).await.unwrap();
    assert_eq!(link.template.as_deref(), Some("{user} is a star"));
    assert_eq!(link.style(), Style::Text);

    set_template(&s.db, &owner(), None, None, None)
        .await
        .unwrap();
    let link = target(&s.db, &GUILD.into(), None).await.unwrap();
    assert_eq!(link.template, None);
}

#[tokio::test]
async fn setting_only_the_vote_url_keeps_a_custom_name_and_nothing_restores_both() {
    let s = scratch().await;
    let discord = Discord::dry_run(DryRunSink::default());
    link_project(&s.db, &discord, &owner(), None).await.unwrap();
    let guild = GuildId::from(GUILD);
    set_display(&s.db, &guild, None, Some("Our Game"), None)
        .await
        .unwrap();
    let url = Some("https://example.com/vote");
    let reply = set_display(&s.db, &guild, None, None, url).await.unwrap();
    assert!(reply.contains("**Our Game**"), "{reply}");
    let link = target(&s.db, &guild, None).await.unwrap();
    assert_eq!(link.display_name.as_deref(), Some("Our Game"));
    assert_eq!(link.display_vote_url.as_deref(), url);

    set_display(&s.db, &guild, None, None, None).await.unwrap();
    let link = target(&s.db, &guild, None).await.unwrap();
    assert_eq!((link.display_name, link.display_vote_url), (None, None));
}

/// A linked project whose reward roles 901 (below the bot) and 902 (above it) Discord refused.
pub(crate) async fn two_paused_roles(s: &Scratch) -> checks::GuildFacts {
    let discord = Discord::dry_run(DryRunSink::default());
    link_project(&s.db, &discord, &owner(), None).await.unwrap();
    let guild = GuildId::from(GUILD);
    let mut roles = std::collections::HashMap::new();
    for (id, position) in [(901_u64, 2), (902, 7)] {
        let role = crate::domain::rewards::RewardRole {
            role_id: id.into(),
            votes_required: 1,
            duration: crate::domain::rewards::RewardDuration::Permanent,
        };
        s.db.add_reward_role(LinkRef::new(&guild, &"c1".parse().unwrap()), &role)
            .await
            .unwrap();
        let reason = "Discord refused me the role (code 50013)";
        s.db.pause_role(GuildRole::new(&guild, &role.role_id), reason)
            .await
            .unwrap();
        let facts = checks::RoleFacts {
            position,
            ..Default::default()
        };
        roles.insert(role.role_id, facts);
    }
    checks::GuildFacts {
        known: true,
        manage_roles: true,
        bot_top_position: 5,
        roles,
        ..Default::default()
    }
}

pub(crate) async fn paused(s: &Scratch, role: u64) -> bool {
    let guild = GuildId::from(GUILD);
    s.db.is_role_paused(GuildRole::new(&guild, &role.into()))
        .await
        .unwrap()
}

#[tokio::test]
async fn status_resumes_a_paused_role_the_bot_can_give_again_and_says_how_to_fix_the_other() {
    let s = scratch().await;
    let facts = two_paused_roles(&s).await;
    let report = status_report(&s.db, &owner(), &facts).await.unwrap();
    assert!(report.contains("Resumed <@&901>"), "{report}");
    assert!(
        report.contains("<@&902> paused: Discord refused me the role (code 50013)")
            && report.contains("move my role above <@&902>")
            && report.contains("Manage Roles"),
        "{report}"
    );
    assert!(!paused(&s, 901).await);
    assert!(paused(&s, 902).await);
}

#[tokio::test]
async fn the_test_command_resumes_a_paused_role_the_bot_can_give_again() {
    let s = scratch().await;
    let facts = two_paused_roles(&s).await;
    let discord = Discord::dry_run(DryRunSink::default());
    let reply = test_announcement(&s.db, &discord, &owner(), None, &facts)
        .await
        .unwrap();
    assert!(reply.contains("Resumed <@&901>"), "{reply}");
    assert!(!reply.contains("Resumed <@&902>"), "{reply}");
    assert!(!paused(&s, 901).await);
    assert!(paused(&s, 902).await);
}
