use super::*;
use crate::domain::events::Event;
use crate::domain::ids::{ConnectionId, UserId};
use crate::domain::time::SystemClock;
use crate::domain::work::Work;
use crate::samples::{sample_integration_create, sample_project, sample_vote};
use crate::storage::{Db, VoteWriter, scratch_sqlite};

const VOTER: &str = "701";

/// A migrated SQLite database with connection `c1` (a server project), in a temporary
/// directory that lives as long as the returned guard.
async fn database() -> (Db, Connection, tempfile::TempDir) {
    let (db, dir) = scratch_sqlite().await;
    let project = sample_project("p1", "server", "700000000000000001");
    let Event::IntegrationCreate(create) =
        parsed(sample_integration_create("c1", "whs", &project, "1"))
    else {
        unreachable!()
    };
    db.upsert_connection(&create, Timestamp::from_millis(0))
        .await
        .unwrap();
    let connection = db.connection(&c1()).await.unwrap().unwrap();
    (db, connection, dir)
}

fn c1() -> ConnectionId {
    ConnectionId::parse("c1").unwrap()
}

fn parsed(value: serde_json::Value) -> Event {
    Event::parse(&serde_json::to_vec(&value).unwrap()).unwrap()
}

fn vote(id: &str, voter: &str) -> Vote {
    let project = sample_project("p1", "server", "700000000000000001");
    let Event::VoteCreate(vote) = parsed(sample_vote(id, &project, voter, "a")) else {
        unreachable!()
    };
    vote
}

impl SqliteVotes {
    /// A pragma of the vote connection as SQLite reports it (`None`: not open).
    fn pragma(&self, name: &str) -> Option<String> {
        let state = self.lock();
        let conn = state.conn.as_ref()?;
        let sql = format!("SELECT * FROM pragma_{name}");
        let value = conn.query_row(&sql, [], |r| r.get::<_, rusqlite::types::Value>(0));
        Some(format!("{:?}", value.unwrap()))
    }
}

fn vote_connection(db: &Db) -> &SqliteVotes {
    match db {
        Db::Sqlite(_, votes) => votes,
        Db::Postgres(_) => unreachable!(),
    }
}

/// The two SQLite vote paths drifted before (pragmas, reminder binds): through the writer
/// webhooks use, a vote of an opted-in voter queues their reminder at the vote's expiry, on
/// a connection that syncs every commit (a vote is answered only once it is on disk).
#[tokio::test]
async fn the_webhook_writer_queues_an_opted_in_voters_reminder_on_a_fully_synced_connection() {
    let (db, connection, _dir) = database().await;
    let voter = UserId::parse(VOTER).unwrap();
    db.remind_on(&c1(), &voter, Timestamp::from_millis(0))
        .await
        .unwrap();
    let writer = VoteWriter::start(db.clone(), SystemClock::shared());
    let cast = vote("v1", VOTER);
    let expiry = cast.expiry();

    let outcome = writer
        .record(connection, cast, Timestamp::from_millis(1))
        .await
        .unwrap();

    assert!(matches!(outcome, VoteOutcome::Stored { .. }), "{outcome:?}");
    let reminders: Vec<_> = db
        .all_jobs()
        .await
        .unwrap()
        .into_iter()
        .filter(|job| matches!(job.work, Work::Remind { .. }))
        .collect();
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert_eq!(reminders[0].due_at, expiry);
    let votes = vote_connection(&db);
    assert_eq!(
        votes.pragma("synchronous").as_deref(),
        Some("Integer(2)"),
        "FULL"
    );
    assert_eq!(
        votes.pragma("journal_mode").as_deref(),
        Some(r#"Text("wal")"#)
    );
    assert_eq!(votes.pragma("foreign_keys").as_deref(), Some("Integer(1)"));
    db.close().await;
}

/// Memory (issue 22): SQLite's default page cache is 2 MB a connection; the pool's
/// connections and the vote connection each keep 512 KiB.
#[tokio::test]
async fn every_sqlite_connection_keeps_a_page_cache_of_512_kib() {
    let (db, connection, _dir) = database().await;
    let writer = VoteWriter::start(db.clone(), SystemClock::shared());

    writer
        .record(connection, vote("v1", VOTER), Timestamp::from_millis(1))
        .await
        .unwrap();

    let Db::Sqlite(pool, votes) = &db else {
        unreachable!()
    };
    let pooled: i64 = sqlx::query_scalar("PRAGMA cache_size")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(pooled, -512, "KiB, as a negative number");
    assert_eq!(votes.pragma("cache_size").as_deref(), Some("Integer(-512)"));
    db.close().await;
}

/// A failure that leaves the connection inside a transaction (both its statement and its
/// rollback failed) must not fail every later batch: the next one gets a fresh connection.
#[tokio::test]
async fn a_connection_left_inside_a_transaction_is_replaced_for_the_next_batch() {
    let (db, connection, _dir) = database().await;
    let (first, second) = (vote("v1", "701"), vote("v2", "702"));
    let write = |vote| VoteWrite {
        connection: &connection,
        vote,
        now: Timestamp::from_millis(1),
    };
    db.record_votes(&[write(&first)]).await.unwrap();
    {
        let stuck = vote_connection(&db).lock();
        stuck.conn.as_ref().unwrap().execute_batch("BEGIN").unwrap();
    }

    let refused = db.record_votes(&[write(&second)]).await;
    let outcome = db.record_votes(&[write(&second)]).await.unwrap();

    assert!(refused.is_err(), "BEGIN inside BEGIN");
    assert!(matches!(outcome[..], [VoteOutcome::Stored { .. }]));
    assert_eq!(db.vote_count(&c1()).await.unwrap(), 2);
    db.close().await;
}
