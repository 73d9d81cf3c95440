//! `GET /healthz` and `GET /readyz`.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when votes can be committed (the database takes a write and no vote write failed
/// lately; with Postgres down, the spool taking them counts) and, where this instance runs
/// a gateway, it is connected.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let (database_ok, database) = database_state(&state).await;
    let gateway = state
        .gateway_connected
        .as_ref()
        .map(|flag| flag.load(Ordering::Relaxed));
    let ready = database_ok && gateway.unwrap_or(true);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let gateway = match gateway {
        None => "not run by this instance",
        Some(true) => "connected",
        Some(false) => "disconnected",
    };
    let spool = state.votes.spool_depth();
    (
        status,
        Json(json!({ "database": database, "gateway": gateway, "spool_depth": spool })),
    )
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
