//! How a Discord answer is classified for the delivery policy.

use std::time::Duration;

use reqwest::header::HeaderMap;

use super::answers::ErrorAnswer;

/// Why a Discord action did not happen, sorted by what the worker does next.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DiscordError {
    /// 429: wait `retry_after`, then try again (does not count as a failure).
    #[error("rate limited for {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// 5xx (Discord answered that it failed): back off and retry.
    #[error("{0}")]
    Transient(String),
    /// No answer came (a timeout, a broken connection): Discord may have acted. Back off and
    /// retry like [`DiscordError::Transient`], with the same nonce.
    #[error("{0}")]
    NoAnswer(String),
    /// 401: Discord rejects the bot token (revoked or reset). Delivery stops until it works.
    #[error("Discord rejected the bot token (401)")]
    Unauthorized,
    /// 4xx such as missing permissions or an unknown channel: retrying cannot help.
    #[error("Discord {status} (code {code}): {message}")]
    Permanent {
        status: u16,
        code: i64,
        message: String,
    },
}

impl DiscordError {
    /// Whether Discord may have carried the call out although it failed (no answer came).
    pub fn may_have_acted(&self) -> bool {
        matches!(self, DiscordError::NoAnswer(_))
    }

    /// The code of a refusal (a 4xx), when it is one the bot acts on.
    pub fn refusal(&self) -> Option<ErrorCode> {
        match self {
            DiscordError::Permanent { code, .. } => ErrorCode::of(*code),
            _ => None,
        }
    }
}

/// Discord's JSON error codes the bot acts on (any other is only logged), by what they mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    UnknownChannel = 10003,
    UnknownMember = 10007,
    UnknownRole = 10011,
    MissingAccess = 50001,
    /// The user accepts no direct messages from the bot.
    CannotDm = 50007,
    MissingPermissions = 50013,
    /// An AutoMod rule blocked the message.
    AutoModBlocked = 200000,
    /// An AutoMod rule blocked the message for its content.
    AutoModBlockedContent = 200001,
}

impl ErrorCode {
    const ALL: [ErrorCode; 8] = [
        ErrorCode::UnknownChannel,
        ErrorCode::UnknownMember,
        ErrorCode::UnknownRole,
        ErrorCode::MissingAccess,
        ErrorCode::CannotDm,
        ErrorCode::MissingPermissions,
        ErrorCode::AutoModBlocked,
        ErrorCode::AutoModBlockedContent,
    ];

    /// The code as Discord writes it.
    pub fn number(self) -> i64 {
        self as i64
    }

    fn of(number: i64) -> Option<ErrorCode> {
        Self::ALL.into_iter().find(|code| code.number() == number)
    }
}

/// Classifies a non-2xx answer from its status, headers and body.
pub fn classify(status: u16, headers: &HeaderMap, body: &str) -> DiscordError {
    let answer = ErrorAnswer::read(body);
    if status == 429 {
        return DiscordError::RateLimited {
            retry_after: retry_after(headers, &answer),
        };
    }
    if status == 401 {
        return DiscordError::Unauthorized;
    }
    if status >= 500 || status == 408 {
        return DiscordError::Transient(format!("Discord answered {status}"));
    }
    DiscordError::Permanent {
        status,
        code: answer.code.unwrap_or(0),
        message: answer
            .message
            .as_deref()
            .unwrap_or("no message")
            .chars()
            .take(200)
            .collect(),
    }
}

/// Whether a 429 is Discord's global limit (every route of the token must wait), from the
/// body's `global` or the `X-RateLimit-Global` / `X-RateLimit-Scope: global` headers.
pub fn is_global_limit(headers: &HeaderMap, body: &str) -> bool {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    ErrorAnswer::read(body).global == Some(true)
        || header("x-ratelimit-global").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || header("x-ratelimit-scope").is_some_and(|v| v.eq_ignore_ascii_case("global"))
}

