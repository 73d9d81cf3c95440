//! Log lines that clients can cause, at a bounded rate: a flood of bad requests or
//! connections writes one line per kind and period, with the number of lines it suppressed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most one line per kind per period. Kinds must come from a bounded set (route
/// templates, reasons), never from what a client sends.
#[derive(Debug)]
pub struct LogLimiter {
    period: Duration,
    kinds: Mutex<HashMap<String, Window>>,
}

#[derive(Debug)]
struct Window {
    logged_at: Instant,
    suppressed: u64,
}

impl LogLimiter {
    pub fn new(period: Duration) -> Self {
        Self {
            period,
            kinds: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(n)` when a line of `kind` may be written now, `n` being how many lines of that
    /// kind were suppressed since the last one; `None` when this one is suppressed.
    pub fn admit(&self, kind: &str) -> Option<u64> {
        self.admit_at(kind, Instant::now())
    }

    fn admit_at(&self, kind: &str, now: Instant) -> Option<u64> {
        let mut kinds = self.kinds.lock().unwrap_or_else(|e| e.into_inner());
        match kinds.get_mut(kind) {
            Some(window) if now.duration_since(window.logged_at) < self.period => {
                window.suppressed += 1;
                None
            }
            Some(window) => {
                let suppressed = window.suppressed;
                *window = Window {
                    logged_at: now,
                    suppressed: 0,
                };
                Some(suppressed)
            }
            None => {
                let window = Window {
                    logged_at: now,
                    suppressed: 0,
                };
                kinds.insert(kind.to_string(), window);
                Some(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_of_a_kind_is_written_and_the_rest_of_the_period_suppressed() {
        let limiter = LogLimiter::new(Duration::from_secs(10));
        let start = Instant::now();
        assert_eq!(limiter.admit_at("a", start), Some(0));
        for s in 1..10 {
            assert_eq!(limiter.admit_at("a", start + Duration::from_secs(s)), None);
        }
        assert_eq!(limiter.admit_at("b", start), Some(0), "kinds are separate");
    }

    #[test]
    fn the_next_line_after_the_period_says_how_many_were_suppressed() {
        let limiter = LogLimiter::new(Duration::from_secs(10));
        let start = Instant::now();
        limiter.admit_at("a", start);
        for _ in 0..999 {
            limiter.admit_at("a", start + Duration::from_secs(1));
        }
        let later = start + Duration::from_secs(10);
        assert_eq!(limiter.admit_at("a", later), Some(999));
        assert_eq!(limiter.admit_at("a", later), None);
    }
}
