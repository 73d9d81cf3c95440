//! The HTTP side Top.gg talks to, on a real socket, over SQLite and Postgres.

use serde_json::{Value, json};
use topgg_bot::domain::keys::LinkRef;
use topgg_bot::domain::signature;
use topgg_testkit::{
    INTEGRATION_SECRET, OWNER_ID, TestApp, bot_project, integration_create, server_project, vote,
};

const SECRET: &str = "whs_test_secret";

topgg_testkit::on_both_backends!(
    handshake_stores_the_connection_and_answers_the_webhook_url,
    a_repeated_create_updates_the_secret,
    delete_removes_the_connection_and_later_webhooks_get_404,
    a_vote_delivered_three_times_concurrently_is_stored_once,
    every_rejected_webhook_stores_nothing,
    a_rejected_handshake_stores_nothing,
    a_server_project_links_itself_and_its_votes_queue_work,
    webhook_test_and_unknown_events_are_acknowledged,
);

async fn handshake_stores_the_connection_and_answers_the_webhook_url(app: &TestApp) {
    let reply = app.connect("conn-1", SECRET, &bot_project()).await;
    assert_eq!(
        reply,
        json!({"webhook_url": format!("{}/topgg/webhooks/conn-1", app.base), "routes": ["vote.create", "webhook.test"]})
    );
    let stored = app
        .db
        .connection(&"conn-1".parse().unwrap())
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(
        stored.owner_discord_id.map(|id| id.to_string()).as_deref(),
        Some(OWNER_ID)
    );
    assert_eq!(stored.project_type.as_str(), "bot");
    assert!(
        app.db
            .links_of(&"conn-1".parse().unwrap())
            .await
            .unwrap()
            .is_empty(),
        "bot projects wait for /topgg link"
    );
}

async fn a_repeated_create_updates_the_secret(app: &TestApp) {
    app.connect("conn-1", "whs_old", &bot_project()).await;
    app.connect("conn-1", "whs_new", &bot_project()).await;
    let (status, _) = app
        .webhook("conn-1", "whs_old", &vote("v1", &bot_project(), "1"))
        .await;
    assert_eq!(status, 401);
    let (status, _) = app
        .webhook("conn-1", "whs_new", &vote("v1", &bot_project(), "1"))
        .await;
    assert_eq!(status, 204);
}

