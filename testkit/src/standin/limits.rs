//! Discord's rate limits as the stand-in applies them.
//!
//! - Per-route buckets: every answer of a limited route carries `X-RateLimit-Limit`,
//!   `-Remaining`, `-Reset`, `-Reset-After` and `-Bucket`, Remaining counting down per bucket
//!   and major parameter (the channel) per window; past it, a 429 (scope `user`).
//!   <https://discord.com/developers/docs/topics/rate-limits#header-format>
//! - The global limit: 50 requests a second per bot token, whatever the number of clients;
//!   the 51st is a 429 with `"global": true` and `X-RateLimit-Global: true`. Interaction
//!   endpoints (callbacks and the interaction webhooks) are not bound to it.
//!   <https://discord.com/developers/docs/topics/rate-limits#global-rate-limit>

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::faults::{global_rate_limited, rate_limited};
use super::rest::Resp;

/// The bucket hash Discord reports for `POST /channels/{id}/messages` (the same for every
/// channel: the limit is per bucket and channel).
pub const MESSAGE_BUCKET: &str = "80c17d2f203122d936070c88c8d10f33";
/// Discord's global limit: requests per second per bot token.
pub const GLOBAL_PER_SECOND: usize = 50;
const SECOND: Duration = Duration::from_secs(1);

/// Where a bucket stands after a request was counted in it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BucketState {
    pub limit: usize,
    pub remaining: usize,
    pub reset_after: Duration,
}

impl BucketState {
    /// Discord's `X-RateLimit-*` headers for this state of `bucket`.
    pub fn headers(&self, bucket: &str) -> Vec<(&'static str, String)> {
        let reset_at = SystemTime::now() + self.reset_after;
        let epoch = reset_at.duration_since(UNIX_EPOCH).unwrap_or_default();
        vec![
            ("x-ratelimit-limit", self.limit.to_string()),
            ("x-ratelimit-remaining", self.remaining.to_string()),
            ("x-ratelimit-reset", format!("{:.3}", epoch.as_secs_f64())),
            (
                "x-ratelimit-reset-after",
                format!("{:.3}", seconds_rounded_up(self.reset_after)),
            ),
            ("x-ratelimit-bucket", bucket.to_string()),
        ]
    }
}

/// Seconds rounded up to the millisecond (at least 1 ms), so a client that waits exactly that
/// long finds the window over.
fn seconds_rounded_up(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).ceil().max(1.0) / 1000.0
}

/// A fixed-window limit per channel, like Discord's 5 messages per 5 s.
#[derive(Debug)]
pub struct ChannelLimiter {
    pub max: usize,
    pub per: Duration,
    windows: HashMap<u64, (Instant, usize)>,
}

impl Default for ChannelLimiter {
    /// 5 messages per 5 seconds per channel.
    fn default() -> Self {
        Self::new(5, Duration::from_secs(5))
    }
}

impl ChannelLimiter {
    pub fn new(max: usize, per: Duration) -> Self {
        Self {
            max,
            per,
            windows: HashMap::new(),
        }
    }

    /// Counts one request in `channel`'s bucket: its state after the request, or the 429 (with
    /// the bucket's headers) when the window is used up.
    pub fn take(&mut self, channel: u64, now: Instant) -> Result<BucketState, Resp> {
        let (max, per) = (self.max, self.per);
        let window = self.windows.entry(channel).or_insert((now, 0));
        if now.duration_since(window.0) >= per {
            *window = (now, 0);
        }
        let reset_after = (window.0 + per).saturating_duration_since(now);
        let mut state = BucketState {
            limit: max,
            remaining: 0,
            reset_after,
        };
        if window.1 >= max {
            let mut resp = rate_limited(seconds_rounded_up(reset_after), "user");
            resp.headers.retain(|(k, _)| !k.starts_with("x-ratelimit-"));
            resp.headers.push(("x-ratelimit-scope", "user".into()));
            resp.headers.extend(state.headers(MESSAGE_BUCKET));
            return Err(resp);
        }
        window.1 += 1;
        state.remaining = max - window.1;
        Ok(state)
    }
}

