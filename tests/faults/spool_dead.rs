//! A spooled vote that cannot be moved (its row damaged in the file, or refused by Postgres)
//! goes to the dead letters and never blocks the votes behind it.

use std::time::Duration;

use topgg_testkit::postgres::postgres_admin_url;
use topgg_testkit::standin::GUILD_ID;
use topgg_testkit::{Backend, TestApp, bounded, eventually, server_project};

use crate::faults::proxy::{Proxy, host_port};
use crate::faults::{CONNECTION, SECRET, vote, vote_id};

/// Damages the spool file behind the app's back: vote 2's JSON becomes garbage, and vote 4
/// names a connection Postgres does not have (a foreign key it refuses).
fn damage(spool: &std::path::Path) {
    let file = rusqlite::Connection::open(spool).unwrap();
    file.busy_timeout(Duration::from_secs(5)).unwrap();
    let garbage = "UPDATE spooled_votes SET vote = 'garbage {' WHERE vote_id = ?1";
    assert_eq!(file.execute(garbage, [vote_id(2)]).unwrap(), 1);
    let refused = "UPDATE spooled_votes SET connection = \
        json_set(connection, '$.connection_id', 'conn-gone') WHERE vote_id = ?1";
    assert_eq!(file.execute(refused, [vote_id(4)]).unwrap(), 1);
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

/// The ids of the votes stored in the app's database.
async fn stored_ids(app: &TestApp) -> Vec<String> {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(&app.database_url)
        .await
        .unwrap();
    sqlx::query_scalar("SELECT vote_id FROM votes ORDER BY vote_id")
        .fetch_all(&mut conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_spool_row_does_not_block_the_others_and_becomes_a_dead_letter() {
    bounded(Duration::from_secs(120), async {
        let proxy = Proxy::start(host_port(&postgres_admin_url())).await;
        let spool_dir = tempfile::tempdir().unwrap();
        let spool = spool_dir.path().join("spool.db");
        let app = TestApp::start_with(Backend::Postgres, |c| {
            c.database.url = proxy.url_for(c.database.url.expose()).into();
            c.database.spool_path = spool.display().to_string();
        });
        let Some(app) = app.await else { return };
        app.connect(CONNECTION, SECRET, &server_project(&GUILD_ID.to_string()))
            .await;
        assert_eq!(app.webhook(CONNECTION, SECRET, &vote(0)).await.0, 204);
        proxy.refuse();
        for i in 1..=5 {
            let (status, text) = app.webhook(CONNECTION, SECRET, &vote(i)).await;
            assert_eq!(status, 204, "vote {i} is spooled: {text}");
        }
        damage(&spool);
        let spooling = metrics(&app).await;
        assert!(spooling.contains("topgg_bot_spool_depth 5\n"), "{spooling}");
        assert!(
            spooling.contains("topgg_bot_spool_oldest_age_seconds "),
            "{spooling}"
        );
        proxy.accept();

        let connection = CONNECTION.parse().unwrap();
        let moved = eventually(Duration::from_secs(60), || async {
            let letters = app.db.dead_letters().await.ok()?;
            let votes = app.db.vote_count(&connection).await.ok()?;
            (letters.len() == 2 && votes == 4).then_some(letters)
        });
        let letters = moved
            .await
            .expect("the good votes moved and two dead letters");
        let expected: Vec<String> = [0, 1, 3, 5].map(vote_id).to_vec();
        assert_eq!(stored_ids(&app).await, expected);
        assert!(letters.iter().all(|l| l.source == "spool"), "{letters:?}");
        assert_eq!(letters[0].body(), b"garbage {");
        assert!(letters[0].reason.contains("cannot be read"), "{letters:?}");
        assert_eq!(letters[1].connection_id.as_str(), "conn-gone");
        assert!(letters[1].reason.contains("refused"), "{letters:?}");
        let refused: serde_json::Value = serde_json::from_slice(&letters[1].body()).unwrap();
        assert_eq!(refused["data"]["id"], vote_id(4), "kept whole: {refused}");
        // A moved vote's spool row is deleted after its database commit: wait for the last.
        let emptied = eventually(Duration::from_secs(10), || async {
            let now = metrics(&app).await;
            now.contains("topgg_bot_spool_depth 0\n").then_some(now)
        });
        let after = match emptied.await {
            Some(after) => after,
            None => panic!("the spool emptied: {}", metrics(&app).await),
        };
        assert!(
            after.contains("topgg_bot_spool_oldest_age_seconds 0\n"),
            "{after}"
        );
        let counted = r#"topgg_bot_dead_letters_total{source="spool"} 2"#;
        assert!(after.contains(counted), "{after}");
        app.stop().await;
    })
    .await;
}
