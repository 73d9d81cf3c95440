//! Whether Discord accepts the bot token, as delivery last saw it. A 401 (the token was
//! revoked or reset) stops every delivery call at once: the jobs stay queued, `/readyz` says
//! why, and the token is checked again at most once per interval until it works.
//!
//! When the token was rejected is a moment shown to people: it is read from the app's clock.
//! The interval between checks is a rest: it runs on tokio's time (paused in unit tests).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::domain::time::{SharedClock, Timestamp};

/// How often a rejected token is checked again by default (`discord.token_recheck_secs`).
pub const RECHECK_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
enum Seen {
    /// No answer from Discord yet: calls go one at a time, so a bad token costs one 401.
    Unverified,
    Accepted,
    Rejected {
        since: Timestamp,
        next_check: Instant,
    },
}

pub struct TokenState {
    seen: Mutex<Seen>,
    /// Held by the one call allowed while the token is unverified.
    probe: tokio::sync::Mutex<()>,
    recheck_every: Duration,
    clock: SharedClock,
}

/// What a call may do now.
pub enum Admission<'a> {
    Go(Option<tokio::sync::MutexGuard<'a, ()>>),
    Rejected,
}

impl TokenState {
    /// Checks a rejected token every `recheck_every`; tells when it was rejected by `clock`.
    pub fn new(recheck_every: Duration, clock: SharedClock) -> Self {
        Self {
            seen: Mutex::new(Seen::Unverified),
            probe: tokio::sync::Mutex::new(()),
            recheck_every,
            clock,
        }
    }

    /// Before a call: refused while the token is rejected; one at a time while unverified
    /// (keep the guard until Discord has answered).
    pub async fn admit(&self) -> Admission<'_> {
        if !matches!(self.get(), Seen::Unverified) {
            return self.admission(None);
        }
        let guard = self.probe.lock().await;
        let still_unverified = matches!(self.get(), Seen::Unverified);
        self.admission(still_unverified.then_some(guard))
    }

    fn admission<'a>(&self, guard: Option<tokio::sync::MutexGuard<'a, ()>>) -> Admission<'a> {
        match self.get() {
            Seen::Rejected { .. } => Admission::Rejected,
            _ => Admission::Go(guard),
        }
    }

    /// Discord answered something other than 401: the token works. Returns whether it had
    /// been rejected until now.
    pub fn accepted(&self) -> bool {
        let mut seen = self.lock();
        let was_rejected = matches!(*seen, Seen::Rejected { .. });
        *seen = Seen::Accepted;
        was_rejected
    }

    /// Discord answered 401. Returns whether this is news (the token worked or was unverified).
    pub fn rejected(&self) -> bool {
        let mut seen = self.lock();
        let news = !matches!(*seen, Seen::Rejected { .. });
        if news {
            *seen = Seen::Rejected {
                since: self.clock.now(),
                next_check: Instant::now() + self.recheck_every,
            };
        }
        news
    }

    /// While rejected: `Ok` when a check is due (the next one is then scheduled), else how
    /// long until it is. `Ok` at once when the token is not known to be rejected.
    pub fn claim_check(&self) -> Result<bool, Duration> {
        let mut seen = self.lock();
        let Seen::Rejected { since, next_check } = *seen else {
            return Ok(false);
        };
        let now = Instant::now();
        if now < next_check {
            return Err(next_check - now);
        }
        *seen = Seen::Rejected {
            since,
            next_check: now + self.recheck_every,
        };
        Ok(true)
    }

    pub fn recheck_every(&self) -> Duration {
        self.recheck_every
    }

    /// The clock the rejection time is read from.
    pub fn clock(&self) -> SharedClock {
        self.clock.clone()
    }

    /// Why the token cannot be used, for `/readyz`.
    pub fn problem(&self) -> Option<String> {
        match self.get() {
            Seen::Rejected { since, .. } => Some(format!(
                "Discord rejects the bot token (401) since {}: delivery stopped, checked again every {} s",
                since.to_datetime().format("%Y-%m-%dT%H:%M:%SZ"),
                self.recheck_every.as_secs()
            )),
            _ => None,
        }
    }

    fn get(&self) -> Seen {
        *self.lock()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        super::unpoisoned(&self.seen)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::time::ManualClock;

    #[tokio::test(start_paused = true)]
    async fn a_rejected_token_refuses_calls_and_is_checked_at_most_once_per_interval() {
        let every = Duration::from_secs(60);
        let state = TokenState::new(every, Arc::new(ManualClock::default()));
        assert!(
            matches!(state.admit().await, Admission::Go(Some(_))),
            "serial at first"
        );
        assert_eq!(state.claim_check(), Ok(false));
        assert!(state.rejected(), "the first 401 is news");
        assert!(!state.rejected(), "a second one is not");
        assert!(matches!(state.admit().await, Admission::Rejected));
        assert_eq!(
            state.claim_check(),
            Err(every),
            "no check before an interval"
        );
        tokio::time::advance(every - Duration::from_millis(1)).await;
        assert_eq!(state.claim_check(), Err(Duration::from_millis(1)));
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(state.claim_check(), Ok(true), "a check is due");
        assert_eq!(
            state.claim_check(),
            Err(every),
            "and the next one is an interval away"
        );
        assert!(state.accepted(), "accepted again after being rejected");
        assert!(
            matches!(state.admit().await, Admission::Go(None)),
            "no longer serial"
        );
        assert_eq!(state.problem(), None);
    }

    #[test]
    fn a_rejected_token_is_reported_since_the_moment_on_the_apps_clock() {
        let at: Timestamp = "2026-02-09T12:00:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
            .into();
        let clock = Arc::new(ManualClock::starting_at(at));
        let state = TokenState::new(RECHECK_EVERY, clock.clone());
        state.rejected();
        clock.advance(RECHECK_EVERY * 10);
        let problem = state.problem().unwrap();
        assert!(
            problem.contains("(401) since 2026-02-09T12:00:00Z"),
            "{problem}"
        );
        assert!(problem.contains("every 60 s"), "{problem}");
    }
}
