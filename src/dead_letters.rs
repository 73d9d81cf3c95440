//! `topgg-bot dead-letters list|replay`: the signed events the bot could not read (and
//! spooled votes it could not move), shown without secrets, or read again by this version
//! and applied as if just received, each at most once.

use std::fmt::Write as _;

use serde_json::Value;

use crate::domain::events::Event;
use crate::domain::time::Timestamp;
use crate::storage::{Db, DeadLetter, VoteOutcome, is_unavailable};

/// Characters of a body shown by `list`.
const EXCERPT_CHARS: usize = 160;
/// Characters of a reason shown by `list`.
const REASON_CHARS: usize = 240;
/// What a secret's value is shown as.
const REDACTED: &str = "[REDACTED]";

/// One line per letter: id, time, connection, source, state and why, then an excerpt of its
/// body with every secret-looking value masked.
pub fn render_list(letters: &[DeadLetter]) -> String {
    if letters.is_empty() {
        return "no dead letters\n".into();
    }
    let mut out = String::new();
    for letter in letters {
        let (excerpt, secrets) = excerpt(&letter.body());
        let state = match letter.replayed_at {
            Some(at) => format!("replayed {}", at.to_rfc3339()),
            None => "waiting".into(),
        };
        let reason = clip(&mask(&letter.reason, &secrets), REASON_CHARS);
        let _ = writeln!(
            out,
            "#{} {} connection={} source={} {state}: {reason}\n    {excerpt}",
            letter.id,
            letter.received_at.to_rfc3339(),
            printable(letter.connection_id.as_str()),
            letter.source,
        );
    }
    out
}

/// What one replay pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Replayed {
    /// Letters applied (or found already applied, for a vote stored meanwhile).
    pub applied: usize,
    /// Letters that still cannot be applied, kept with the new reason.
    pub kept: usize,
    /// One line per letter.
    pub lines: Vec<String>,
}

/// Reads every waiting letter again and applies it at `now`: a vote is recorded with its
/// usual effects (once by vote id), a `webhook.test` queues its notice, other events are
/// ignored as the webhook route ignores them. A letter that still cannot be read stays,
/// with the new reason. Stops at the first failure of the database itself.
pub async fn replay(db: &Db, now: Timestamp) -> anyhow::Result<Replayed> {
    let mut replayed = Replayed::default();
    for letter in db.pending_dead_letters().await? {
        let line = match apply(db, &letter, now).await {
            Ok(Some(done)) => {
                replayed.applied += 1;
                format!("#{}: {done}", letter.id)
            }
            Ok(None) => format!("#{}: taken by another replay", letter.id),
            Err(error) if is_unavailable(&error) => return Err(error),
            Err(error) => {
                let reason = format!("{error:#}");
                db.keep_dead_letter(letter.id, &reason).await?;
                replayed.kept += 1;
                format!("#{}: kept: {}", letter.id, clip(&reason, REASON_CHARS))
            }
        };
        replayed.lines.push(line);
    }
    Ok(replayed)
}

/// Applies one letter; `None` when another replay marked it first. A vote is recorded
/// before it is marked (a second recording is a duplicate, no second effect); a test notice
/// is marked first and unmarked if queueing it fails, so it is never posted twice.
async fn apply(db: &Db, letter: &DeadLetter, now: Timestamp) -> anyhow::Result<Option<String>> {
    let event = Event::parse(&letter.body())?;
    let connection = db.connection(&letter.connection_id).await?;
    let connection = connection.ok_or_else(|| {
        anyhow::anyhow!("connection {} is unknown (deleted?)", letter.connection_id)
    })?;
    let note = match event {
        Event::VoteCreate(vote) => {
            anyhow::ensure!(
                connection.accepts_vote(&vote),
                "the vote names another Top.gg project than its connection's"
            );
            let outcome = db.record_vote(&connection, &vote, now).await?;
            match outcome {
                VoteOutcome::Duplicate => "vote already stored",
                _ => "vote stored",
            }
        }
        Event::WebhookTest(test) => {
            let note = "test notice queued";
            if !db.mark_dead_letter_replayed(letter.id, now, note).await? {
                return Ok(None);
            }
            // Marked first (one notice even if two replays race); the key is the letter's.
            let key = format!("dead-letter:{}", letter.id);
            let keep_all = Timestamp::from_millis(0);
            let queued = db.queue_test_notice(&connection, &test, &key, keep_all, now);
            if let Err(error) = queued.await {
                db.keep_dead_letter(letter.id, &format!("{error:#}"))
                    .await?;
                return Err(error);
            }
            return Ok(Some(note.into()));
        }
        _ => "ignored (not a vote or a test)",
    };
    let marked = db.mark_dead_letter_replayed(letter.id, now, note).await?;
    Ok(marked.then(|| note.into()))
}

/// A bounded, one-line excerpt of `body` with secret-looking values masked, and those
/// values (to mask them elsewhere too).
fn excerpt(body: &[u8]) -> (String, Vec<String>) {
    let mut secrets = Vec::new();
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(mut json) => {
            redact(&mut json, &mut secrets);
            json.to_string()
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    (clip(&printable(&text), EXCERPT_CHARS), secrets)
}

/// Masks the value of every key that names a secret, a token or a password.
fn redact(json: &mut Value, secrets: &mut Vec<String>) {
    match json {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                let key = key.to_ascii_lowercase();
                if ["secret", "token", "password"]
                    .iter()
                    .any(|k| key.contains(k))
                {
                    secrets.push(value.as_str().map_or(value.to_string(), String::from));
                    *value = Value::String(REDACTED.into());
                } else {
                    redact(value, secrets);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| redact(item, secrets)),
        _ => {}
    }
}

fn mask(text: &str, secrets: &[String]) -> String {
    let secrets = secrets.iter().filter(|s| !s.is_empty());
    secrets.fold(text.to_string(), |text, secret| {
        text.replace(secret, REDACTED)
    })
}

/// Control characters shown escaped, so a letter cannot rewrite the terminal.
fn printable(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        match c.is_control() {
            true => shown.extend(c.escape_default()),
            false => shown.push(c),
        }
    }
    shown
}

fn clip(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_masks_secrets_and_is_bounded_and_printable() {
        let body = serde_json::json!({"type": "integration.create", "data": {
            "webhook_secret": "whs_hidden", "nested": [{"api_token": "t0k"}], "x": "y".repeat(500)}});
        let (shown, secrets) = excerpt(body.to_string().as_bytes());
        assert!(
            !shown.contains("whs_hidden") && !shown.contains("t0k"),
            "{shown}"
        );
        assert!(shown.chars().count() <= EXCERPT_CHARS + 3, "{shown}");
        assert_eq!(
            mask("bad value whs_hidden", &secrets),
            "bad value [REDACTED]"
        );
        let (raw, _) = excerpt(b"not json\x1b[2J\n");
        assert_eq!(raw, "not json\\u{1b}[2J\\n");
    }
}
