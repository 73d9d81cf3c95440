//! What the bounded log lines share ([`super::LogLimiter`], [`super::VoteLog`]): a line is due
//! at most once per period, and it reports what was counted since the last one.

use std::time::{Duration, Instant};

/// The counts gathered since the last line, and when that line was written.
#[derive(Debug, Default)]
pub(super) struct LineWindow<C> {
    logged_at: Option<Instant>,
    pub counts: C,
}

impl<C: Default> LineWindow<C> {
    /// When a line is due at `now` (the first one, or one a whole `period` after the last),
    /// the counts it reports, and a new window starts; `None` while the window lasts.
    pub fn close_if_due(&mut self, now: Instant, period: Duration) -> Option<C> {
        let due = self
            .logged_at
            .is_none_or(|at| now.duration_since(at) >= period);
        if !due {
            return None;
        }
        self.logged_at = Some(now);
        Some(std::mem::take(&mut self.counts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_is_due_then_none_until_the_period_has_passed() {
        let period = Duration::from_secs(10);
        let mut window = LineWindow::<u64>::default();
        let start = Instant::now();
        assert_eq!(window.close_if_due(start, period), Some(0));
        window.counts = 7;
        let almost = start + Duration::from_millis(9_999);
        assert_eq!(window.close_if_due(almost, period), None);
        assert_eq!(window.close_if_due(start + period, period), Some(7));
        assert_eq!(window.counts, 0, "a new window counts from zero");
    }
}
