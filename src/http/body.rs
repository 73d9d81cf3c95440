//! Request parts every Top.gg route needs: the raw body (bounded) and its signature.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue};

use super::error::ApiError;
use crate::domain::signature::{SignatureError, SignatureHeader};
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

/// A signed request's headers and raw body, the headers moved out of the request rather
/// than copied (as a separate `HeaderMap` extractor would).
pub struct Signed {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for Signed {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        let headers = std::mem::take(&mut parts.headers);
        let RawBody(body) = RawBody::from_request(Request::from_parts(parts, body), state).await?;
        Ok(Signed { headers, body })
    }
}

/// The first half of the signature check, before anything is looked up:
/// `x-topgg-signature` present, well formed and within `tolerance_secs` of `now`. The MAC is
/// checked with [`SignatureHeader::matching_mac`] once the secret is known.
pub fn fresh_signature(
    headers: &HeaderMap,
    tolerance_secs: u64,
    now: Timestamp,
) -> Result<SignatureHeader, ApiError> {
    let header = match headers.get("x-topgg-signature") {
        None => None,
        Some(value) => Some(value.to_str().map_err(|_| SignatureError::Malformed)?),
    };
    Ok(SignatureHeader::fresh(
        header,
        now.as_secs(),
        tolerance_secs,
    )?)
}

/// Top.gg's `x-topgg-trace`, for the logs (bounded, printable).
pub fn trace_id(headers: &HeaderMap) -> Trace<'_> {
    Trace(headers.get("x-topgg-trace"))
}

/// A trace header as logged: its first 128 characters, or `-` when it is missing or not
/// printable. Formatted only when a line is written.
pub struct Trace<'a>(pub Option<&'a HeaderValue>);

impl std::fmt::Display for Trace<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.and_then(|v| v.to_str().ok()) {
            Some(v) => f.write_str(v.char_indices().nth(128).map_or(v, |(end, _)| &v[..end])),
            None => f.write_str("-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_is_cut_to_128_characters_and_a_missing_one_is_a_dash() {
        let long = HeaderValue::from_str(&"a".repeat(200)).unwrap();
        assert_eq!(Trace(Some(&long)).to_string(), "a".repeat(128));
        let short = HeaderValue::from_static("abc");
        assert_eq!(Trace(Some(&short)).to_string(), "abc");
        assert_eq!(Trace(None).to_string(), "-");
    }
}