/// The wait a 429 asks for: the body's `retry_after` (seconds, fractional), else the
/// `Retry-After` header, else one second. Never more than an hour.
fn retry_after(headers: &HeaderMap, answer: &ErrorAnswer) -> Duration {
    let from_body = answer.retry_after;
    let from_header = || {
        headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    let secs = from_body.or_else(from_header).unwrap_or(1.0);
    Duration::from_secs_f64(secs.clamp(0.0, 3600.0))
}

/// How long Discord's rate-limit headers say to wait before the next call on this route.
pub fn exhausted_bucket_wait(headers: &HeaderMap) -> Option<Duration> {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if header("x-ratelimit-remaining")? != "0" {
        return None;
    }
    let secs = header("x-ratelimit-reset-after")?.parse::<f64>().ok()?;
    Some(Duration::from_secs_f64(secs.clamp(0.0, 3600.0)))
}

/// A header map of `(name, value)` pairs, for tests.
#[cfg(test)]
pub(super) fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        map.insert(*k, v.parse().unwrap());
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_429_waits_the_bodys_retry_after() {
        let body = r#"{"message":"You are being rate limited.","retry_after":0.25,"global":false}"#;
        let e = classify(429, &headers(&[("retry-after", "1")]), body);
        assert_eq!(
            e,
            DiscordError::RateLimited {
                retry_after: Duration::from_millis(250)
            }
        );
    }

    #[test]
    fn a_429_without_a_body_uses_the_header() {
        let e = classify(429, &headers(&[("retry-after", "3")]), "");
        assert_eq!(
            e,
            DiscordError::RateLimited {
                retry_after: Duration::from_secs(3)
            }
        );
    }

    #[test]
    fn server_errors_are_transient() {
        assert!(matches!(
            classify(500, &HeaderMap::new(), ""),
            DiscordError::Transient(_)
        ));
        assert!(matches!(
            classify(503, &HeaderMap::new(), "x"),
            DiscordError::Transient(_)
        ));
    }

    #[test]
    fn a_refusal_with_a_known_code_names_it_and_any_other_names_none() {
        let refused = |code| classify(403, &HeaderMap::new(), &format!(r#"{{"code":{code}}}"#));
        assert_eq!(
            refused(50013).refusal(),
            Some(ErrorCode::MissingPermissions)
        );
        assert_eq!(
            refused(200001).refusal(),
            Some(ErrorCode::AutoModBlockedContent)
        );
        assert_eq!(refused(50008).refusal(), None);
        assert_eq!(classify(500, &HeaderMap::new(), "").refusal(), None);
    }

    #[test]
    fn missing_permissions_is_permanent_with_its_code() {
        let body = r#"{"message":"Missing Permissions","code":50013}"#;
        let e = classify(403, &HeaderMap::new(), body);
        assert_eq!(
            e,
            DiscordError::Permanent {
                status: 403,
                code: 50013,
                message: "Missing Permissions".into()
            }
        );
    }

    #[test]
    fn a_401_is_an_unusable_token_and_a_global_429_is_recognised() {
        assert_eq!(
            classify(
                401,
                &HeaderMap::new(),
                r#"{"message":"401: Unauthorized","code":0}"#
            ),
            DiscordError::Unauthorized
        );
        let body = r#"{"message":"You are being rate limited.","retry_after":1,"global":true}"#;
        assert!(is_global_limit(&HeaderMap::new(), body));
        assert!(is_global_limit(
            &headers(&[("x-ratelimit-scope", "global")]),
            ""
        ));
        assert!(is_global_limit(
            &headers(&[("x-ratelimit-global", "true")]),
            ""
        ));
        let route = headers(&[("x-ratelimit-scope", "user")]);
        assert!(!is_global_limit(&route, r#"{"global":false}"#));
    }

    #[test]
    fn an_exhausted_bucket_says_how_long_to_wait() {
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset-after", "1.5"),
        ]);
        assert_eq!(exhausted_bucket_wait(&h), Some(Duration::from_millis(1500)));
        let h = headers(&[
            ("x-ratelimit-remaining", "3"),
            ("x-ratelimit-reset-after", "1.5"),
        ]);
        assert_eq!(exhausted_bucket_wait(&h), None);
    }
}
