//! One pace for every request to Top.gg's API from this process: Top.gg allows 100 requests/s
//! and then blocks for an hour, so the bot stays far below, and a 429's `retry_after` holds
//! every request back, not only the one that got it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// At most this many requests a second, for the whole process.
pub const REQUESTS_PER_SECOND: u32 = 5;

/// When the next request may go; cheap to clone (clones share it).
#[derive(Clone)]
pub struct Pace {
    gap: Duration,
    next: Arc<Mutex<Instant>>,
}

impl Default for Pace {
    fn default() -> Self {
        Self::every(Duration::from_secs(1) / REQUESTS_PER_SECOND)
    }
}

impl Pace {
    /// At most one request per `gap`.
    pub fn every(gap: Duration) -> Self {
        Self {
            gap,
            next: Arc::new(Mutex::new(Instant::now())),
        }
    }

    /// Waits for this request's turn.
    pub async fn wait(&self) {
        let turn = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let turn = (*next).max(Instant::now());
            *next = turn + self.gap;
            turn
        };
        tokio::time::sleep_until(turn).await;
    }

    /// No request goes before `wait` from now.
    pub fn hold_for(&self, wait: Duration) {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        *next = (*next).max(Instant::now() + wait);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_are_spaced_by_the_gap_and_held_back_by_a_retry_after() {
        let pace = Pace::every(Duration::from_millis(50));
        let start = Instant::now();
        for _ in 0..3 {
            pace.wait().await;
        }
        assert!(start.elapsed() >= Duration::from_millis(100));
        let held = Instant::now();
        pace.hold_for(Duration::from_millis(300));
        pace.wait().await;
        assert!(held.elapsed() >= Duration::from_millis(300));
    }
}
