//! Dead letters: a correctly signed body this version cannot read is kept (202), shown by
//! `topgg-bot dead-letters list`, and applied once by `topgg-bot dead-letters replay`, both
//! run as real processes with nothing but the database URL.

use serde_json::Value;
use topgg_bot::domain::keys::LinkRef;
use topgg_bot::samples::sample_webhook_test;
use topgg_bot::storage::{LetterSource, NewDeadLetter};
use topgg_testkit::process::run_to_end;
use topgg_testkit::{Backend, TestApp, bot_project, server_project, vote};

const CONNECTION: &str = "conn-dead";
const SECRET: &str = "whs_dead_letter_secret";

/// A vote this version cannot read: no `data.id`.
fn vote_without_id(id: &str) -> Value {
    let mut body = vote(id, &bot_project(), "500000000000000001");
    body["data"].as_object_mut().unwrap().remove("id");
    body
}

/// Runs `topgg-bot dead-letters ACTION` with only `DATABASE_URL` set; its stdout.
async fn dead_letters(app: &TestApp, action: &str) -> String {
    let env = [("DATABASE_URL", app.database_url.as_str())];
    let output = run_to_end(&["dead-letters", action], &env).await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    stdout
}

async fn metrics(app: &TestApp) -> String {
    let url = format!("{}/metrics", app.base);
    app.client
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_signed_vote_is_answered_202_kept_counted_and_listed() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    app.connect(CONNECTION, SECRET, &bot_project()).await;
    let body = vote_without_id("never-read");
    let (status, text) = app.webhook(CONNECTION, SECRET, &body).await;
    assert_eq!(status, 202, "{text}");

    let letters = app.db.dead_letters().await.unwrap();
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(
        letter.body(),
        serde_json::to_vec(&body).unwrap(),
        "the raw body"
    );
    assert_eq!(letter.connection_id.as_str(), CONNECTION);
    assert!(letter.signature.as_deref().unwrap().contains("v1="));
    assert!(
        letter.reason.contains("missing field `id`"),
        "{}",
        letter.reason
    );
    assert_eq!(
        app.db
            .vote_count(&CONNECTION.parse().unwrap())
            .await
            .unwrap(),
        0
    );
    let counted = r#"topgg_bot_dead_letters_total{source="webhook"} 1"#;
    assert!(metrics(&app).await.contains(counted));

    let listed = dead_letters(&app, "list").await;
    assert!(listed.contains(&format!("#{} ", letter.id)), "{listed}");
    assert!(
        listed.contains(CONNECTION) && listed.contains("waiting"),
        "{listed}"
    );
    assert!(listed.contains("missing field `id`"), "{listed}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configuration_url_still_answers_400_to_an_unreadable_signed_body() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let body = serde_json::json!({"type": "integration.create", "data": {"connection_id": "c"}});
    let secret = topgg_testkit::INTEGRATION_SECRET;
    let (status, text) = app.post_signed("/topgg/integration", secret, &body).await;
    assert_eq!(status, 400, "{text}");
    assert!(app.db.dead_letters().await.unwrap().is_empty());
    app.stop().await;
}

/// "After an upgrade": one binary cannot read a body and then read it, so the readable
/// letter is stored as an older version would have stored a body it could not read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_applies_a_readable_letter_once_and_keeps_an_unreadable_one_with_its_reason() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    app.connect(CONNECTION, SECRET, &bot_project()).await;
    let readable = serde_json::to_vec(&vote("upgraded", &bot_project(), "42")).unwrap();
    let connection = CONNECTION.parse().unwrap();
    let letter = NewDeadLetter {
        connection: &connection,
        source: LetterSource::Webhook,
        body: &readable,
        signature: None,
        trace: Some("trace-1"),
        reason: "an older version could not read this",
        received_at: app.clock.now(),
    };
    let kept = app.db.store_dead_letter(&letter).await.unwrap();
    let (status, _) = app.webhook(CONNECTION, SECRET, &vote_without_id("x")).await;
    assert_eq!(status, 202);

    let first = dead_letters(&app, "replay").await;
    assert!(first.contains("1 applied, 1 kept"), "{first}");
    assert!(first.contains(&format!("#{kept}: vote stored")), "{first}");
    let second = dead_letters(&app, "replay").await;
    assert!(second.contains("0 applied, 1 kept"), "{second}");
    assert_eq!(app.db.vote_count(&connection).await.unwrap(), 1, "one vote");

    let letters = app.db.dead_letters().await.unwrap();
    assert!(letters[0].replayed_at.is_some(), "{letters:?}");
    assert!(letters[1].replayed_at.is_none(), "{letters:?}");
    assert!(
        letters[1].reason.contains("missing field `id`"),
        "{letters:?}"
    );
    let listed = dead_letters(&app, "list").await;
    assert!(
        listed.contains("replayed") && listed.contains("waiting"),
        "{listed}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_webhook_test_queues_its_notice_once() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let guild = "1100000000000000001";
    let project = server_project(guild);
    app.connect(CONNECTION, SECRET, &project).await;
    let connection = CONNECTION.parse().unwrap();
    let channel = "1400000000000000001".parse().unwrap();
    let guild = guild.parse().unwrap();
    let linked = app
        .db
        .set_channel(LinkRef::new(&guild, &connection), Some(&channel));
    assert!(linked.await.unwrap());
    let body = serde_json::to_vec(&sample_webhook_test(&project)).unwrap();
    let letter = NewDeadLetter {
        connection: &connection,
        source: LetterSource::Webhook,
        body: &body,
        signature: None,
        trace: None,
        reason: "an older version could not read this",
        received_at: app.clock.now(),
    };
    app.db.store_dead_letter(&letter).await.unwrap();

    let first = dead_letters(&app, "replay").await;
    assert!(first.contains("test notice queued"), "{first}");
    let second = dead_letters(&app, "replay").await;
    assert!(second.contains("0 applied, 0 kept"), "{second}");
    let jobs = app.db.all_jobs().await.unwrap();
    let notices = jobs.iter().filter(|j| j.kind() == "test_notice").count();
    assert_eq!(notices, 1, "{jobs:?}");
    app.stop().await;
}
