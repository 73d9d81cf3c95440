//! Injected failures and the "down" switch.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;

use super::rest::Resp;

/// A failure `fail_next` makes the stand-in answer instead of the real response.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// 429, Discord's body `{"message","retry_after","global":false}` (no `code`, as Discord
    /// sends it for route limits) and the `Retry-After` / `X-RateLimit-*` headers.
    RateLimited { retry_after: f64 },
    /// A global 429: `"global": true` in the body, `X-RateLimit-Global: true` and
    /// `X-RateLimit-Scope: global`. Every call of the token must wait `retry_after`.
    GlobalRateLimited { retry_after: f64 },
    /// Discord's edge (Cloudflare) blocking the address: 429 with an HTML "Error 1015" page and
    /// no rate-limit headers.
    EdgeBlocked,
    /// The request is carried out (a message is posted), then the connection closes with no
    /// response: the client sees a transport error and cannot know it worked.
    DropResponse,
    /// The answer comes this much later (the request is then handled as usual).
    Delay(Duration),
    /// 500 `{"message":"500: Internal Server Error","code":0}`.
    ServerError,
    /// 502 `{"message":"502: Bad Gateway","code":0}`.
    BadGateway,
    /// 503 `{"message":"503: Service Unavailable","code":0}`.
    Unavailable,
    /// 403 `{"message":"Missing Permissions","code":50013}`.
    MissingPermissions,
    /// 404 with the given JSON error code (10003 channel, 10007 member, 10011 role, ...).
    NotFound(u64),
    /// Any status with a Discord JSON error body.
    Status {
        status: u16,
        code: u64,
        message: String,
    },
}

impl Fault {
    pub fn response(&self) -> Resp {
        match self {
            Fault::RateLimited { retry_after } => rate_limited(*retry_after, "user"),
            Fault::GlobalRateLimited { retry_after } => global_rate_limited(*retry_after),
            Fault::EdgeBlocked => edge_blocked(),
            Fault::DropResponse | Fault::Delay(_) => Resp::no_content(),
            Fault::ServerError => Resp::error(500, 0, "500: Internal Server Error"),
            Fault::BadGateway => Resp::error(502, 0, "502: Bad Gateway"),
            Fault::Unavailable => unavailable(),
            Fault::MissingPermissions => Resp::error(403, 50013, "Missing Permissions"),
            Fault::NotFound(code) => Resp::error(404, *code, &not_found_message(*code)),
            Fault::Status {
                status,
                code,
                message,
            } => Resp::error(*status, *code, message),
        }
    }
}

/// Cloudflare's 1015 page: no JSON, no `Retry-After`, no `X-RateLimit-*`.
pub fn edge_blocked() -> Resp {
    let mut resp = Resp::no_content();
    resp.status = 429;
    resp.html = Some(
        "<!DOCTYPE html><html><head><title>Access denied | discord.com used Cloudflare to \
         restrict access</title></head><body><h1>Error 1015</h1><h2>You are being rate \
         limited</h2></body></html>"
            .into(),
    );
    resp
}

pub fn unavailable() -> Resp {
    Resp::error(503, 0, "503: Service Unavailable")
}

fn not_found_message(code: u64) -> String {
    match code {
        10003 => "Unknown Channel".into(),
        10004 => "Unknown Guild".into(),
        10007 => "Unknown Member".into(),
        10008 => "Unknown Message".into(),
        10011 => "Unknown Role".into(),
        10062 => "Unknown interaction".into(),
        _ => "404: Not Found".into(),
    }
}

/// Discord's 429: body with `retry_after` in seconds and the rate-limit headers.
pub fn rate_limited(retry_after: f64, scope: &str) -> Resp {
    let body = json!({ "message": "You are being rate limited.", "retry_after": retry_after,
                       "global": false });
    let mut resp = Resp::json(429, body);
    resp.headers = vec![
        ("retry-after", format!("{}", retry_after.ceil() as u64)),
        ("x-ratelimit-limit", "5".into()),
        ("x-ratelimit-remaining", "0".into()),
        ("x-ratelimit-reset-after", format!("{retry_after:.3}")),
        ("x-ratelimit-scope", scope.into()),
        ("x-ratelimit-bucket", "standin-bucket".into()),
    ];
    resp
}

/// Discord's global 429 (all routes of the token), without per-route bucket headers.
pub fn global_rate_limited(retry_after: f64) -> Resp {
    let body = json!({ "message": "You are being rate limited.", "retry_after": retry_after,
                       "global": true });
    let mut resp = Resp::json(429, body);
    resp.headers = vec![
        ("retry-after", format!("{}", retry_after.ceil() as u64)),
        ("x-ratelimit-global", "true".into()),
        ("x-ratelimit-scope", "global".into()),
    ];
    resp
}

#[derive(Clone, Debug)]
pub struct FaultRule {
    pub method: String,
    pub path_prefix: String,
    pub remaining: usize,
    pub fault: Fault,
}

impl FaultRule {
    fn matches(&self, method: &str, path: &str) -> bool {
        self.remaining > 0
            && (self.method == "*" || self.method.eq_ignore_ascii_case(method))
            && path.starts_with(&self.path_prefix)
    }
}

/// Takes one use of the first rule that matches (delays are taken by [`take_delay`]).
pub fn take_fault(rules: &mut Vec<FaultRule>, method: &str, path: &str) -> Option<Fault> {
    let rule = rules
        .iter_mut()
        .find(|r| r.matches(method, path) && !matches!(r.fault, Fault::Delay(_)))?;
    rule.remaining -= 1;
    let fault = rule.fault.clone();
    rules.retain(|r| r.remaining > 0);
    Some(fault)
}

/// Takes one use of the first matching [`Fault::Delay`] rule.
pub fn take_delay(rules: &mut Vec<FaultRule>, method: &str, path: &str) -> Option<Duration> {
    let rule = rules
        .iter_mut()
        .find(|r| r.matches(method, path) && matches!(r.fault, Fault::Delay(_)))?;
    rule.remaining -= 1;
    let Fault::Delay(delay) = rule.fault else {
        return None;
    };
    rules.retain(|r| r.remaining > 0);
    Some(delay)
}

/// Counts 429s and requests that came back before their `retry_after` had elapsed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateLimitStats {
    pub issued: usize,
    pub violations: usize,
}

/// Per-key "blocked until" times set by every 429 the stand-in sends (injected or not).
#[derive(Debug, Default)]
pub struct Backoff {
    blocked_until: HashMap<String, Instant>,
    pub stats: RateLimitStats,
}

impl Backoff {
    /// Notes a request; counts a violation when it arrives while its key (or, after a global
    /// 429, every key: `*`) is blocked.
    pub fn observe(&mut self, key: &str, now: Instant) {
        let blocked = |k: &str| self.blocked_until.get(k).is_some_and(|until| now < *until);
        if blocked(key) || blocked("*") {
            self.stats.violations += 1;
        }
    }

    pub fn issued(&mut self, key: &str, now: Instant, retry_after: f64) {
        self.stats.issued += 1;
        let until = now + Duration::from_secs_f64(retry_after.max(0.0));
        self.blocked_until.insert(key.to_string(), until);
    }
}
