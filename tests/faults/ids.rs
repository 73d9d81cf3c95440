//! Ids from outside are parsed before anything reaches Discord: a crafted or non-Discord
//! voter id is stored and counted but never becomes a REST path, a mention or a role; and
//! signed bodies are read as leniently as Top.gg's SDKs read them.

use std::time::Duration;

use serde_json::{Value, json};
use topgg_bot::domain::ids::{ConnectionId, GuildId, UserId};
use topgg_bot::domain::keys::LinkRef;
use topgg_bot::domain::rewards::{RewardDuration, RewardRole};
use topgg_bot::domain::time::Timestamp;
use topgg_bot::samples::sample_vote;
use topgg_testkit::app::SETTLE_LIMIT;
use topgg_testkit::standin::*;
use topgg_testkit::{Backend, OWNER_ID, TestApp, aim_rest_at, bounded, jobs_done};

use crate::faults::{CONNECTION, SECRET};

/// A voter id that, pasted into a role path, climbs out of it to another member's role.
fn crafted_voter() -> String {
    format!("../../../../guilds/{GUILD_ID}/members/{ADMIN_USER_ID}/roles/{HIGH_ROLE_ID}?x=")
}

/// The app aimed at a fresh stand-in, with `project` connected and linked to the stand-in's
/// guild, announcing in `POST_CHANNEL_ID` and rewarding `REWARD_ROLE_ID` from one vote.
async fn linked_app(project: &Value) -> (DiscordStandIn, TestApp) {
    let discord = DiscordStandIn::start().await;
    let url = discord.url();
    let app = TestApp::start_with(Backend::Sqlite, |c| aim_rest_at(c, &url))
        .await
        .unwrap();
    app.connect(CONNECTION, SECRET, project).await;
    let (guild, connection) = (GuildId::from(GUILD_ID), connection());
    let owner = UserId::parse(OWNER_ID).unwrap();
    app.db
        .link(
            LinkRef::new(&guild, &connection),
            &owner,
            Timestamp::from_millis(0),
        )
        .await
        .unwrap();
    let channel = topgg_bot::domain::ids::ChannelId::from(POST_CHANNEL_ID);
    assert!(
        app.db
            .set_channel(LinkRef::new(&guild, &connection), Some(&channel))
            .await
            .unwrap()
    );
    let role = RewardRole {
        role_id: topgg_bot::domain::ids::RoleId::from(REWARD_ROLE_ID),
        votes_required: 1,
        duration: RewardDuration::Permanent,
    };
    app.db
        .add_reward_role(LinkRef::new(&guild, &connection), &role)
        .await
        .unwrap();
    (discord, app)
}

fn connection() -> ConnectionId {
    ConnectionId::parse(CONNECTION).unwrap()
}

fn discord_project() -> Value {
    topgg_testkit::server_project(&GUILD_ID.to_string())
}

