//! `POST /topgg/integration`: Top.gg's configuration URL (the connection handshake).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::Serialize;

use super::AppState;
use super::body::{Signed, fresh_signature, trace_id};
use super::error::ApiError;
use crate::domain::events::{Event, IntegrationCreate, names};

/// The event scopes the bot subscribes to: Top.gg delivers only these, and the dashboard's
/// test event (`webhook.test`) only when it is subscribed.
pub const ROUTES: [&str; 2] = [names::VOTE_CREATE, names::WEBHOOK_TEST];

/// The handshake answer.
#[derive(Debug, Serialize)]
pub struct HandshakeReply {
    pub webhook_url: String,
    pub routes: [&'static str; 2],
}

pub async fn configure(
    State(state): State<Arc<AppState>>,
    Signed { headers, body }: Signed,
) -> Result<Response, ApiError> {
    let trace = trace_id(&headers);
    let Some(secret) = &state.integration_secret else {
        return Err(ApiError::NoIntegration);
    };
    // A rejection is counted and logged (at a bounded rate) by the tracking layer.
    let tolerance = state.config.topgg.signature_tolerance_secs;
    fresh_signature(&headers, tolerance, state.clock.now())?
        .matching_mac(&body, secret.expose_secret())?;
    match Event::parse(&body)? {
        Event::IntegrationCreate(create) => {
            let reply = connect(&state, &create).await?;
            tracing::info!(%trace, connection = %create.connection_id,
                project = %create.project.id, "integration connected");
            Ok(Json(reply).into_response())
        }
        Event::IntegrationDelete(delete) => {
            let existed = state
                .db
                .delete_connection(&delete.connection_id, state.clock.now())
                .await
                .map_err(ApiError::Storage)?;
            state.connections.forget(&delete.connection_id);
            tracing::info!(%trace, connection = %delete.connection_id, existed, "integration deleted");
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        other => {
            tracing::info!(%trace, event = ?other.name(), "ignored event at the configuration URL");
            Ok(StatusCode::NO_CONTENT.into_response())
        }
    }
}

/// Stores the connection and builds the reply naming its webhook URL.
async fn connect(state: &AppState, create: &IntegrationCreate) -> Result<HandshakeReply, ApiError> {
    validate_connection(create)?;
    state
        .db
        .upsert_connection(create, state.clock.now())
        .await
        .map_err(ApiError::Storage)?;
    // Known at once here; other instances learn it at their next check.
    if let Err(error) = state.connections.reload(&create.connection_id).await {
        tracing::warn!(error = format!("{error:#}"), connection = %create.connection_id,
            "stored connection not reread; it is picked up at the next check");
    }
    Ok(HandshakeReply {
        webhook_url: format!(
            "{}/topgg/webhooks/{}",
            state.config.http.public_url, create.connection_id
        ),
        routes: ROUTES,
    })
}

/// A connection id becomes a URL path segment; a secret must exist to verify anything.
fn validate_connection(create: &IntegrationCreate) -> Result<(), ApiError> {
    let id = create.connection_id.as_str();
    let id_ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !id_ok {
        return Err(ApiError::BadRequest("invalid connection_id".into()));
    }
    if create.webhook_secret.is_empty() {
        return Err(ApiError::BadRequest("empty webhook_secret".into()));
    }
    Ok(())
}

/// Why Top.gg will not deliver to `public_url`, when it will not: Top.gg sends webhooks to
/// https URLs only. A loopback address (a local test) is not worth a warning.
pub fn public_url_warning(public_url: &str) -> Option<String> {
    let rest = public_url.strip_prefix("http://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (!loopback).then(|| {
        format!(
            "http.public_url ({public_url}) is not https: Top.gg delivers webhooks only to https URLs, \
             so votes will not arrive. Put the bot behind TLS and set http.public_url to its https address."
        )
    })
}

#[cfg(test)]
mod tests {
    use super::public_url_warning;

    #[test]
    fn a_plain_http_public_address_is_warned_about_but_https_and_loopback_are_not() {
        assert!(public_url_warning("http://bot.example.com").is_some());
        assert!(public_url_warning("http://203.0.113.5:8080/x").is_some());
        assert_eq!(public_url_warning("https://bot.example.com"), None);
        assert_eq!(public_url_warning("http://127.0.0.1:8080"), None);
        assert_eq!(public_url_warning("http://localhost:8080"), None);
        assert_eq!(public_url_warning("http://[::1]:8080"), None);
    }
}
