//! A spooled row as stored (JSON text) and as read back: a vote ready to move, or a row that
//! cannot be read (a damaged file, a version that wrote another shape), which goes to the
//! dead letters instead of blocking the rows behind it.

use anyhow::Context;
use secrecy::SecretString;
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::Connection;
use super::connections::SecretText;
use crate::domain::events::{Vote, names};
use crate::domain::ids::{ConnectionId, UserId};
use crate::domain::time::Timestamp;

/// Reads each column as it is, whatever SQLite holds there (text, blob, number or NULL):
/// a damaged row must be read too, to be told apart.
pub(super) const SELECT_OLDEST: &str = "SELECT seq, CAST(connection AS BLOB), \
    CAST(vote AS BLOB), received_at FROM spooled_votes ORDER BY seq LIMIT $1";

/// A spooled vote, as read back for moving.
#[derive(Debug, Clone)]
pub struct Spooled {
    pub seq: i64,
    pub connection: Connection,
    pub vote: Vote,
    pub received_at: Timestamp,
}

/// A spooled row that cannot be read back as a vote.
#[derive(Debug, Clone)]
pub struct Corrupt {
    pub seq: i64,
    /// The connection id, when the row still names one.
    pub connection_id: Option<String>,
    /// The vote as a `vote.create` body when its JSON still parses, else its raw bytes.
    pub body: Vec<u8>,
    pub received_at: Option<Timestamp>,
    pub reason: String,
}

/// One row of the spool, in arrival order.
#[derive(Debug, Clone)]
pub enum SpoolRow {
    Ready(Box<Spooled>),
    Corrupt(Corrupt),
}

impl SpoolRow {
    pub fn seq(&self) -> i64 {
        match self {
            SpoolRow::Ready(s) => s.seq,
            SpoolRow::Corrupt(c) => c.seq,
        }
    }

    /// Reads a row of [`SELECT_OLDEST`].
    pub(super) fn read(row: &SqliteRow) -> anyhow::Result<SpoolRow> {
        let seq: i64 = row.try_get(0)?;
        let connection: Option<Vec<u8>> = row.try_get(1)?;
        let vote: Option<Vec<u8>> = row.try_get(2)?;
        let received_at: Option<i64> = row.try_get(3).ok().flatten();
        let connection: Option<Value> = connection.and_then(|c| serde_json::from_slice(&c).ok());
        let parsed = (|| {
            let received_at = received_at.context("no arrival time")?;
            let connection = connection.as_ref().context("no readable connection")?;
            let vote = vote.as_deref().context("no vote")?;
            Ok::<_, anyhow::Error>(Spooled {
                seq,
                connection: connection_from(connection)?,
                vote: serde_json::from_slice(vote).context("unreadable vote")?,
                received_at: Timestamp::from_millis(received_at),
            })
        })();
        Ok(match parsed {
            Ok(spooled) => SpoolRow::Ready(Box::new(spooled)),
            Err(error) => SpoolRow::Corrupt(Corrupt {
                seq,
                connection_id: connection.and_then(|c| c["connection_id"].as_str().map(Into::into)),
                body: vote.map(|v| vote_body(&v)).unwrap_or_default(),
                received_at: received_at.map(Timestamp::from_millis),
                reason: format!("a spooled vote that cannot be read: {error:#}"),
            }),
        })
    }
}

/// A stored vote as the `vote.create` body Top.gg sent (what replay reads), or the raw
/// bytes when they are not JSON.
pub(super) fn vote_body(vote: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<Value>(vote) {
        Ok(data) => json!({"type": names::VOTE_CREATE, "data": data})
            .to_string()
            .into_bytes(),
        Err(_) => vote.to_vec(),
    }
}

/// The vote as Top.gg sent its `data` (what [`Vote`] deserializes from), every field kept.
pub(super) fn vote_json(v: &Vote) -> Value {
    serde_json::to_value(v).expect("a vote serializes")
}

/// The connection without its secret (storing a vote does not need it).
pub(super) fn connection_json(c: &Connection) -> Value {
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
