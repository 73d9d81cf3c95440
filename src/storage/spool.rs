//! The local spool (`database.spool_path`): with Postgres, votes that cannot be committed
//! there are committed to this SQLite file instead (WAL, synchronous=FULL: fsync'd before the
//! webhook is answered), then moved into Postgres in arrival order by
//! [`drain_spool`](super::drain_spool). A spooled row keeps what storing the vote needs: the
//! vote, the connection it came through (without its secret) and its arrival time.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use sqlx::SqlitePool;
use tokio::sync::{Mutex, Notify};

use super::pool::{BeginWrite, connect_sqlite};
use super::spool_rows::{SELECT_OLDEST, connection_json, vote_json};
use super::vote_plan::VoteWrite;
use crate::domain::time::Timestamp;

pub use super::spool_rows::{Corrupt, SpoolRow, Spooled};

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS spooled_votes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    vote_id TEXT NOT NULL UNIQUE,
    connection TEXT NOT NULL,
    vote TEXT NOT NULL,
    received_at INTEGER NOT NULL
)";

/// The arrival time of the oldest row (by `seq`): one index step, not a scan. A row whose
/// time is damaged is passed over.
const OLDEST_ARRIVAL: &str = "SELECT received_at FROM spooled_votes \
    WHERE typeof(received_at) = 'integer' ORDER BY seq LIMIT 1";

/// [`Spool::oldest_at`] when the spool is empty.
const NONE: i64 = i64::MIN;

/// The spool file; cheap to clone.
#[derive(Clone, Debug)]
pub struct Spool {
    pool: SqlitePool,
    /// Held across each write and the update of the figures after it, so the figures of a
    /// push and a removal cannot interleave.
    writing: Arc<Mutex<()>>,
    /// Rows in the file, kept in step with each commit (counted once, at open).
    depth: Arc<AtomicI64>,
    /// Arrival (unix ms) of the oldest row, or [`NONE`].
    oldest_at: Arc<AtomicI64>,
    /// Rows sent to the dead letters since the spool was opened.
    dead_lettered: Arc<AtomicU64>,
    /// Woken whenever votes are spooled.
    pushed: Arc<Notify>,
}

