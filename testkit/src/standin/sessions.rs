//! Discord's rules on starting gateway sessions: the `session_start_limit` of
//! `GET /gateway/bot` (every IDENTIFY spends one; the count comes back at `reset_after`), the
//! recommended shard count, and IDENTIFYs Discord closes with a 4010-4014 code.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::DiscordStandIn;
use super::state::Inner;

/// What Discord allows for starting sessions, and what it refuses at IDENTIFY.
pub struct Sessions {
    /// Session starts a day (Discord: 1,000 for most bots).
    pub total: u64,
    remaining: u64,
    reset_at: Instant,
    /// IDENTIFYs per 5 s (Discord: 1 below 150,000 guilds).
    pub max_concurrency: u64,
    /// The shard count `GET /gateway/bot` recommends.
    recommended: u64,
    /// IDENTIFYs whose total is below this are closed with 4011 Sharding required.
    required: Option<u64>,
    /// Every IDENTIFY is closed with this code.
    close_with: Option<u16>,
    /// The IDENTIFYs of this shard id are closed with this code.
    close_shard: Option<(u64, u16)>,
}

impl Default for Sessions {
    fn default() -> Self {
        Self {
            total: 1000,
            remaining: 1000,
            reset_at: Instant::now() + DAY,
            max_concurrency: 1,
            recommended: 1,
            required: None,
            close_with: None,
            close_shard: None,
        }
    }
}

const DAY: Duration = Duration::from_secs(24 * 3600);

impl Sessions {
    /// The count comes back in full once `reset_at` passes.
    fn refresh(&mut self, now: Instant) {
        if now >= self.reset_at {
            self.remaining = self.total;
            self.reset_at = now + DAY;
        }
    }

    /// The code Discord closes this IDENTIFY (`[shard, total]`) with, if any; spends a start
    /// otherwise.
    pub fn identify(&mut self, shard: [u64; 2], now: Instant) -> Option<(u16, &'static str)> {
        let this_shard = self.close_shard.filter(|(id, _)| *id == shard[0]);
        if let Some(code) = self.close_with.or(this_shard.map(|(_, code)| code)) {
            return Some((code, reason(code)));
        }
        if let Some(required) = self.required.filter(|r| shard[1] < *r) {
            self.recommended = required;
            return Some((4011, reason(4011)));
        }
        self.refresh(now);
        self.remaining = self.remaining.saturating_sub(1);
        None
    }

    /// The body of `GET /gateway/bot`.
    pub fn gateway_bot(&mut self, url: String, now: Instant) -> Value {
        self.refresh(now);
        let reset_after = self.reset_at.saturating_duration_since(now).as_millis() as u64;
        json!({
            "url": url, "shards": self.recommended,
            "session_start_limit": { "total": self.total, "remaining": self.remaining,
                                     "reset_after": reset_after,
                                     "max_concurrency": self.max_concurrency },
        })
    }
}

/// Discord's close reasons for the codes a stand-in test may choose.
fn reason(code: u16) -> &'static str {
    match code {
        4010 => "Invalid shard.",
        4011 => "Sharding required.",
        4012 => "Invalid API version.",
        4013 => "Invalid intent(s).",
        4014 => "Disallowed intent(s).",
        _ => "stand-in closed the session",
    }
}

/// The `GET /gateway/bot` answer for `inner`.
pub(super) fn gateway_bot(inner: &mut Inner, now: Instant) -> Value {
    let url = format!("{}/gateway", inner.base_url.replacen("http://", "ws://", 1));
    inner.session_starts.gateway_bot(url, now)
}

impl DiscordStandIn {
    /// From now on every IDENTIFY is closed with `code` (4010-4014 as Discord sends them);
    /// `None` accepts them again.
    pub fn close_identify_with(&self, code: Option<u16>) {
        self.state.lock().session_starts.close_with = code;
    }

    /// From now on the IDENTIFYs of shard `shard` (only) are closed with `code`.
    pub fn close_identify_of(&self, shard: u64, code: u16) {
        self.state.lock().session_starts.close_shard = Some((shard, code));
    }

    /// The bot outgrew its shards: IDENTIFYs with a total below `shards` are closed with 4011
    /// Sharding required, and from the first such close on `GET /gateway/bot` recommends
    /// `shards`.
    pub fn require_shards(&self, shards: u64) {
        self.state.lock().session_starts.required = Some(shards);
    }

    /// `GET /gateway/bot` reports `remaining` session starts, back to the full count after
    /// `reset_after`.
    pub fn limit_session_starts(&self, remaining: u64, reset_after: Duration) {
        let mut inner = self.state.lock();
        inner.session_starts.remaining = remaining;
        inner.session_starts.reset_at = Instant::now() + reset_after;
    }

    /// When the IDENTIFYs were received, in order.
    pub fn identify_times(&self) -> Vec<Instant> {
        self.state.lock().identify_times.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identify_below_the_required_total_is_closed_with_4011_and_the_count_recommended() {
        let mut sessions = Sessions {
            required: Some(2),
            ..Default::default()
        };
        let now = Instant::now();
        assert_eq!(sessions.gateway_bot("ws://x".into(), now)["shards"], 1);
        assert_eq!(sessions.identify([0, 1], now).map(|c| c.0), Some(4011));
        assert_eq!(sessions.gateway_bot("ws://x".into(), now)["shards"], 2);
        assert_eq!(sessions.identify([1, 2], now), None);
    }

    #[test]
    fn session_starts_are_spent_by_identifies_and_come_back_at_the_reset() {
        let mut sessions = Sessions::default();
        let now = Instant::now();
        sessions.remaining = 1;
        sessions.reset_at = now + Duration::from_secs(3);
        assert_eq!(sessions.identify([0, 1], now), None);
        let body = sessions.gateway_bot("ws://x".into(), now);
        assert_eq!(body["session_start_limit"]["remaining"], 0);
        assert_eq!(body["session_start_limit"]["reset_after"], 3000);
        let later = now + Duration::from_secs(4);
        let body = sessions.gateway_bot("ws://x".into(), later);
        assert_eq!(body["session_start_limit"]["remaining"], 1000);
    }
}
