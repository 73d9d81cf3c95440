//! What Discord's edge (Cloudflare) holds against the bot's address: every 401, 403 and 429
//! counts towards a ban of the IP past 10,000 in 10 minutes, and a 429 from the edge itself
//! (no rate-limit headers, or an HTML page such as "Error 1015") means it blocks the address
//! now. Both stop every call of this instance for a while.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// The rolling window Discord counts invalid requests in.
pub const INVALID_WINDOW: Duration = Duration::from_secs(600);
/// Invalid requests per window past which no call is made: half of Discord's 10,000.
pub const INVALID_BUDGET: usize = 5_000;
/// The first pause after the edge blocked the address; it doubles while the block lasts.
pub const EDGE_PAUSE_FIRST: Duration = Duration::from_secs(60);
/// The longest pause (Discord's IP ban lasts an hour).
pub const EDGE_PAUSE_MAX: Duration = Duration::from_secs(3600);

/// How many invalid answers the bot allows itself in which rolling window. Discord's
/// ([`INVALID_BUDGET`] in [`INVALID_WINDOW`]) unless a test sets a smaller one through
/// `Config::discord.invalid_budget`, which no config file or environment variable can set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidBudget {
    pub max: usize,
    pub window: Duration,
}

impl Default for InvalidBudget {
    fn default() -> Self {
        Self {
            max: INVALID_BUDGET,
            window: INVALID_WINDOW,
        }
    }
}

/// Invalid answers of the last window and the edge's block, shared by every call.
#[derive(Default)]
pub struct EdgeGuard {
    state: Mutex<State>,
    budget: InvalidBudget,
}

#[derive(Default)]
struct State {
    invalid: VecDeque<Instant>,
    blocked_until: Option<Instant>,
    /// The last pause; the next block while it lasts (or right after) doubles it.
    last_pause: Option<Duration>,
}

/// Whether an answer counts towards Discord's invalid-request limit: 401, 403, and 429s other
/// than those of the shared rate-limit scope.
pub fn counts_as_invalid(status: u16, headers: &HeaderMap) -> bool {
    let shared = headers
        .get("x-ratelimit-scope")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("shared"));
    matches!(status, 401 | 403) || (status == 429 && !shared)
}

/// Whether a 429 comes from Discord's edge rather than its API: no rate-limit headers at all,
/// or an HTML body.
pub fn is_edge_block(status: u16, headers: &HeaderMap, body: &[u8]) -> bool {
    if status != 429 {
        return false;
    }
    let html = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
        || String::from_utf8_lossy(body).trim_start().starts_with('<');
    let has_limit_headers = ["retry-after", "x-ratelimit-scope", "x-ratelimit-global"]
        .iter()
        .any(|name| headers.contains_key(*name));
    html || !has_limit_headers
}

impl EdgeGuard {
    pub fn new(budget: InvalidBudget) -> Self {
        Self {
            state: Mutex::default(),
            budget,
        }
    }

    /// Invalid answers allowed per window.
    pub fn budget(&self) -> usize {
        self.budget.max
    }

    /// Counts one invalid answer; returns whether this one takes the count past the budget.
    pub fn invalid(&self) -> bool {
        self.invalid_at(Instant::now())
    }

    fn invalid_at(&self, now: Instant) -> bool {
        let mut state = self.lock();
        state.forget_old(now, self.budget.window);
        state.invalid.push_back(now);
        state.invalid.len() == self.budget.max + 1
    }

    /// The edge blocks the address: pause every call, twice as long as last time if the
    /// previous pause had not long ended. Returns the pause.
    pub fn blocked(&self) -> Duration {
        self.blocked_at(Instant::now())
    }

    fn blocked_at(&self, now: Instant) -> Duration {
        let mut state = self.lock();
        let recent = |until: Instant, last: Duration| now < until + last;
        let pause = match (state.blocked_until, state.last_pause) {
            (Some(until), Some(last)) if recent(until, last) => (last * 2).min(EDGE_PAUSE_MAX),
            _ => EDGE_PAUSE_FIRST,
        };
        state.blocked_until = Some(now + pause);
        state.last_pause = Some(pause);
        pause
    }

    /// Invalid answers within the last window.
    pub fn invalid_count(&self) -> usize {
        self.invalid_count_at(Instant::now())
    }

    fn invalid_count_at(&self, now: Instant) -> usize {
        let mut state = self.lock();
        state.forget_old(now, self.budget.window);
        state.invalid.len()
    }

    /// How long no call may be made, if any: the edge's block or the budget spent.
    pub fn pause_left(&self) -> Option<Duration> {
        self.pause_left_at(Instant::now())
    }