impl Spool {
    /// Opens (creating if missing, mode 0600) the spool at `path`.
    pub async fn open(path: &str) -> anyhow::Result<Spool> {
        let url = format!("sqlite://{path}");
        let pool = connect_sqlite(&url, 2)
            .await
            .with_context(|| format!("cannot open the spool {path} (database.spool_path)"))?;
        sqlx::query(SCHEMA).execute(&pool).await?;
        let (depth,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM spooled_votes")
            .fetch_one(&pool)
            .await?;
        let oldest: Option<(i64,)> = sqlx::query_as(OLDEST_ARRIVAL).fetch_optional(&pool).await?;
        Ok(Spool {
            pool,
            writing: Arc::default(),
            depth: Arc::new(AtomicI64::new(depth)),
            oldest_at: Arc::new(AtomicI64::new(oldest.map_or(NONE, |(at,)| at))),
            dead_lettered: Arc::default(),
            pushed: Arc::default(),
        })
    }

    /// Votes waiting to be moved.
    pub fn depth(&self) -> i64 {
        self.depth.load(Ordering::Relaxed)
    }

    /// How long the oldest waiting vote has waited at `now` (zero when none waits).
    pub fn oldest_age(&self, now: Timestamp) -> Duration {
        match self.oldest_at.load(Ordering::Relaxed) {
            NONE => Duration::ZERO,
            at => now.since(Timestamp::from_millis(at)),
        }
    }

    /// Spooled votes sent to the dead letters since the spool was opened.
    pub fn dead_lettered(&self) -> u64 {
        self.dead_lettered.load(Ordering::Relaxed)
    }

    /// Counts a row sent to the dead letters.
    pub(super) fn count_dead_letter(&self) {
        self.dead_lettered.fetch_add(1, Ordering::Relaxed);
    }

    /// Resolves when votes were spooled since the last call (or just before it).
    pub async fn pushed(&self) {
        self.pushed.notified().await
    }

    /// Commits `writes` to the spool in their order (a vote id already spooled is kept
    /// once); returns once the commit is on disk.
    pub async fn push(&self, writes: &[VoteWrite<'_>]) -> anyhow::Result<()> {
        let _writing = self.writing.lock().await;
        let mut tx = self.pool.begin_write().await?;
        let mut first_added = None;
        let mut added = 0;
        for w in writes {
            let inserted = sqlx::query(
                "INSERT INTO spooled_votes (vote_id, connection, vote, received_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (vote_id) DO NOTHING",
            )
            .bind(&w.vote.id)
            .bind(connection_json(w.connection).to_string())
            .bind(vote_json(w.vote).to_string())
            .bind(w.now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted > 0 {
                first_added.get_or_insert(w.now);
                added += inserted as i64;
            }
        }
        tx.commit().await?;
        self.depth.fetch_add(added, Ordering::Relaxed);
        if let Some(at) = first_added {
            let _ = self.oldest_at.compare_exchange(
                NONE,
                at.as_millis(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
        self.pushed.notify_one();
        Ok(())
    }

    /// The oldest `limit` spooled rows, in arrival order; a row that cannot be read comes
    /// back as [`SpoolRow::Corrupt`] in its place.
    pub async fn oldest(&self, limit: i64) -> anyhow::Result<Vec<SpoolRow>> {
        let rows = sqlx::query(SELECT_OLDEST)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(SpoolRow::read).collect()
    }

    /// Forgets moved votes (by `seq`).
    pub async fn remove(&self, seqs: &[i64]) -> anyhow::Result<()> {
        let _writing = self.writing.lock().await;
        let mut tx = self.pool.begin_write().await?;
        let mut removed = 0;
        for seq in seqs {
            removed += sqlx::query("DELETE FROM spooled_votes WHERE seq = $1")
                .bind(seq)
                .execute(&mut *tx)
                .await?
                .rows_affected() as i64;
        }
        let oldest: Option<(i64,)> = sqlx::query_as(OLDEST_ARRIVAL)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        self.depth.fetch_sub(removed, Ordering::Relaxed);
        let oldest = oldest.map_or(NONE, |(at,)| at);
        self.oldest_at.store(oldest, Ordering::Relaxed);
        Ok(())
    }

    /// Closes the file.
    pub async fn close(&self) {
        self.pool.close().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::Event;

    use super::super::Connection;
    use super::super::connections::SecretText;
    use crate::domain::events::Vote;
    use crate::domain::ids::{ConnectionId, UserId};
    use secrecy::SecretString;

    fn sample() -> (Connection, Vote) {
        let project = crate::samples::sample_project("p", "server", "1");
        let body = crate::samples::sample_vote("v1", &project, "42", "name");
        let Event::VoteCreate(vote) = Event::parse(body.to_string().as_bytes()).unwrap() else {
            panic!("not a vote")
        };
        let connection = Connection {
            connection_id: ConnectionId::parse("c").unwrap(),
            webhook_secret: SecretText(SecretString::new("s".into())),
            project_id: "p".into(),
            project_type: "server".into(),
            project_platform_id: "1".into(),
            project_name: Some("P".into()),
            owner_discord_id: Some(UserId::from(9)),
            owner_name: "o".into(),
            created_at: Timestamp::from_millis(5),
        };
        (connection, vote)
    }

    #[tokio::test]
    async fn spooled_votes_come_back_in_order_once_each_without_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spool.db");
        let spool = Spool::open(path.to_str().unwrap()).await.unwrap();
        let (connection, vote) = sample();
        let mut second = vote.clone();
        second.id = crate::domain::ids::VoteId::parse("v2").unwrap();
        let write = |vote, now| VoteWrite {
            connection: &connection,
            vote,
            now: Timestamp::from_millis(now),
        };
        spool
            .push(&[write(&vote, 1), write(&second, 2)])
            .await
            .unwrap();
        spool.push(&[write(&vote, 3)]).await.unwrap();
        assert_eq!(spool.depth(), 2);
        for file in ["spool.db", "spool.db-wal", "spool.db-shm"] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file} is readable by its owner only");
        }
        assert_eq!(spool.oldest_age(Timestamp::from_millis(10)).as_millis(), 9);
        let back: Vec<Spooled> = ready(spool.oldest(10).await.unwrap());
        assert_eq!(back[0].vote, vote);
        assert_eq!(
            (back[1].vote.id.as_str(), back[1].received_at.as_millis()),
            ("v2", 2)
        );
        assert_eq!(back[0].connection.project_name.as_deref(), Some("P"));
        use secrecy::ExposeSecret;
        assert_eq!(back[0].connection.webhook_secret.0.expose_secret(), "");
        spool.remove(&[back[0].seq]).await.unwrap();
        assert_eq!(spool.depth(), 1);
        assert_eq!(spool.oldest_age(Timestamp::from_millis(10)).as_millis(), 8);
        spool.close().await;
        let reopened = Spool::open(path.to_str().unwrap()).await.unwrap();
        assert_eq!(reopened.depth(), 1);
    }

    fn ready(rows: Vec<SpoolRow>) -> Vec<Spooled> {
        let ready = |row| match row {
            SpoolRow::Ready(spooled) => *spooled,
            SpoolRow::Corrupt(corrupt) => panic!("{corrupt:?}"),
        };
        rows.into_iter().map(ready).collect()
    }

    #[tokio::test]
    async fn a_damaged_row_comes_back_as_corrupt_in_its_place_with_what_is_left_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path().join("s.db").to_str().unwrap())
            .await
            .unwrap();
        let (connection, vote) = sample();
        let votes: Vec<Vote> = (0..3)
            .map(|i| Vote {
                id: format!("v{i}").parse().unwrap(),
                ..vote.clone()
            })
            .collect();
        let writes: Vec<VoteWrite> = votes
            .iter()
            .map(|vote| VoteWrite {
                connection: &connection,
                vote,
                now: Timestamp::from_millis(1),
            })
            .collect();
        spool.push(&writes).await.unwrap();
        let damage =
            "UPDATE spooled_votes SET vote = x'ff00', received_at = 'x' WHERE vote_id = 'v1'";
        sqlx::query(damage).execute(&spool.pool).await.unwrap();
        let rows = spool.oldest(10).await.unwrap();
        assert!(matches!(rows[0], SpoolRow::Ready(_)) && matches!(rows[2], SpoolRow::Ready(_)));
        let SpoolRow::Corrupt(corrupt) = &rows[1] else {
            panic!("{:?}", rows[1])
        };
        assert_eq!(corrupt.body, b"\xff\x00");
        assert_eq!(corrupt.connection_id.as_deref(), Some("c"));
        assert_eq!(corrupt.seq, rows[1].seq());
        assert!(
            corrupt.reason.contains("no arrival time"),
            "{}",
            corrupt.reason
        );
    }
}
