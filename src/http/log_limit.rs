//! Log lines that clients can cause, at a bounded rate: a flood of bad requests or
//! connections writes one line per kind and period, with the number of lines it suppressed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::line_window::LineWindow;

/// At most one line per kind per period. Kinds must come from a bounded set (route
/// templates, reasons), never from what a client sends.
#[derive(Debug)]
pub struct LogLimiter {
    period: Duration,
    /// Each kind's lines suppressed since its last line.
    kinds: Mutex<HashMap<String, LineWindow<u64>>>,
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
        let window = kinds.entry(kind.to_string()).or_default();
        let admitted = window.close_if_due(now, self.period);
        if admitted.is_none() {
            window.counts += 1;
        }
        admitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERIOD: Duration = Duration::from_secs(10);

    #[test]
    fn each_kind_has_its_own_period() {
        let limiter = LogLimiter::new(PERIOD);
        let start = Instant::now();
        assert_eq!(limiter.admit_at("a", start), Some(0));
        assert_eq!(limiter.admit_at("a", start), None);
        assert_eq!(limiter.admit_at("b", start), Some(0));
    }

    #[test]
    fn the_next_line_after_the_period_says_how_many_were_suppressed() {
        let limiter = LogLimiter::new(PERIOD);
        let start = Instant::now();
        limiter.admit_at("a", start);
        for _ in 0..999 {
            limiter.admit_at("a", start + Duration::from_secs(1));
        }
        let later = start + PERIOD;
        assert_eq!(limiter.admit_at("a", later), Some(999));
        assert_eq!(limiter.admit_at("a", later), None);
    }
}
