//! One tenant cannot write another's history: a connection's project is fixed once known, and
//! a webhook-mode connection counts in its own history until an API token proves its project.

use topgg_bot::domain::ids::GuildId;
use topgg_bot::domain::keys::LinkRef;
use topgg_bot::domain::rewards::{RewardDuration, RewardRole};
use topgg_bot::domain::time::Clock;
use topgg_bot::topgg::TopggApi;
use topgg_testkit::topgg::{API_TOKEN, TopggStandIn};
use topgg_testkit::{bot_project, server_project};

use super::{
    ANN, BOB, GUILD_A, GUILD_B, History, PROJECT_A, PROJECT_B, bot_platform_id, project_a,
};

const SECRET_A: &str = "whs_secret_of_a";
const ATTACKER_SECRET: &str = "whs_attackers_own_secret";

pub async fn a_vote_naming_another_project_than_the_connections_is_refused(h: &History) {
    h.app.connect("conn-a", SECRET_A, &project_a()).await;
    let (status, body) = h.vote("conn-a", SECRET_A, "v-b", &bot_project(), ANN).await;
    assert_eq!(status, 403, "{body}");
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("another Top.gg project"),
        "{body}"
    );
    let db = &h.app.db;
    assert_eq!(db.vote_count(&"conn-a".parse().unwrap()).await.unwrap(), 0);
    assert_eq!(db.history_voter_count(PROJECT_B).await.unwrap(), 0);
    assert_eq!(db.history_voter_count(PROJECT_A).await.unwrap(), 0);

    let test = topgg_bot::samples::sample_webhook_test(&bot_project());
    let (status, body) = h.app.webhook("conn-a", SECRET_A, &test).await;
    assert_eq!(status, 204, "Top.gg's test event still works: {body}");
    let (status, _) = h.vote("conn-a", SECRET_A, "v-a", &project_a(), ANN).await;
    assert_eq!(status, 204, "its own project's votes are taken");
    assert_eq!(db.history_voter_count(PROJECT_A).await.unwrap(), 1);
}

/// Project A's guild announces and rewards its votes; a webhook-mode owner elsewhere signs,
/// with their own secret, a vote naming project A.
pub async fn a_forged_vote_for_another_guilds_project_changes_nothing_there(h: &History) {
    let (db, guild_a) = (&h.app.db, GUILD_A.parse::<GuildId>().unwrap());
    h.app.connect("conn-a", SECRET_A, &project_a()).await;
    let conn_a = "conn-a".parse().unwrap();
    let channel = "710000000000000001".parse().unwrap();
    assert!(
        db.set_channel(LinkRef::new(&guild_a, &conn_a), Some(&channel))
            .await
            .unwrap()
    );
    let role = RewardRole {
        role_id: "720000000000000001".parse().unwrap(),
        votes_required: 1,
        duration: RewardDuration::Permanent,
    };
    db.add_reward_role(LinkRef::new(&guild_a, &conn_a), &role)
        .await
        .unwrap();
    let (status, _) = h
        .vote("conn-a", SECRET_A, "v-real", &project_a(), ANN)
        .await;
    assert_eq!(status, 204);
    let jobs_in_a = || async {
        let jobs = db.all_jobs().await.unwrap();
        jobs.iter()
            .filter(|j| j.guild_id.as_ref() == Some(&guild_a))
            .count()
    };
    let (jobs_before, figures_before) = (jobs_in_a().await, h.figures(PROJECT_A, ANN).await);
    assert!(jobs_before >= 2, "the real vote is announced and rewarded");
    let board_before = db.leaderboard(&conn_a, None, 10).await.unwrap();

    h.webhook_connection("attacker", GUILD_B, &bot_platform_id(), ATTACKER_SECRET)
        .await;
    for (id, voter) in [("v-forged-1", ANN), ("v-forged-2", BOB)] {
        let (status, body) = h
            .vote("attacker", ATTACKER_SECRET, id, &project_a(), voter)
            .await;
        assert_eq!(status, 204, "counted in the attacker's own history: {body}");
    }

    assert_eq!(
        h.figures(PROJECT_A, ANN).await,
        figures_before,
        "A's totals unchanged"
    );
    assert_eq!(h.figures(PROJECT_A, BOB).await, None);
    assert_eq!(
        db.leaderboard(&conn_a, None, 10).await.unwrap(),
        board_before
    );
    assert_eq!(
        jobs_in_a().await,
        jobs_before,
        "no announcement or role in A's guild"
    );
    let own = h
        .figures("webhook:attacker", ANN)
        .await
        .expect("its own history");
    assert_eq!(own.total_votes, 1);
}

/// The token's `/projects/@me` is project B: the webhook-mode connection's votes count in B's
/// history from then on, its own history merged into it, and a vote naming another project
/// is refused.
pub async fn an_api_token_proves_a_webhook_connections_project_and_merges_its_own_history(
    h: &History,
) {
    let db = &h.app.db;
    h.app
        .connect("conn-b", "whs_secret_b", &bot_project())
        .await;
    let (status, _) = h
        .vote("conn-b", "whs_secret_b", "v1", &bot_project(), ANN)
        .await;
    assert_eq!(status, 204);
    h.webhook_connection("hooked", GUILD_B, &bot_platform_id(), "whs_hooked")
        .await;
    let (status, _) = h
        .vote("hooked", "whs_hooked", "v2", &bot_project(), ANN)
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        h.figures(PROJECT_B, ANN).await.unwrap().total_votes,
        1,
        "not proved yet"
    );
    assert_eq!(
        h.figures("webhook:hooked", ANN).await.unwrap().total_votes,
        1
    );

    let topgg = TopggStandIn::start(&bot_project()).await;
    let api = TopggApi::new(reqwest::Client::new(), &topgg.api_url());
    let guild_b = GUILD_B.parse().unwrap();
    let now = h.clock.now();
    let saved = topgg_bot::guild::set_api_token(db, &api, &guild_b, None, API_TOKEN, now);
    let saved = saved.await.unwrap();
    assert!(saved.starts_with("Saved"), "{saved}");
    let hooked = db
        .connection(&"hooked".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hooked.project_id, PROJECT_B);
    assert_eq!(
        h.figures(PROJECT_B, ANN).await.unwrap().total_votes,
        2,
        "merged"
    );
    assert_eq!(h.figures("webhook:hooked", ANN).await, None);

    h.app.connections.refresh().await.unwrap();
    let (status, _) = h
        .vote("hooked", "whs_hooked", "v3", &bot_project(), ANN)
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        h.figures(PROJECT_B, ANN).await.unwrap().total_votes,
        3,
        "shared now"
    );
    let other = server_project(GUILD_A);
    let (status, body) = h.vote("hooked", "whs_hooked", "v4", &other, ANN).await;
    assert_eq!(status, 403, "its project is fixed now: {body}");
}
