//! `GET /healthz` and `GET /readyz`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers, Discord accepts the token and, where this instance runs a
/// gateway, every shard it runs is connected. Otherwise 503 with the reasons.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = state.db.ping().await;
    let mut reasons = Vec::new();
    if !database {
        reasons.push("database unavailable".to_string());
    }
    let (gateway, discord) = discord_readiness(&state, &mut reasons).await;
    let status = if reasons.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let database = if database { "ok" } else { "unavailable" };
    let mut body = json!({ "database": database, "gateway": gateway, "discord": discord });
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