/// The path of a REST call without the API version prefix.
fn route(path: &str) -> &str {
    path.strip_prefix("/api/v10").unwrap_or(path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crafted_voter_id_reaches_no_discord_route_but_is_stored_and_counted() {
    bounded(Duration::from_secs(90), async {
        let (discord, app) = linked_app(&discord_project()).await;
        let crafted = sample_vote("crafted", &discord_project(), &crafted_voter(), "Mallory");
        assert_eq!(app.webhook(CONNECTION, SECRET, &crafted).await.0, 204);
        // A real voter after it: the same link does grant roles, so silence is not an accident.
        let plain = PLAIN_USER_ID.to_string();
        let real = sample_vote("real", &discord_project(), &plain, "Pat");
        assert_eq!(app.webhook(CONNECTION, SECRET, &real).await.0, 204);
        assert_eq!(jobs_done(&app.db, 3, SETTLE_LIMIT).await, Some(3));

        let message = format!("/channels/{POST_CHANNEL_ID}/messages");
        let grant = format!("/guilds/{GUILD_ID}/members/{PLAIN_USER_ID}/roles/{REWARD_ROLE_ID}");
        let routes: Vec<(String, String)> = discord
            .requests()
            .iter()
            .map(|r| (r.method.clone(), route(&r.path).to_string()))
            .collect();
        let unexpected: Vec<_> = routes
            .iter()
            .filter(|(m, p)| !((m == "POST" && *p == message) || (m == "PUT" && *p == grant)))
            .collect();
        assert!(
            unexpected.is_empty(),
            "unexpected Discord calls: {unexpected:?}"
        );
        assert_eq!(routes.iter().filter(|(m, _)| m == "PUT").count(), 1);
        assert_eq!(
            discord.member_roles(GUILD_ID, ADMIN_USER_ID),
            Some(vec![ADMIN_ROLE_ID])
        );

        assert_eq!(app.db.vote_count(&connection()).await.unwrap(), 2);
        let board = app.db.leaderboard(&connection(), None, 10).await.unwrap();
        let voters: Vec<&str> = board.iter().map(|r| r.voter_id.as_str()).collect();
        assert!(voters.contains(&crafted_voter().as_str()), "{voters:?}");
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voter_of_a_roblox_game_gets_no_role_and_no_mention_even_with_a_numeric_id() {
    bounded(Duration::from_secs(90), async {
        let game = json!({"id": "900000000000000001", "type": "game", "platform": "roblox",
                          "platform_id": "4924922222"});
        let (discord, app) = linked_app(&game).await;
        let voter = PLAIN_USER_ID.to_string();
        let vote = sample_vote("roblox-1", &game, &voter, "robloxian");
        assert_eq!(app.webhook(CONNECTION, SECRET, &vote).await.0, 204);
        assert_eq!(jobs_done(&app.db, 1, SETTLE_LIMIT).await, Some(1));

        let kinds: Vec<_> = app
            .db
            .all_jobs()
            .await
            .unwrap()
            .iter()
            .map(|j| j.kind())
            .collect();
        assert_eq!(kinds, ["announce"]);
        let posted = discord.messages_in(POST_CHANNEL_ID);
        assert_eq!(posted.len(), 1);
        let text = posted[0].to_string();
        assert!(!text.contains("<@"), "a mention in {text}");
        assert!(text.contains("robloxian"), "no name in {text}");
        let sent = discord.requests_matching("POST", "/channels/");
        assert_eq!(sent[0].body["allowed_mentions"]["users"], json!([]));
        assert!(discord.requests_matching("PUT", "/").is_empty());
        assert_eq!(discord.member_roles(GUILD_ID, PLAIN_USER_ID), Some(vec![]));
        assert_eq!(app.db.vote_count(&connection()).await.unwrap(), 1);
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_with_a_query_string_and_no_expires_at_is_read_and_announced() {
    bounded(Duration::from_secs(90), async {
        let (discord, app) = linked_app(&discord_project()).await;
        let template = Some("{user.name} came from {query.ref}");
        let (guild, connection) = (GuildId::from(GUILD_ID), connection());
        assert!(
            app.db
                .set_template(LinkRef::new(&guild, &connection), template)
                .await
                .unwrap()
        );
        let voter = PLAIN_USER_ID.to_string();
        let mut vote = sample_vote("lenient", &discord_project(), &voter, "Pat");
        let data = vote["data"].as_object_mut().unwrap();
        data.remove("expires_at");
        data.insert("query".into(), json!("?ref=news%20letter&x=1"));
        assert_eq!(app.webhook(CONNECTION, SECRET, &vote).await.0, 204);
        assert!(jobs_done(&app.db, 2, SETTLE_LIMIT).await.is_some());

        let posted = discord.messages_in(POST_CHANNEL_ID);
        let text = posted[0]["embeds"][0]["description"].as_str().unwrap();
        assert_eq!(text, "Pat came from news letter");
        let user = UserId::from(PLAIN_USER_ID);
        let figures = app
            .db
            .voter_figures(&connection, &user)
            .await
            .unwrap()
            .unwrap();
        let twelve_hours = 12 * topgg_bot::domain::time::HOUR;
        assert_eq!(figures.last_expires_at, figures.last_vote_at + twelve_hours);
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_id_not_of_topggs_shape_is_answered_404() {
    bounded(Duration::from_secs(60), async {
        let app = TestApp::start(Backend::Sqlite).await.unwrap();
        let vote = crate::faults::vote(1);
        let long = "1".repeat(65);
        for id in ["a%20b", "a%2Fb", "%2E%2E", "caf%C3%A9", long.as_str()] {
            assert_eq!(app.webhook(id, SECRET, &vote).await.0, 404, "{id}");
        }
        app.stop().await;
    })
    .await;
}
