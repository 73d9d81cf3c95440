//! The instance-wide limits on Discord REST calls: Discord's global rate limit (50 requests a
//! second per bot) and the pause a global 429 asks for.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Delivery's calls per rolling second: under Discord's 50, leaving room for the replies to
/// commands that serenity sends with the same token.
pub const MAX_CALLS_PER_SECOND: usize = 45;
const WINDOW: Duration = Duration::from_secs(1);
/// A global pause up to this long is waited out in place; a longer one fails the call as
/// rate limited, so its job is rescheduled instead of holding a worker.
const MAX_IN_PLACE_WAIT: Duration = Duration::from_secs(5);

/// Spaces calls so that no rolling second holds more than [`MAX_CALLS_PER_SECOND`], and
/// holds every call during a global pause.
#[derive(Default)]
pub struct GlobalLimiter {
    /// Start times of the calls of the last second, oldest first. Held while waiting, so
    /// callers are admitted in arrival order.
    recent: tokio::sync::Mutex<VecDeque<Instant>>,
    paused_until: Mutex<Option<Instant>>,
}

impl GlobalLimiter {
    /// Waits for a slot; `Err(wait)` when a global pause has longer than a few seconds left.
    pub async fn acquire(&self) -> Result<(), Duration> {
        let mut recent = self.recent.lock().await;
        loop {
            let now = Instant::now();
            if let Some(left) = self.pause_left(now) {
                if left > MAX_IN_PLACE_WAIT {
                    return Err(left);
                }
                tokio::time::sleep(left).await;
                continue;
            }
            while recent.front().is_some_and(|t| now - *t >= WINDOW) {
                recent.pop_front();
            }
            match recent.front() {
                Some(oldest) if recent.len() >= MAX_CALLS_PER_SECOND => {
                    tokio::time::sleep_until(*oldest + WINDOW).await;
                }
                _ => {
                    recent.push_back(now);
                    return Ok(());
                }
            }
        }
    }

    /// A global 429: no call of this instance for `retry_after`.
    pub fn pause(&self, retry_after: Duration) {
        let until = Instant::now() + retry_after;
        let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
    }

    fn pause_left(&self, now: Instant) -> Option<Duration> {
        let paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        paused.filter(|until| *until > now).map(|until| until - now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_rolling_second_holds_more_than_the_limit() {
        let limiter = GlobalLimiter::default();
        let start = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..=MAX_CALLS_PER_SECOND * 2 {
            limiter.acquire().await.unwrap();
            starts.push(Instant::now() - start);
        }
        for (i, t) in starts.iter().enumerate() {
            let within = starts[i..].iter().filter(|u| **u - *t < WINDOW).count();
            assert!(within <= MAX_CALLS_PER_SECOND, "{within} calls in a second");
        }
        assert!(starts.last().unwrap() >= &(WINDOW * 2));
    }

    #[tokio::test]
    async fn a_global_pause_holds_calls_or_refuses_them_when_long() {
        let limiter = GlobalLimiter::default();
        limiter.pause(Duration::from_millis(300));
        let start = Instant::now();
        limiter.acquire().await.unwrap();
        assert!(Instant::now() - start >= Duration::from_millis(300));
        limiter.pause(Duration::from_secs(60));
        let refused = limiter.acquire().await.unwrap_err();
        assert!(refused > Duration::from_secs(55));
    }
}
