//! A correctly signed body on a webhook URL that this version cannot read: kept as a dead
//! letter and answered 202, since Top.gg never retries a 400 and the vote would be lost.
//! `topgg-bot dead-letters replay` applies it after an upgrade.

use axum::http::{HeaderMap, StatusCode};

use super::AppState;
use super::body::trace_id;
use super::error::ApiError;
use crate::domain::events::PayloadError;
use crate::domain::ids::ConnectionId;
use crate::storage::{LetterSource, NewDeadLetter, STORE_DEADLINE, pool};

/// Stores the unreadable `body` of `connection` and answers 202 (503 when it cannot be
/// stored: Top.gg retries that).
pub async fn keep(
    state: &AppState,
    connection: &ConnectionId,
    headers: &HeaderMap,
    body: &[u8],
    error: PayloadError,
) -> Result<StatusCode, ApiError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let reason = error.to_string();
    let letter = NewDeadLetter {
        connection,
        source: LetterSource::Webhook,
        body,
        signature: header("x-topgg-signature"),
        trace: header("x-topgg-trace"),
        reason: &reason,
        received_at: state.clock.now(),
    };
    let stored = pool::bounded(STORE_DEADLINE, state.db.store_dead_letter(&letter)).await;
    let id = stored.map_err(ApiError::Storage)?;
    state.metrics.dead_letter(LetterSource::Webhook.as_str());
    tracing::warn!(trace = %trace_id(headers), connection = %connection, dead_letter = id,
        "a signed body this version cannot read was kept as a dead letter");
    Ok(StatusCode::ACCEPTED)
}
