//! The HTTP edge's error: every failure answers `{"error": "<reason>"}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::domain::events::PayloadError;
use crate::domain::signature::SignatureError;

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
            ApiError::UnknownConnection | ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Storage(source) = &self {
            tracing::error!(
                error = format!("{source:#}"),
                "storage failed; answering 503"
            );
        }
        let body = Json(serde_json::json!({ "error": self.to_string() }));
        (self.status(), body).into_response()
    }
}
