//! The HTTP edge's error: every failure answers `{"error": "<reason>"}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::domain::events::PayloadError;
use crate::domain::signature::SignatureError;

/// Why a request was answered with an error: put on every error response for the layer that
/// counts and logs rejections (at a bounded rate) where the route is known.
#[derive(Debug, Clone)]
pub struct Rejection {
    /// A short fixed code, a `/metrics` label: `signature_mismatch`, `too_large`...
    pub reason: &'static str,
    /// The error in words (never a secret), for the log line.
    pub detail: String,
}

/// An error a request to the HTTP edge ends in.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(#[from] SignatureError),
    #[error("{0}")]
    BadRequest(String),
    #[error("unknown connection")]
    UnknownConnection,
    #[error("not found")]
    NotFound,
    /// The configuration URL of an instance with no integration secret (webhook mode).
    #[error("no Top.gg integration is configured on this bot: connect with /topgg webhook")]
    NoIntegration,
    /// A signed vote naming another Top.gg project than its connection's.
    #[error(
        "this vote names another Top.gg project than this connection's: refused, nothing stored"
    )]
    OtherProject,
    #[error("body larger than 64 KiB")]
    PayloadTooLarge,
    /// The database could not take the write: the sender should retry.
    #[error("storage unavailable, retry later")]
    Storage(#[source] anyhow::Error),
}

impl From<PayloadError> for ApiError {
    fn from(error: PayloadError) -> Self {
        ApiError::BadRequest(error.to_string())
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::UnknownConnection | ApiError::NotFound | ApiError::NoIntegration => {
                StatusCode::NOT_FOUND
            }
            ApiError::OtherProject => StatusCode::FORBIDDEN,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The short code counted in `/metrics` for this error.
    pub fn reason(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(SignatureError::Missing) => "signature_missing",
            ApiError::Unauthorized(SignatureError::Malformed) => "signature_malformed",
            ApiError::Unauthorized(SignatureError::Stale) => "signature_stale",
            ApiError::Unauthorized(SignatureError::Mismatch) => "signature_mismatch",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::UnknownConnection => "unknown_connection",
            ApiError::NotFound => "not_found",
            ApiError::NoIntegration => "no_integration",
            ApiError::OtherProject => "other_project",
            ApiError::PayloadTooLarge => "too_large",
            ApiError::Storage(_) => "storage_unavailable",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let detail = match &self {
            ApiError::Storage(source) => format!("{source:#}"),
            other => other.to_string(),
        };
        let rejection = Rejection {
            reason: self.reason(),
            detail,
        };
        let body = Json(serde_json::json!({ "error": self.to_string() }));
        let mut response = (self.status(), body).into_response();
        response.extensions_mut().insert(rejection);
        response
    }
}
