//! Group commit of votes: concurrent webhooks share transactions without changing what each
//! vote does, on SQLite and Postgres.

use std::time::Duration;

use topgg_bot::domain::events::Event;
use topgg_bot::domain::keys::LinkRef;
use topgg_bot::domain::time::{Clock, SystemClock};
use topgg_bot::storage::{VoteOutcome, VoteWriter};
use topgg_testkit::{TestApp, eventually, server_project, vote};

const SECRET: &str = "whs_ingest";
const CONNECTION: &str = "conn-ingest";
const GUILD: &str = "1100000000000000001";

topgg_testkit::on_both_backends!(
    concurrent_votes_with_duplicates_are_stored_once_each_with_exact_totals,
    a_vote_that_cannot_be_stored_does_not_fail_the_votes_committed_with_it,
    a_secret_changed_by_another_instance_is_accepted_at_once,
);

/// 200 webhooks at once: 100 distinct votes from 10 voters, each delivered twice.
async fn concurrent_votes_with_duplicates_are_stored_once_each_with_exact_totals(app: &TestApp) {
    app.connect(CONNECTION, SECRET, &server_project(GUILD))
        .await;
    let channel = "1400000000000000001".to_string();
    app.db
        .set_channel(
            LinkRef::new(&GUILD.parse().unwrap(), &CONNECTION.parse().unwrap()),
            Some(&channel.parse().unwrap()),
        )
        .await
        .unwrap();
    let sends = (0..200).map(|n| {
        let i = n % 100;
        let body = vote(
            &format!("ingest-{i}"),
            &server_project(GUILD),
            &format!("70{}", i % 10),
        );
        async move { app.webhook(CONNECTION, SECRET, &body).await.0 }
    });
    let statuses = futures_util::future::join_all(sends).await;
    assert!(statuses.iter().all(|s| *s == 204), "{statuses:?}");
    // On Postgres a batch slower than its attempt limit (a loaded machine) is committed to the
    // spool and moved in the background: count once every acknowledged vote got there.
    let stored = eventually(Duration::from_secs(15), || async {
        let n = app
            .db
            .vote_count(&CONNECTION.parse().unwrap())
            .await
            .unwrap();
        (n >= 100).then_some(n)
    });
    assert_eq!(stored.await, Some(100));
    for voter in 0..10 {
        let figures = app
            .db
            .voter_figures(
                &CONNECTION.parse().unwrap(),
                &(format!("70{voter}")).parse().unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(figures.unwrap().total_votes, 10, "voter 70{voter}");
    }
    let announcements = app
        .db
        .all_jobs()
        .await
        .unwrap()
        .iter()
        .filter(|j| j.kind() == "announce")
        .count();
    assert_eq!(announcements, 100, "one announcement per stored vote");
}

fn parse_vote(id: &str, voter: &str) -> topgg_bot::domain::events::Vote {
    let body = vote(id, &server_project(GUILD), voter).to_string();
    match Event::parse(body.as_bytes()).unwrap() {
        Event::VoteCreate(vote) => vote,
        other => panic!("not a vote: {other:?}"),
    }
}

async fn a_vote_that_cannot_be_stored_does_not_fail_the_votes_committed_with_it(app: &TestApp) {
    app.connect(CONNECTION, SECRET, &server_project(GUILD))
        .await;
    let good = app
        .db
        .connection(&CONNECTION.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut gone = good.clone();
    gone.connection_id = "deleted-meanwhile".parse().unwrap();
    let writer = VoteWriter::start(app.db.clone(), app.clock.clone());
    let results = futures_util::future::join_all((0..20).map(|i| {
        let connection = if i == 7 { gone.clone() } else { good.clone() };
        let writer = writer.clone();
        async move {
            writer
                .record(
                    connection,
                    parse_vote(&format!("w-{i}"), "701"),
                    SystemClock.now(),
                )
                .await
        }
    }))
    .await;
    for (i, result) in results.iter().enumerate() {
        if i == 7 {
            assert!(
                result.is_err(),
                "a vote for a missing connection is refused"
            );
        } else {
            assert!(
                matches!(result, Ok(VoteOutcome::Stored { .. })),
                "vote {i}: {result:?}"
            );
        }
    }
    assert_eq!(
        app.db
            .vote_count(&CONNECTION.parse().unwrap())
            .await
            .unwrap(),
        19
    );
}

/// Another instance stores the reconnected connection (here: straight into the database), so
/// this instance's cache still holds the old secret.
async fn a_secret_changed_by_another_instance_is_accepted_at_once(app: &TestApp) {
    app.connect(CONNECTION, "whs_old", &server_project(GUILD))
        .await;
    let first = vote("s-1", &server_project(GUILD), "701");
    assert_eq!(app.webhook(CONNECTION, "whs_old", &first).await.0, 204);
    let create = topgg_testkit::integration_create(
        CONNECTION,
        "whs_new",
        &server_project(GUILD),
        topgg_testkit::OWNER_ID,
    );
    let Event::IntegrationCreate(create) = Event::parse(create.to_string().as_bytes()).unwrap()
    else {
        panic!("not an integration.create");
    };
    app.db
        .upsert_connection(&create, SystemClock.now())
        .await
        .unwrap();
    let second = vote("s-2", &server_project(GUILD), "701");
    assert_eq!(app.webhook(CONNECTION, "whs_new", &second).await.0, 204);
    assert_eq!(
        app.webhook(
            CONNECTION,
            "whs_old",
            &vote("s-3", &server_project(GUILD), "701")
        )
        .await
        .0,
        401
    );
}
