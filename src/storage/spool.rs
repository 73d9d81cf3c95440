//! The local spool (`database.spool_path`): with Postgres, votes that cannot be committed
//! there are committed to this SQLite file instead (WAL, synchronous=FULL: fsync'd before the
//! webhook is answered), then moved into Postgres in arrival order by
//! [`drain_spool`](super::drain_spool). A spooled row keeps what storing the vote needs: the
//! vote, the connection it came through (without its secret) and its arrival time.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use anyhow::Context;
use secrecy::SecretString;
use serde_json::{Value, json};
use sqlx::SqlitePool;
use tokio::sync::Notify;

use super::Connection;
use super::connections::SecretText;
use super::pool::{BeginWrite, connect_sqlite};
use super::vote_plan::VoteWrite;
use crate::domain::events::Vote;
use crate::domain::ids::{ConnectionId, UserId};
use crate::domain::time::Timestamp;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS spooled_votes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    vote_id TEXT NOT NULL UNIQUE,
    connection TEXT NOT NULL,
    vote TEXT NOT NULL,
    received_at INTEGER NOT NULL
)";

/// A spooled vote, as read back for moving.
#[derive(Debug, Clone)]
pub struct Spooled {
    pub seq: i64,
    pub connection: Connection,
    pub vote: Vote,
    pub received_at: Timestamp,
}

/// The spool file; cheap to clone.
#[derive(Clone, Debug)]
pub struct Spool {
    pool: SqlitePool,
    depth: Arc<AtomicI64>,
    /// Woken whenever votes are spooled.
    pushed: Arc<Notify>,
}

impl Spool {
    /// Opens (creating if missing) the spool at `path`.
    pub async fn open(path: &str) -> anyhow::Result<Spool> {
        let url = format!("sqlite://{path}");
        let pool = connect_sqlite(&url, 2)
            .await
            .with_context(|| format!("cannot open the spool {path} (database.spool_path)"))?;
        sqlx::query(SCHEMA).execute(&pool).await?;
        let spool = Spool {
            pool,
            depth: Arc::default(),
            pushed: Arc::default(),
        };
        spool.recount().await?;
        Ok(spool)
    }

    /// Votes waiting to be moved.
    pub fn depth(&self) -> i64 {
        self.depth.load(Ordering::Relaxed)
    }

    /// Resolves when votes were spooled since the last call (or just before it).
    pub async fn pushed(&self) {
        self.pushed.notified().await
    }

    /// Commits `writes` to the spool in their order (a vote id already spooled is kept
    /// once); returns once the commit is on disk.
    pub async fn push(&self, writes: &[VoteWrite<'_>]) -> anyhow::Result<()> {
        let mut tx = self.pool.begin_write().await?;
        for w in writes {
            sqlx::query(
                "INSERT INTO spooled_votes (vote_id, connection, vote, received_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (vote_id) DO NOTHING",
            )
            .bind(&w.vote.id)
            .bind(connection_json(w.connection).to_string())
            .bind(vote_json(w.vote).to_string())
            .bind(w.now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.recount().await?;
        self.pushed.notify_one();
        Ok(())
    }

    /// The oldest `limit` spooled votes, in arrival order.
    pub async fn oldest(&self, limit: i64) -> anyhow::Result<Vec<Spooled>> {
        let rows: Vec<(i64, String, String, Timestamp)> = sqlx::query_as(
            "SELECT seq, connection, vote, received_at FROM spooled_votes ORDER BY seq LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(seq, connection, vote, received_at)| {
                Ok(Spooled {
                    seq,
                    connection: connection_from(&serde_json::from_str(&connection)?)?,
                    vote: serde_json::from_str(&vote)?,
                    received_at,
                })
            })
            .collect()
    }

    /// Forgets moved votes (by `seq`).
    pub async fn remove(&self, seqs: &[i64]) -> anyhow::Result<()> {
        let mut tx = self.pool.begin_write().await?;
        for seq in seqs {
            sqlx::query("DELETE FROM spooled_votes WHERE seq = $1")
                .bind(seq)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.recount().await
    }

    /// Closes the file.
    pub async fn close(&self) {
        self.pool.close().await
    }

    async fn recount(&self) -> anyhow::Result<()> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM spooled_votes")
            .fetch_one(&self.pool)
            .await?;
        self.depth.store(n, Ordering::Relaxed);
        Ok(())
    }
}

/// The vote as Top.gg sent its `data` (what [`Vote`] deserializes from), every field kept.
fn vote_json(v: &Vote) -> Value {
    serde_json::to_value(v).expect("a vote serializes")
}

/// The connection without its secret (storing a vote does not need it).
fn connection_json(c: &Connection) -> Value {
    json!({
        "connection_id": c.connection_id,
        "project_id": c.project_id,
        "project_type": c.project_type,
        "project_platform_id": c.project_platform_id,
        "project_name": c.project_name,
        "owner_discord_id": c.owner_discord_id,
        "owner_name": c.owner_name,
        "created_at": c.created_at,
    })
}

fn connection_from(v: &Value) -> anyhow::Result<Connection> {
    let text = |key: &str| -> anyhow::Result<String> {
        v[key]
            .as_str()
            .map(String::from)
            .with_context(|| format!("spooled connection without {key}"))
    };
    Ok(Connection {
        connection_id: ConnectionId::parse(&text("connection_id")?)?,
        webhook_secret: SecretText(SecretString::new(String::new())),
        project_id: text("project_id")?,
        project_type: text("project_type")?.into(),
        project_platform_id: text("project_platform_id")?,
        project_name: v["project_name"].as_str().map(String::from),
        owner_discord_id: v["owner_discord_id"]
            .as_str()
            .and_then(|id| UserId::parse(id).ok()),
        owner_name: text("owner_name")?,
        created_at: Timestamp::from_millis(v["created_at"].as_i64().unwrap_or_default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::Event;

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
        let back = spool.oldest(10).await.unwrap();
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
        spool.close().await;
        let reopened = Spool::open(path.to_str().unwrap()).await.unwrap();
        assert_eq!(reopened.depth(), 1);
    }
}
