//! `GET /healthz` and `GET /readyz`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when votes can be committed (the database takes a write and no vote write failed
/// lately; with Postgres down, the spool taking them counts), Discord accepts the token and,
/// where this instance runs a gateway, every shard it runs is connected. Otherwise 503 with
/// the reasons.
pub async fn readyz(State(state): State<Arc<AppState>>) -> (StatusCode, Json<Value>) {
    let mut reasons = Vec::new();
    let (database_ok, database) = database_state(&state).await;
    if !database_ok {
        reasons.push(format!("database {database}"));
    }
    let (gateway, discord) = discord_readiness(&state, &mut reasons).await;
    let status = if reasons.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut body = json!({
        "database": database,
        "gateway": gateway,
        "discord": discord,
        "spool_depth": state.votes.spool_depth(),
    });
    if !reasons.is_empty() {
        body["reason"] = json!(reasons.join("; "));
    }
    (status, Json(body))
}

/// The gateway's and the token's words for `/readyz`; adds what is wrong to `reasons`.
async fn discord_readiness(
    state: &AppState,
    reasons: &mut Vec<String>,
) -> (&'static str, &'static str) {
    let gateway = match &state.gateway {
        None => "not run by this instance",
        Some(status) => match status.check().await {
            Ok(()) => "connected",
            Err(why) => {
                reasons.push(format!("gateway: {why}"));
                "disconnected"
            }
        },
    };
    let discord = match state.discord.problem() {
        None => "ok",
        Some(problem) => {
            reasons.push(problem);
            "token rejected"
        }
    };
    (gateway, discord)
}

/// Whether votes can be committed now, and the word /readyz shows for the database. With
/// Postgres down, votes still go to the spool, so the instance stays ready (taking it out of
/// a load balancer would lose the votes the spool exists to keep).
async fn database_state(state: &AppState) -> (bool, &'static str) {
    if state.votes.failing() {
        return (false, "cannot take writes");
    }
    match (state.db.takes_writes().await, state.votes.has_spool()) {
        (true, _) => (true, "ok"),
        (false, true) => (true, "unavailable; votes go to the spool"),
        (false, false) => (false, "cannot take writes"),
    }
}