    fn pause_left_at(&self, now: Instant) -> Option<Duration> {
        let mut state = self.lock();
        state.forget_old(now, self.budget.window);
        let blocked = state.blocked_until.filter(|u| *u > now).map(|u| u - now);
        let over = state.invalid.len().checked_sub(self.budget.max);
        let budget = over.filter(|n| *n > 0).and_then(|n| {
            let falls_at = state.invalid[n - 1] + self.budget.window;
            (falls_at > now).then(|| falls_at - now)
        });
        blocked.max(budget)
    }

    /// Why no call is made now, for `/readyz`.
    pub fn problem(&self) -> Option<String> {
        self.problem_at(Instant::now())
    }

    fn problem_at(&self, now: Instant) -> Option<String> {
        let mut state = self.lock();
        state.forget_old(now, self.budget.window);
        if let Some(until) = state.blocked_until.filter(|u| *u > now) {
            return Some(format!(
                "Discord's edge blocks this address (a 429 without rate-limit headers): every call paused for {} s more",
                (until - now).as_secs() + 1
            ));
        }
        let count = state.invalid.len();
        let InvalidBudget { max, window } = self.budget;
        (count > max).then(|| {
            format!(
                "{count} invalid Discord requests (401/403/429) in {}, past the budget of {max}: calls paused until the count falls",
                span(window)
            )
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        super::unpoisoned(&self.state)
    }
}

/// `10 minutes`, or `3 s` for a window that is no whole number of minutes.
fn span(window: Duration) -> String {
    match window.as_secs() {
        secs if secs >= 60 && secs % 60 == 0 => format!("{} minutes", secs / 60),
        secs => format!("{secs} s"),
    }
}

impl State {
    fn forget_old(&mut self, now: Instant, window: Duration) {
        while self.invalid.front().is_some_and(|t| now - *t >= window) {
            self.invalid.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discord::error::headers;

    #[test]
    fn a_429_with_html_or_without_rate_limit_headers_is_the_edge() {
        let html = headers(&[("content-type", "text/html; charset=UTF-8")]);
        assert!(is_edge_block(429, &html, b"<!DOCTYPE html>Error 1015"));
        assert!(is_edge_block(429, &HeaderMap::new(), b"{}"));
        let route = headers(&[("retry-after", "1"), ("x-ratelimit-scope", "user")]);
        assert!(!is_edge_block(429, &route, br#"{"retry_after":1}"#));
        assert!(!is_edge_block(403, &HeaderMap::new(), b"<html>"));
    }

    #[test]
    fn shared_scope_429s_do_not_count_as_invalid() {
        assert!(counts_as_invalid(401, &HeaderMap::new()));
        assert!(counts_as_invalid(403, &HeaderMap::new()));
        assert!(counts_as_invalid(
            429,
            &headers(&[("x-ratelimit-scope", "user")])
        ));
        assert!(!counts_as_invalid(
            429,
            &headers(&[("x-ratelimit-scope", "shared")])
        ));
        assert!(!counts_as_invalid(404, &HeaderMap::new()));
    }

    #[test]
    fn past_the_budget_calls_pause_until_the_count_falls() {
        let guard = EdgeGuard::default();
        let start = Instant::now();
        for _ in 0..INVALID_BUDGET {
            assert!(!guard.invalid_at(start));
        }
        assert_eq!(
            guard.pause_left_at(start),
            None,
            "at the budget calls still go"
        );
        let later = start + Duration::from_secs(60);
        assert!(guard.invalid_at(later), "the one past the budget is news");
        let left = guard.pause_left_at(later).unwrap();
        assert_eq!(left, INVALID_WINDOW - Duration::from_secs(60));
        let problem = guard.problem_at(later).unwrap();
        assert!(problem.contains("5001 invalid"), "{problem}");
        assert!(problem.contains("in 10 minutes"), "{problem}");
        assert_eq!(guard.pause_left_at(later + left), None);
        assert_eq!(guard.invalid_count_at(later + left), 1);
    }

    #[test]
    fn an_edge_block_pauses_a_minute_and_doubles_while_it_lasts_up_to_an_hour() {
        let guard = EdgeGuard::default();
        let mut now = Instant::now();
        assert_eq!(guard.blocked_at(now), EDGE_PAUSE_FIRST);
        assert!(guard.problem_at(now).unwrap().contains("edge"));
        let mut pause = EDGE_PAUSE_FIRST;
        for _ in 0..8 {
            now += pause;
            assert_eq!(guard.pause_left_at(now), None);
            pause = guard.blocked_at(now);
        }
        assert_eq!(pause, EDGE_PAUSE_MAX);
        now += pause * 3;
        assert_eq!(
            guard.blocked_at(now),
            EDGE_PAUSE_FIRST,
            "a block long over starts again"
        );
    }
}
