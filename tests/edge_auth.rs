//! Authentication at the webhook URL, over a real socket on SQLite and Postgres: several
//! `v1=` parts, replayed `webhook.test`s, no database work for requests that cannot be
//! authentic, and connections stored by another instance.

use std::time::Instant;

use serde_json::{Value, json};
use tokio::task::JoinSet;
use topgg_bot::domain::events::Event;
use topgg_bot::domain::keys::LinkRef;
use topgg_bot::domain::signature;
use topgg_bot::domain::time::{Clock, SystemClock};
use topgg_bot::storage::SYNC_EVERY;
use topgg_testkit::{TestApp, eventually, integration_create, server_project, vote};

const GUILD: &str = "700000000000000001";
const CHANNEL: &str = "710000000000000001";
const SECRET: &str = "whs_edge_auth_secret";

topgg_testkit::on_both_backends!(
    a_header_with_two_v1_parts_is_accepted_when_either_matches,
    a_stale_or_missing_signature_is_refused_before_the_connection_is_looked_up,
    a_replayed_webhook_test_queues_its_notice_once,
    a_thousand_requests_to_made_up_connections_make_a_few_queries,
    connections_stored_and_deleted_by_another_instance_are_picked_up,
    the_first_delivery_to_a_connection_just_made_by_another_instance_is_accepted,
);

fn now() -> i64 {
    SystemClock.now().as_secs()
}

fn bytes(body: &Value) -> Vec<u8> {
    serde_json::to_vec(body).unwrap()
}

/// The `v1=` hex of `body` signed with `secret` at `t`.
fn mac(secret: &str, t: i64, body: &[u8]) -> String {
    let header = signature::sign(secret, t, body);
    header.split_once(",v1=").unwrap().1.to_string()
}

async fn connect_announcing(app: &TestApp, connection: &str) {
    app.connect(connection, SECRET, &server_project(GUILD))
        .await;
    let (guild, conn, channel) = (
        GUILD.parse().unwrap(),
        connection.parse().unwrap(),
        CHANNEL.parse().unwrap(),
    );
    app.db
        .set_channel(LinkRef::new(&guild, &conn), Some(&channel))
        .await
        .unwrap();
}

async fn a_header_with_two_v1_parts_is_accepted_when_either_matches(app: &TestApp) {
    app.connect("conn-1", SECRET, &server_project(GUILD)).await;
    let path = "/topgg/webhooks/conn-1";
    for (i, (first, second)) in [("whs_rotated_out", SECRET), (SECRET, "whs_rotated_in")]
        .into_iter()
        .enumerate()
    {
        let body = bytes(&vote(&format!("v-{i}"), &server_project(GUILD), "701"));
        let t = now();
        let header = format!(
            "t={t},v1={},v1={}",
            mac(first, t, &body),
            mac(second, t, &body)
        );
        let (status, text) = app.post(path, Some(header), body).await;
        assert_eq!(status, 204, "{first}, {second}: {text}");
    }
    let body = bytes(&vote("v-none", &server_project(GUILD), "701"));
    let t = now();
    let neither = format!(
        "t={t},v1={},v1={}",
        mac("whs_a", t, &body),
        mac("whs_b", t, &body)
    );
    assert_eq!(app.post(path, Some(neither), body).await.0, 401);
    assert_eq!(
        app.db.vote_count(&"conn-1".parse().unwrap()).await.unwrap(),
        2
    );
}

/// An unknown connection would answer 404: a 401 shows the header was judged first.
async fn a_stale_or_missing_signature_is_refused_before_the_connection_is_looked_up(app: &TestApp) {
    let body = bytes(&vote("v-1", &server_project(GUILD), "701"));
    let stale = signature::sign(SECRET, now() - 3600, &body);
    for header in [None, Some("t=1,v1=zz".to_string()), Some(stale)] {
        let (status, text) = app
            .post("/topgg/webhooks/no-such-connection", header, body.clone())
            .await;
        assert_eq!(status, 401, "{text}");
    }
}

async fn a_replayed_webhook_test_queues_its_notice_once(app: &TestApp) {
    connect_announcing(app, "conn-1").await;
    let body = bytes(&topgg_bot::samples::sample_webhook_test(&server_project(
        GUILD,
    )));
    let t = now();
    let header = signature::sign(SECRET, t, &body);
    let path = "/topgg/webhooks/conn-1";
    for _ in 0..2 {
        let (status, text) = app.post(path, Some(header.clone()), body.clone()).await;
        assert_eq!(status, 204, "{text}");
    }
    let notices = || async {
        let jobs = app.db.all_jobs().await.unwrap();
        jobs.iter().filter(|j| j.kind() == "test_notice").count()
    };
    assert_eq!(notices().await, 1, "the replay posts nothing more");
    let resent = signature::sign(SECRET, t - 1, &body);
    assert_eq!(app.post(path, Some(resent), body).await.0, 204);
    assert_eq!(notices().await, 2, "a test signed anew is a new test");
}

