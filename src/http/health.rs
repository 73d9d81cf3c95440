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

/// Ready when the database answers and, where this instance runs a gateway, it is connected.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = state.db.ping().await;
    let gateway = state
        .gateway_connected
        .as_ref()
        .map(|flag| flag.load(Ordering::Relaxed));
    let ready = database && gateway.unwrap_or(true);
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
    let database = if database { "ok" } else { "unavailable" };
    (
        status,
        Json(json!({ "database": database, "gateway": gateway })),
    )
}
