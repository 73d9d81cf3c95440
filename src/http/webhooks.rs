//! `POST /topgg/webhooks/{connection_id}`: signed events of one connection.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use secrecy::ExposeSecret;

use super::AppState;
use super::body::{Signed, Trace, check_signature, trace_id};
use super::error::ApiError;
use crate::domain::events::Event;
use crate::domain::ids::ConnectionId;
use crate::domain::signature::SignatureError;
use crate::storage::{Connection, VoteOutcome};

pub async fn receive(
    State(state): State<Arc<AppState>>,
    Path(connection_id): Path<String>,
    Signed { headers, body }: Signed,
) -> Result<StatusCode, ApiError> {
    // An id not of Top.gg's shape names no connection: no lookup is made for it.
    let connection_id =
        ConnectionId::parse(&connection_id).map_err(|_| ApiError::UnknownConnection)?;
    let trace = trace_id(&headers);
    // Rejections are counted and logged (at a bounded rate) by the tracking layer.
    let connection = verified_connection(&state, &connection_id, &headers, &body).await?;
    match Event::parse(&body)? {
        Event::VoteCreate(vote) => {
            let vote_id = vote.id.clone().into_string();
            let outcome = state
                .votes
                .record(connection, vote, state.clock.now())
                .await
                .map_err(ApiError::Storage)?;
            match outcome {
                VoteOutcome::Spooled => state.metrics.vote_spooled(),
                _ => state
                    .metrics
                    .vote(matches!(outcome, VoteOutcome::Stored { .. })),
            }
            match outcome {
                VoteOutcome::Stored { jobs, tally } => {
                    tracing::debug!(%trace, connection = %connection_id, vote = %vote_id,
                        total = tally.total, jobs, "vote stored");
                    if jobs > 0 {
                        state.work_queued.notify_one();
                    }
                    log_summary(&state, &trace, connection_id.as_str(), &vote_id, true);
                }
                VoteOutcome::Duplicate => {
                    tracing::debug!(%trace, connection = %connection_id, vote = %vote_id, "duplicate vote ignored");
                    log_summary(&state, &trace, connection_id.as_str(), &vote_id, false);
                }
                VoteOutcome::Spooled => {
                    tracing::info!(%trace, connection = %connection_id, vote = %vote_id, "vote spooled");
                }
            }
        }
        Event::WebhookTest(test) => {
            let jobs = state
                .db
                .queue_test_notice(&connection, &test, state.clock.now())
                .await
                .map_err(ApiError::Storage)?;
            tracing::info!(%trace, connection = %connection_id, jobs, "webhook.test received");
            state.work_queued.notify_one();
        }
        other => {
            tracing::info!(%trace, connection = %connection_id, event = other.name(), "event ignored");
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Counts a stored (or duplicate) vote and, at most once per period, writes the info line
/// that sums up the votes since the last one.
fn log_summary(state: &AppState, trace: &Trace, connection_id: &str, vote_id: &str, stored: bool) {
    if let Some(since) = state.vote_log.note(stored) {
        tracing::info!(%trace, connection = %connection_id, last_vote = %vote_id,
            stored = since.stored, duplicates = since.duplicates,
            "votes received since the last such line");
    }
}

/// The connection whose secret signed this request. A cached connection whose secret does
/// not match is looked up again, in case it was reconnected with a new secret meanwhile.
async fn verified_connection(
    state: &AppState,
    connection_id: &ConnectionId,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Connection, ApiError> {
    let tolerance = state.config.topgg.signature_tolerance_secs;
    let check = |connection: &Connection| {
        let secret = connection.webhook_secret.0.expose_secret();
        check_signature(headers, body, secret, tolerance, state.clock.now())
    };
    let cached = state.connections.get(connection_id).await;
    let connection = cached
        .map_err(ApiError::Storage)?
        .ok_or(ApiError::UnknownConnection)?;
    match check(&connection) {
        Err(ApiError::Unauthorized(SignatureError::Mismatch)) => {
            let fresh = state.connections.refresh(connection_id).await;
            let fresh = fresh
                .map_err(ApiError::Storage)?
                .ok_or(ApiError::UnknownConnection)?;
            check(&fresh).map(|()| fresh)
        }
        checked => checked.map(|()| connection),
    }
}
