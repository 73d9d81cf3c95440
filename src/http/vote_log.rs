//! The info line about stored votes, at a bounded rate: at a trickle every vote gets its
//! line, under load one line per period says how many votes came since the last one. Each
//! vote is still logged at debug level. (Formatting and writing a line per vote cost about
//! 8% of ingest at full load.)

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::line_window::LineWindow;

/// At most one vote line per this period.
pub const VOTE_LOG_PERIOD: Duration = Duration::from_secs(10);

/// Counts votes between two info lines.
#[derive(Debug)]
pub struct VoteLog {
    period: Duration,
    state: Mutex<LineWindow<VoteFigures>>,
}

/// What an info line reports: the votes since the previous line, this one included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VoteFigures {
    pub stored: u64,
    pub duplicates: u64,
}

impl VoteLog {
    pub fn new(period: Duration) -> Self {
        Self {
            period,
            state: Mutex::new(LineWindow::default()),
        }
    }

    /// Counts a vote (`stored`, else a duplicate); `Some` when a line is due now.
    pub fn note(&self, stored: bool) -> Option<VoteFigures> {
        self.note_at(stored, Instant::now())
    }

    fn note_at(&self, stored: bool, now: Instant) -> Option<VoteFigures> {
        let mut window = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let figures = &mut window.counts;
        if stored {
            figures.stored += 1;
        } else {
            figures.duplicates += 1;
        }
        window.close_if_due(now, self.period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_vote_is_logged_and_the_rest_of_the_period_only_counted() {
        let log = VoteLog::new(Duration::from_secs(10));
        let start = Instant::now();
        let first = VoteFigures {
            stored: 1,
            duplicates: 0,
        };
        assert_eq!(log.note_at(true, start), Some(first));
        for s in 1..10 {
            assert_eq!(log.note_at(true, start + Duration::from_secs(s)), None);
        }
    }

    #[test]
    fn the_line_after_the_period_counts_every_vote_since_the_last_line() {
        let log = VoteLog::new(Duration::from_secs(10));
        let start = Instant::now();
        log.note_at(true, start);
        for i in 0..999 {
            log.note_at(i % 3 != 0, start + Duration::from_secs(1));
        }
        let later = start + Duration::from_secs(10);
        let figures = VoteFigures {
            stored: 667,
            duplicates: 333,
        };
        assert_eq!(log.note_at(true, later), Some(figures));
        assert_eq!(log.note_at(false, later), None);
    }

    #[test]
    fn votes_further_apart_than_the_period_each_get_their_line() {
        let log = VoteLog::new(Duration::from_secs(10));
        let start = Instant::now();
        for n in 0..5 {
            let at = start + Duration::from_secs(11 * n);
            assert!(log.note_at(n % 2 == 0, at).is_some(), "vote {n}");
        }
    }
}