/// Whether a request path counts against the global limit: interaction callbacks and the
/// interaction webhooks (follow-ups, `@original`) do not.
pub fn counts_globally(path: &str) -> bool {
    !path.starts_with("/interactions/") && !path.starts_with("/webhooks/")
}

/// Discord's global limit over a rolling second, across every client of the token.
#[derive(Debug)]
pub struct GlobalLimit {
    pub per_second: usize,
    admitted: VecDeque<Instant>,
}

impl Default for GlobalLimit {
    fn default() -> Self {
        Self {
            per_second: GLOBAL_PER_SECOND,
            admitted: VecDeque::new(),
        }
    }
}

impl GlobalLimit {
    /// Admits a request arriving at `now`, or answers Discord's global 429 with the time
    /// until the oldest request of the last second ages out.
    pub fn admit(&mut self, now: Instant) -> Result<(), Resp> {
        while self
            .admitted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= SECOND)
        {
            self.admitted.pop_front();
        }
        if self.admitted.len() < self.per_second {
            self.admitted.push_back(now);
            return Ok(());
        }
        let oldest = self.admitted.front().copied().unwrap_or(now);
        let left = (oldest + SECOND).saturating_duration_since(now);
        Err(global_rate_limited(seconds_rounded_up(left)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(resp: &'a Resp, name: &str) -> Option<&'a str> {
        let found = resp.headers.iter().find(|(k, _)| *k == name);
        found.map(|(_, v)| v.as_str())
    }

    #[test]
    fn remaining_counts_down_per_channel_and_the_sixth_message_is_a_429_with_bucket_headers() {
        let mut limiter = ChannelLimiter::default();
        let start = Instant::now();
        let remaining: Vec<usize> = (0..5)
            .map(|i| limiter.take(1, start + Duration::from_millis(i)).unwrap())
            .map(|s| s.remaining)
            .collect();
        assert_eq!(remaining, [4, 3, 2, 1, 0]);
        assert_eq!(limiter.take(2, start).unwrap().remaining, 4, "own bucket");

        let refused = limiter.take(1, start + Duration::from_secs(1)).unwrap_err();
        assert_eq!(refused.status, 429);
        assert_eq!(refused.body.as_ref().unwrap()["global"], false);
        assert_eq!(header(&refused, "x-ratelimit-remaining"), Some("0"));
        assert_eq!(header(&refused, "x-ratelimit-limit"), Some("5"));
        assert_eq!(header(&refused, "x-ratelimit-reset-after"), Some("4.000"));
        assert_eq!(header(&refused, "x-ratelimit-bucket"), Some(MESSAGE_BUCKET));
        assert_eq!(header(&refused, "x-ratelimit-scope"), Some("user"));

        let next_window = limiter.take(1, start + Duration::from_secs(5)).unwrap();
        assert_eq!((next_window.remaining, next_window.limit), (4, 5));
    }

    #[test]
    fn the_51st_request_within_a_second_is_a_global_429() {
        let mut global = GlobalLimit::default();
        let start = Instant::now();
        for i in 0..50 {
            global.admit(start + Duration::from_millis(i * 10)).unwrap();
        }
        let refused = global
            .admit(start + Duration::from_millis(600))
            .unwrap_err();
        assert_eq!(refused.status, 429);
        let body = refused.body.as_ref().unwrap();
        assert_eq!(body["global"], true);
        assert_eq!(body["retry_after"], 0.4);
        assert_eq!(header(&refused, "x-ratelimit-global"), Some("true"));
        assert_eq!(header(&refused, "x-ratelimit-scope"), Some("global"));
        // A second after the first, its place is free again.
        assert!(global.admit(start + Duration::from_millis(1000)).is_ok());
    }

    #[test]
    fn interaction_responses_are_not_counted_against_the_global_limit() {
        assert!(!counts_globally("/interactions/1/tok/callback"));
        assert!(!counts_globally("/webhooks/1/tok/messages/@original"));
        assert!(counts_globally("/channels/1/messages"));
        assert!(counts_globally("/users/@me"));
    }
}
