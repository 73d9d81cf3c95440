//! The instance-wide limits on Discord REST calls: this instance's share of Discord's global
//! rate limit (50 requests a second per bot, whatever the number of processes) and the pause a
//! global 429 asks for.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::unpoisoned;

/// Delivery's calls per rolling second, for all instances together: under Discord's 50,
/// leaving room for the replies to commands that serenity sends with the same token.
pub const MAX_CALLS_PER_SECOND: usize = 45;
const WINDOW: Duration = Duration::from_secs(1);
/// A global pause up to this long is waited out in place; a longer one fails the call as
/// rate limited, so its job is rescheduled instead of holding a worker.
const MAX_IN_PLACE_WAIT: Duration = Duration::from_secs(5);

/// Holds calls so that Discord never sees more than this instance's share of
/// [`MAX_CALLS_PER_SECOND`] arrive within a second, and holds every call during a global pause.
///
/// A call counts from its start until one second after its answer: whatever the network
/// delays, the calls Discord receives within any second were all counted together here.
#[derive(Default)]
pub struct GlobalLimiter {
    /// Held while waiting for room, so callers are admitted in arrival order.
    turn: tokio::sync::Mutex<()>,
    window: Mutex<Window>,
    ended: Notify,
    paused_until: Mutex<Option<Instant>>,
    /// Live instances sharing the budget (0 until told: alone).
    instances: AtomicUsize,
}

#[derive(Default)]
struct Window {
    in_flight: usize,
    /// When calls of the last second ended, oldest first.
    ended: VecDeque<Instant>,
}

/// Room for one call; dropping it (once the answer is in) starts its last second.
pub struct Permit<'a> {
    limiter: &'a GlobalLimiter,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut window = unpoisoned(&self.limiter.window);
        window.in_flight -= 1;
        window.ended.push_back(Instant::now());
        drop(window);
        self.limiter.ended.notify_one();
    }
}

impl GlobalLimiter {
    /// Waits for room; `Err(wait)` when a global pause has longer than a few seconds left.
    pub async fn acquire(&self) -> Result<Permit<'_>, Duration> {
        let _turn = self.turn.lock().await;
        loop {
            let now = Instant::now();
            if let Some(left) = self.pause_left(now) {
                if left > MAX_IN_PLACE_WAIT {
                    return Err(left);
                }
                tokio::time::sleep(left).await;
                continue;
            }
            let oldest = {
                let mut window = unpoisoned(&self.window);
                while window.ended.front().is_some_and(|t| now - *t >= WINDOW) {
                    window.ended.pop_front();
                }
                if window.in_flight + window.ended.len() < self.share() {
                    window.in_flight += 1;
                    return Ok(Permit { limiter: self });
                }
                window.ended.front().copied()
            };
            match oldest {
                Some(oldest) => tokio::select! {
                    _ = tokio::time::sleep_until(oldest + WINDOW) => {}
                    _ = self.ended.notified() => {}
                },
                None => self.ended.notified().await,
            }
        }
    }

    /// `instances` live instances share the budget: this one takes an equal part (at least 1
    /// call a second). Calls already made keep counting for their second.
    pub fn share_with(&self, instances: usize) {
        self.instances.store(instances.max(1), Ordering::Relaxed);
    }

    /// This instance's calls per rolling second.
    pub fn share(&self) -> usize {
        let instances = self.instances.load(Ordering::Relaxed).max(1);
        (MAX_CALLS_PER_SECOND / instances).max(1)
    }

    /// A global 429: no call of this instance for `retry_after`.
    pub fn pause(&self, retry_after: Duration) {
        let until = Instant::now() + retry_after;
        let mut paused = unpoisoned(&self.paused_until);
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
    }

    fn pause_left(&self, now: Instant) -> Option<Duration> {
        let paused = unpoisoned(&self.paused_until);
        paused.filter(|until| *until > now).map(|until| until - now)
    }
}

/// The most of `starts` (times since one moment) that fall within one `window`, for tests.
#[cfg(test)]
pub(super) fn most_in_one_window(starts: &[Duration], window: Duration) -> usize {
    let within = |i: usize| starts[i..].iter().filter(move |u| **u - starts[i] < window);
    (0..starts.len())
        .map(|i| within(i).count())
        .max()
        .unwrap_or(0)
}

/// When each of `calls` calls made one after another returned, as times since the first
/// began, for tests.
#[cfg(test)]
pub(super) async fn return_times(calls: usize, mut call: impl AsyncFnMut()) -> Vec<Duration> {
    let start = Instant::now();
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        call().await;
        times.push(Instant::now() - start);
    }
    times
}

// On tokio's paused clock (`start_paused`) a wait for room advances time at once by exactly
// the wait: the windows are measured to the millisecond, with no real sleep.
#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn no_rolling_second_holds_more_than_the_limit() {
        let limiter = GlobalLimiter::default();
        let acquire = async || drop(limiter.acquire().await.unwrap());
        let starts = return_times(MAX_CALLS_PER_SECOND * 2 + 1, acquire).await;
        let most = most_in_one_window(&starts, WINDOW);
        assert!(most <= MAX_CALLS_PER_SECOND, "{most} calls in a second");
        // On paused time a call waits exactly until room opens, and no longer.
        assert_eq!(starts.last(), Some(&(WINDOW * 2)), "{starts:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn instances_sharing_the_budget_each_take_an_equal_part_of_it() {
        let limiter = GlobalLimiter::default();
        assert_eq!(limiter.share(), MAX_CALLS_PER_SECOND);
        limiter.share_with(2);
        assert_eq!(limiter.share(), MAX_CALLS_PER_SECOND / 2);
        limiter.share_with(1000);
        assert_eq!(limiter.share(), 1);
        limiter.share_with(3);
        let acquire = async || drop(limiter.acquire().await.unwrap());
        let starts = return_times(limiter.share() + 1, acquire).await;
        let within = starts.iter().filter(|t| **t < WINDOW).count();
        assert_eq!(within, MAX_CALLS_PER_SECOND / 3, "{starts:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_global_pause_holds_calls_or_refuses_them_when_long() {
        let limiter = GlobalLimiter::default();
        limiter.pause(Duration::from_millis(300));
        let start = Instant::now();
        drop(limiter.acquire().await.unwrap());
        assert_eq!(Instant::now() - start, Duration::from_millis(300));
        limiter.pause(Duration::from_secs(60));
        let refused = limiter.acquire().await.err().unwrap();
        assert_eq!(refused, Duration::from_secs(60));
    }
}
