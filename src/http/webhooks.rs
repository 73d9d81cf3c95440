//! `POST /topgg/webhooks/{connection_id}`: signed events of one connection.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use secrecy::ExposeSecret;

use super::AppState;
use super::body::{Signed, Trace, fresh_signature, trace_id};
use super::error::ApiError;
use crate::domain::events::{Event, WebhookTest};
use crate::domain::ids::ConnectionId;
use crate::domain::signature::SignatureError;
use crate::storage::{Connection, VoteOutcome};
use std::time::Duration;

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
    let Verified {
        connection,
        signature,
    } = verified_connection(&state, &connection_id, &headers, &body).await?;
    let now = state.clock.now();
    state.first_events.note(&state.db, &connection_id, now);
    let event = match Event::parse(&body) {
        Ok(event) => event,
        Err(error) => {
            return super::dead_letter::keep(&state, &connection_id, &headers, &body, error).await;
        }
    };
    match event {
        Event::VoteCreate(vote) => {
            if !connection.accepts_vote(&vote) {
                tracing::info!(%trace, connection = %connection_id, project = %vote.project.id,
                    "vote for another project refused");
                return Err(ApiError::OtherProject);
            }
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
            let queued = queue_test_notice(&state, &connection, &test, &signature).await?;
            match queued {
                Some(jobs) => {
                    tracing::info!(%trace, connection = %connection_id, jobs, "webhook.test received");
                    state.work_queued.notify_one();
                }
                None => {
                    tracing::info!(%trace, connection = %connection_id, "webhook.test replayed; no second notice");
                }
            }
        }
        other => {
            tracing::info!(%trace, connection = %connection_id, event = other.name(), "event ignored");
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Queues a `webhook.test`'s notice unless this delivery (`signature`) was seen already. A
/// replay is accepted for `signature_tolerance_secs` either side of its `t`, so a delivery is
/// remembered for twice that.
async fn queue_test_notice(
    state: &AppState,
    connection: &Connection,
    test: &WebhookTest,
    signature: &str,
) -> Result<Option<usize>, ApiError> {
    let now = state.clock.now();
    let window = Duration::from_secs(2 * state.config.topgg.signature_tolerance_secs);
    let queued = state
        .db
        .queue_test_notice(connection, test, signature, now - window, now)
        .await;
    queued.map_err(ApiError::Storage)
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

/// A request whose signature one connection's secret made.
struct Verified {
    connection: Connection,
    /// The signature's `t` and matching MAC: what makes this delivery the same one again.
    signature: String,
}

/// The connection whose secret signed this request. The header's form and time are checked
/// before anything is looked up; a known connection whose secret does not match is reread
/// (at most once every few seconds), in case it was reconnected with a new secret meanwhile.
async fn verified_connection(
    state: &AppState,
    connection_id: &ConnectionId,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Verified, ApiError> {
    let tolerance = state.config.topgg.signature_tolerance_secs;
    let header = fresh_signature(headers, tolerance, state.clock.now())?;
    let verified = |connection: Connection| {
        let secret = connection.webhook_secret.0.expose_secret();
        let mac = header.matching_mac(body, secret)?;
        let signature = format!("{}:{}", header.timestamp, hex::encode(mac));
        Ok::<_, SignatureError>(Verified {
            connection,
            signature,
        })
    };
    let known = state.connections.get(connection_id).await;
    let known = known
        .map_err(ApiError::Storage)?
        .ok_or(ApiError::UnknownConnection)?;
    match verified(known) {
        Err(SignatureError::Mismatch) => {
            let fresh = state.connections.recheck(connection_id).await;
            let fresh = fresh
                .map_err(ApiError::Storage)?
                .ok_or(SignatureError::Mismatch)?;
            Ok(verified(fresh)?)
        }
        checked => Ok(checked?),
    }
}