async fn delete_removes_the_connection_and_later_webhooks_get_404(app: &TestApp) {
    let guild = "700000000000000001";
    app.connect("conn-1", SECRET, &server_project(guild)).await;
    assert_eq!(
        app.db
            .links_of(&"conn-1".parse().unwrap())
            .await
            .unwrap()
            .len(),
        1
    );
    let delete = json!({"type": "integration.delete", "data": {"connection_id": "conn-1"}});
    let (status, _) = app
        .post_signed("/topgg/integration", INTEGRATION_SECRET, &delete)
        .await;
    assert_eq!(status, 204);
    assert!(
        app.db
            .connection(&"conn-1".parse().unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.db
            .links_of(&"conn-1".parse().unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    let (status, body) = app
        .webhook("conn-1", SECRET, &vote("v1", &server_project(guild), "1"))
        .await;
    assert_eq!(
        (status, body.as_str()),
        (404, r#"{"error":"unknown connection"}"#)
    );
    let (status, _) = app
        .post_signed("/topgg/integration", INTEGRATION_SECRET, &delete)
        .await;
    assert_eq!(status, 204, "deleting an unknown connection is still 204");
}

async fn a_vote_delivered_three_times_concurrently_is_stored_once(app: &TestApp) {
    let guild = "700000000000000001";
    app.connect("conn-1", SECRET, &server_project(guild)).await;
    app.db
        .set_channel(
            LinkRef::new(&guild.parse().unwrap(), &"conn-1".parse().unwrap()),
            Some(&"710000000000000001".parse().unwrap()),
        )
        .await
        .unwrap();
    let body = vote("v-dup", &server_project(guild), "500000000000000001");
    let (a, b, c) = tokio::join!(
        app.webhook("conn-1", SECRET, &body),
        app.webhook("conn-1", SECRET, &body),
        app.webhook("conn-1", SECRET, &body)
    );
    assert_eq!([a.0, b.0, c.0], [204, 204, 204]);
    assert_eq!(
        app.db.vote_count(&"conn-1".parse().unwrap()).await.unwrap(),
        1
    );
    let announcements = app
        .db
        .all_jobs()
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind() == "announce")
        .count();
    assert_eq!(announcements, 1);
}

async fn every_rejected_webhook_stores_nothing(app: &TestApp) {
    app.connect("conn-1", SECRET, &server_project("700000000000000001"))
        .await;
    let path = "/topgg/webhooks/conn-1";
    let good = serde_json::to_vec(&vote("v1", &bot_project(), "1")).unwrap();
    let now = chrono::Utc::now().timestamp();
    let sign = |secret: &str, t: i64, body: &[u8]| Some(signature::sign(secret, t, body));
    let mut no_id: Value = serde_json::from_slice(&good).unwrap();
    no_id["data"].as_object_mut().unwrap().remove("id");
    let no_id = serde_json::to_vec(&no_id).unwrap();
    let huge = [
        b"{\"type\":\"vote.create\",\"pad\":\"".as_slice(),
        &vec![b'a'; 70_000],
        b"\"}",
    ]
    .concat();
    let cases: Vec<(&str, Option<String>, Vec<u8>, u16)> = vec![
        ("no header", None, good.clone(), 401),
        ("bad hex", Some(format!("t={now},v1=zz")), good.clone(), 401),
        (
            "wrong secret",
            sign("whs_wrong", now, &good),
            good.clone(),
            401,
        ),
        (
            "stale timestamp",
            sign(SECRET, now - 600, &good),
            good.clone(),
            401,
        ),
        (
            "future timestamp",
            sign(SECRET, now + 600, &good),
            good.clone(),
            401,
        ),
        (
            "body over 64 KiB",
            sign(SECRET, now, &huge),
            huge.clone(),
            413,
        ),
    ];
    for (what, header, body, expected) in cases {
        let (status, text) = app.post(path, header, body).await;
        assert_eq!(status, expected, "{what}: {text}");
        let error: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{what}: not JSON: {text}"));
        assert!(error["error"].is_string(), "{what}: {text}");
    }
    // Signed but unreadable: kept as dead letters (202), never stored as votes.
    for body in [b"{not json".to_vec(), no_id] {
        let (status, text) = app.post(path, sign(SECRET, now, &body), body).await;
        assert_eq!(status, 202, "{text}");
    }
    assert_eq!(app.db.dead_letters().await.unwrap().len(), 2);
    assert_eq!(
        app.db.vote_count(&"conn-1".parse().unwrap()).await.unwrap(),
        0
    );
    assert!(app.db.all_jobs().await.unwrap().is_empty());
}

async fn a_rejected_handshake_stores_nothing(app: &TestApp) {
    let body = integration_create("conn-x", SECRET, &bot_project(), OWNER_ID);
    let (status, _) = app
        .post_signed("/topgg/integration", "wrong-secret", &body)
        .await;
    assert_eq!(status, 401);
    let (status, _) = app
        .post(
            "/topgg/integration",
            None,
            serde_json::to_vec(&body).unwrap(),
        )
        .await;
    assert_eq!(status, 401);
    let bad_id = integration_create("../../etc", SECRET, &bot_project(), OWNER_ID);
    let (status, _) = app
        .post_signed("/topgg/integration", INTEGRATION_SECRET, &bad_id)
        .await;
    assert_eq!(status, 400);
    // A connection with an empty secret would verify anything signed with the empty key.
    let no_secret = integration_create("conn-x", "", &bot_project(), OWNER_ID);
    let (status, text) = app
        .post_signed("/topgg/integration", INTEGRATION_SECRET, &no_secret)
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(
        app.db
            .connection(&"conn-x".parse().unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_server_project_links_itself_and_its_votes_queue_work(app: &TestApp) {
    let guild = "700000000000000001";
    app.connect("conn-1", SECRET, &server_project(guild)).await;
    let links = app.db.links_of(&"conn-1".parse().unwrap()).await.unwrap();
    assert_eq!(links[0].guild_id.to_string(), guild);
    app.db
        .set_channel(
            LinkRef::new(&guild.parse().unwrap(), &"conn-1".parse().unwrap()),
            Some(&"710000000000000001".parse().unwrap()),
        )
        .await
        .unwrap();
    let (status, _) = app
        .webhook(
            "conn-1",
            SECRET,
            &vote("v1", &server_project(guild), "500000000000000001"),
        )
        .await;
    assert_eq!(status, 204);
    let jobs = app.db.all_jobs().await.unwrap();
    assert_eq!(jobs.len(), 1);
    let payload: Value = serde_json::to_value(&jobs[0].work).unwrap();
    assert_eq!(payload["channel_id"], "710000000000000001");
    assert!(
        payload["content"]
            .as_str()
            .unwrap()
            .contains("<@500000000000000001>")
    );
}

async fn webhook_test_and_unknown_events_are_acknowledged(app: &TestApp) {
    let guild = "700000000000000001";
    app.connect("conn-1", SECRET, &server_project(guild)).await;
    app.db
        .set_channel(
            LinkRef::new(&guild.parse().unwrap(), &"conn-1".parse().unwrap()),
            Some(&"710000000000000001".parse().unwrap()),
        )
        .await
        .unwrap();
    let test = topgg_bot::samples::sample_webhook_test(&server_project(guild));
    assert_eq!(app.webhook("conn-1", SECRET, &test).await.0, 204);
    let unknown = json!({"type": "vote.delete", "data": {"id": "1"}});
    assert_eq!(app.webhook("conn-1", SECRET, &unknown).await.0, 204);
    assert_eq!(
        app.post_signed("/topgg/integration", INTEGRATION_SECRET, &unknown)
            .await
            .0,
        204
    );
    let kinds: Vec<&str> = app
        .db
        .all_jobs()
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.kind())
        .collect();
    assert_eq!(kinds, ["test_notice"]);
    assert_eq!(
        app.db.vote_count(&"conn-1".parse().unwrap()).await.unwrap(),
        0
    );
}

#[tokio::test]
async fn health_and_readiness_answer_while_serving() {
    let app = TestApp::start(topgg_testkit::Backend::Sqlite)
        .await
        .unwrap();
    let health = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let ready = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    let missing = app
        .client
        .get(format!("{}/nope", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn without_an_integration_secret_the_configuration_url_answers_404_and_stores_nothing() {
    let app = TestApp::start_with(topgg_testkit::Backend::Sqlite, |config| {
        config.topgg.integration_secret = None;
    })
    .await
    .unwrap();
    // Signed with what an attacker would try when no secret is set: the empty key.
    let create = integration_create("conn-1", SECRET, &bot_project(), OWNER_ID);
    let (status, body) = app.post_signed("/topgg/integration", "", &create).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("\"error\""), "{body}");
    assert!(
        app.db
            .connection(&"conn-1".parse().unwrap())
            .await
            .unwrap()
            .is_none()
    );
    app.stop().await;
}
