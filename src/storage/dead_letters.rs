//! `dead_letters`: signed webhook bodies this version could not read, and spooled votes that
//! could not be moved, kept until `topgg-bot dead-letters replay` applies them.

use sqlx::FromRow;

use super::Db;
use super::sql::Sql;
use crate::domain::ids::ConnectionId;
use crate::domain::time::Timestamp;

/// Where a dead letter came from (the `source` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterSource {
    /// A signed body on a webhook URL that could not be read.
    Webhook,
    /// A spooled vote that could not be moved into the database.
    Spool,
}

impl LetterSource {
    pub fn as_str(self) -> &'static str {
        match self {
            LetterSource::Webhook => "webhook",
            LetterSource::Spool => "spool",
        }
    }
}

/// A letter to keep.
#[derive(Debug, Clone)]
pub struct NewDeadLetter<'a> {
    pub connection: &'a ConnectionId,
    pub source: LetterSource,
    /// The raw body, byte for byte.
    pub body: &'a [u8],
    /// `x-topgg-signature` as sent (an HMAC, not a secret).
    pub signature: Option<&'a str>,
    /// `x-topgg-trace` as sent.
    pub trace: Option<&'a str>,
    /// Why it could not be read or moved.
    pub reason: &'a str,
    pub received_at: Timestamp,
}

/// A kept letter.
#[derive(Debug, Clone, FromRow)]
pub struct DeadLetter {
    pub id: i64,
    pub connection_id: ConnectionId,
    pub source: String,
    body: String,
    body_encoding: String,
    pub signature: Option<String>,
    pub trace: Option<String>,
    pub reason: String,
    pub received_at: Timestamp,
    /// When replay applied it; `None` while it waits.
    pub replayed_at: Option<Timestamp>,
}

impl DeadLetter {
    /// The raw body as it was received.
    pub fn body(&self) -> Vec<u8> {
        match self.body_encoding.as_str() {
            "hex" => hex::decode(&self.body).unwrap_or_default(),
            _ => self.body.clone().into_bytes(),
        }
    }
}

const COLUMNS: &str = "SELECT id, connection_id, source, body, body_encoding, signature, trace, \
    reason, received_at, replayed_at FROM dead_letters";

const INSERT: &str = "INSERT INTO dead_letters (connection_id, source, body, body_encoding, \
    signature, trace, reason, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";

/// The body as stored: its text, or its hex when it is not UTF-8 (or holds a NUL, which a
/// Postgres TEXT cannot).
fn encode_body(body: &[u8]) -> (String, &'static str) {
    match std::str::from_utf8(body) {
        Ok(text) if !text.contains('\0') => (text.to_string(), "text"),
        _ => (hex::encode(body), "hex"),
    }
}

impl Db {
    /// Keeps a letter; returns its id.
    pub async fn store_dead_letter(&self, letter: &NewDeadLetter<'_>) -> anyhow::Result<i64> {
        let (body, encoding) = encode_body(letter.body);
        let sql = Sql::new(INSERT)
            .bind(letter.connection)
            .bind(letter.source.as_str())
            .bind(body)
            .bind(encoding)
            .bind(letter.signature)
            .bind(letter.trace)
            .bind(letter.reason)
            .bind(letter.received_at);
        let (id,): (i64,) = self.fetch_one(sql).await?;
        Ok(id)
    }

    /// Every letter, oldest first.
    pub async fn dead_letters(&self) -> anyhow::Result<Vec<DeadLetter>> {
        let sql = format!("{COLUMNS} ORDER BY id");
        self.fetch_all(Sql::built(sql)).await
    }

    /// The letters replay has not applied yet, oldest first.
    pub async fn pending_dead_letters(&self) -> anyhow::Result<Vec<DeadLetter>> {
        let sql = format!("{COLUMNS} WHERE replayed_at IS NULL ORDER BY id");
        self.fetch_all(Sql::built(sql)).await
    }

    /// Marks a waiting letter replayed at `at`, noting what replay did; false when it was
    /// not waiting (another replay took it).
    pub async fn mark_dead_letter_replayed(
        &self,
        id: i64,
        at: Timestamp,
        note: &str,
    ) -> anyhow::Result<bool> {
        let sql = Sql::new(
            "UPDATE dead_letters SET replayed_at = $1, reason = $2 \
             WHERE id = $3 AND replayed_at IS NULL",
        );
        Ok(self.execute(sql.bind(at).bind(note).bind(id)).await? > 0)
    }

    /// Keeps a letter waiting, with the reason it still cannot be applied.
    pub async fn keep_dead_letter(&self, id: i64, reason: &str) -> anyhow::Result<()> {
        let sql = Sql::new("UPDATE dead_letters SET replayed_at = NULL, reason = $1 WHERE id = $2");
        self.execute(sql.bind(reason).bind(id)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_that_is_not_text_is_kept_byte_for_byte() {
        for body in [
            &b"{\"type\":1}"[..],
            b"\xff\xfe\x00binary",
            b"nul\x00inside",
        ] {
            let (stored, body_encoding) = encode_body(body);
            let letter = DeadLetter {
                id: 1,
                connection_id: "c".parse().unwrap(),
                source: "webhook".into(),
                body: stored,
                body_encoding: body_encoding.into(),
                signature: None,
                trace: None,
                reason: String::new(),
                received_at: Timestamp::from_millis(0),
                replayed_at: None,
            };
            assert_eq!(letter.body(), body);
        }
    }
}