/// Made-up connection ids (each unknown) and a burst of wrong MACs on a known one: the
/// database is asked a bounded number of times per second, not once per request.
async fn a_thousand_requests_to_made_up_connections_make_a_few_queries(app: &TestApp) {
    app.connect("conn-1", SECRET, &server_project(GUILD)).await;
    let body = bytes(&vote("v-1", &server_project(GUILD), "701"));
    let started = Instant::now();
    let before = app.connections.queries();
    let mut requests = JoinSet::new();
    for i in 0..1_100u32 {
        let (client, base, body) = (app.client.clone(), app.base.clone(), body.clone());
        let (connection, expected) = match i % 11 {
            0 => ("conn-1".to_string(), 401),
            _ => (
                format!("made-up-{i}-{}", i.wrapping_mul(2_654_435_761)),
                404,
            ),
        };
        requests.spawn(async move {
            let header = signature::sign("whs_guessed", SystemClock.now().as_secs(), &body);
            let url = format!("{base}/topgg/webhooks/{connection}");
            let sent = client
                .post(url)
                .header("x-topgg-signature", header)
                .body(body);
            (sent.send().await.unwrap().status().as_u16(), expected)
        });
        if requests.len() >= 128 {
            let (status, expected) = requests.join_next().await.unwrap().unwrap();
            assert_eq!(status, expected);
        }
    }
    while let Some(done) = requests.join_next().await {
        let (status, expected) = done.unwrap();
        assert_eq!(status, expected);
    }
    let made = app.connections.queries() - before;
    // A set check a second for misses, one every 5 s in the background, one reread of
    // conn-1 every 5 s: under two a second, whatever the number of requests.
    let elapsed = started.elapsed();
    eprintln!("{made} queries for 1,100 requests in {elapsed:?}");
    let allowed = 4 + 2 * elapsed.as_secs();
    assert!(
        made <= allowed,
        "{made} queries for 1,100 requests (allowed {allowed})"
    );
}

/// Stores a connection straight into the database, as another instance would.
async fn store_elsewhere(app: &TestApp, connection: &str) {
    let create = integration_create(connection, SECRET, &server_project(GUILD), "1");
    let Event::IntegrationCreate(create) = Event::parse(&bytes(&create)).unwrap() else {
        panic!("not an integration.create");
    };
    app.db
        .upsert_connection(&create, SystemClock.now())
        .await
        .unwrap();
}

/// Top.gg may deliver to this instance right after another one answered the handshake.
async fn the_first_delivery_to_a_connection_just_made_by_another_instance_is_accepted(
    app: &TestApp,
) {
    let made_up = vote("v-0", &server_project(GUILD), "701");
    assert_eq!(app.webhook("made-up", SECRET, &made_up).await.0, 404);
    // The set was just checked; the new connection must not wait for the next check.
    store_elsewhere(app, "conn-3").await;
    let first = vote("v-1", &server_project(GUILD), "701");
    let (status, text) = app.webhook("conn-3", SECRET, &first).await;
    assert_eq!(status, 204, "{text}");
}

async fn connections_stored_and_deleted_by_another_instance_are_picked_up(app: &TestApp) {
    let known_before = app.connections.len();
    store_elsewhere(app, "conn-2").await;
    let within = 3 * SYNC_EVERY;
    let learnt = eventually(within, || async {
        (app.connections.len() == known_before + 1).then_some(())
    });
    assert!(learnt.await.is_some(), "not learnt within {within:?}");
    let vote = vote("v-2", &server_project(GUILD), "701");
    assert_eq!(app.webhook("conn-2", SECRET, &vote).await.0, 204);
    app.db
        .delete_connection(&"conn-2".parse().unwrap(), app.clock.now())
        .await
        .unwrap();
    let forgotten = eventually(within, || async {
        (app.connections.len() == known_before).then_some(())
    });
    assert!(forgotten.await.is_some(), "not forgotten within {within:?}");
    let again = json!({"type": "webhook.test", "data": vote["data"].clone()});
    assert_eq!(app.webhook("conn-2", SECRET, &again).await.0, 404);
}
