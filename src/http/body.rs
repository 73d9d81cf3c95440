//! Request parts every Top.gg route needs: the raw body (bounded) and its signature.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue};

use super::error::ApiError;
use crate::domain::signature;
use crate::domain::time::Timestamp;

/// Bodies above this answer 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The raw body bytes, exactly as sent (signatures cover them byte for byte).
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(RawBody(bytes)),
            Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
                Err(ApiError::PayloadTooLarge)
            }
            Err(other) => Err(ApiError::BadRequest(other.body_text())),
        }
    }
}

/// Checks `x-topgg-signature` over `body` with `secret`, at `now`.
pub fn check_signature(
    headers: &HeaderMap,
    body: &[u8],
    secret: &str,
    tolerance_secs: u64,
    now: Timestamp,
) -> Result<(), ApiError> {
    let header = match headers.get("x-topgg-signature") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| signature::SignatureError::Malformed)?,
        ),
    };
    Ok(signature::verify(
        header,
        body,
        secret,
        now.as_secs(),
        tolerance_secs,
    )?)
}

/// Top.gg's `x-topgg-trace`, for the logs (bounded, printable).
pub fn trace_id(headers: &HeaderMap) -> String {
    trace_of(headers.get("x-topgg-trace"))
}

/// [`trace_id`] from the header's value.
pub fn trace_of(value: Option<&HeaderValue>) -> String {
    value
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(128).collect())
        .unwrap_or_else(|| "-".into())
}
