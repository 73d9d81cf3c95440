//! Whether Discord accepts the bot token, as delivery last saw it. A 401 (the token was
//! revoked or reset) stops every delivery call at once: the jobs stay queued, `/readyz` says
//! why, and the token is checked again at most once per interval until it works.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How often a rejected token is checked again by default (`discord.token_recheck_secs`).
pub const RECHECK_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
enum Seen {
    /// No answer from Discord yet: calls go one at a time, so a bad token costs one 401.
    Unverified,
    Accepted,
    Rejected {
        since: chrono::DateTime<chrono::Utc>,
        next_check: Instant,
    },
}

pub struct TokenState {
    seen: Mutex<Seen>,
    /// Held by the one call allowed while the token is unverified.
    probe: tokio::sync::Mutex<()>,
    recheck_every: Duration,
}

/// What a call may do now.
pub enum Admission<'a> {
    Go(Option<tokio::sync::MutexGuard<'a, ()>>),
    Rejected,
}

impl TokenState {
    pub fn new(recheck_every: Duration) -> Self {
        Self {
            seen: Mutex::new(Seen::Unverified),
            probe: tokio::sync::Mutex::new(()),
            recheck_every,
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
                since: chrono::Utc::now(),
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

    /// Why the token cannot be used, for `/readyz`.
    pub fn problem(&self) -> Option<String> {
        match self.get() {
            Seen::Rejected { since, .. } => Some(format!(
                "Discord rejects the bot token (401) since {}: delivery stopped, checked again every {} s",
                since.format("%Y-%m-%dT%H:%M:%SZ"),
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
    use super::*;

    #[tokio::test]
    async fn a_rejected_token_refuses_calls_and_is_checked_at_most_once_per_interval() {
        let state = TokenState::new(Duration::from_millis(200));
        assert!(
            matches!(state.admit().await, Admission::Go(Some(_))),
            "serial at first"
        );
        assert_eq!(state.claim_check(), Ok(false));
        assert!(state.rejected(), "the first 401 is news");
        assert!(!state.rejected(), "a second one is not");
        assert!(matches!(state.admit().await, Admission::Rejected));
        assert!(state.problem().unwrap().contains("(401)"));
        let wait = state.claim_check().unwrap_err();
        assert!(wait <= Duration::from_millis(200));
        tokio::time::sleep(wait).await;
        assert_eq!(state.claim_check(), Ok(true), "a check is due");
        assert!(
            state.claim_check().is_err(),
            "and the next one is an interval away"
        );
        assert!(state.accepted(), "accepted again after being rejected");
        assert!(
            matches!(state.admit().await, Admission::Go(None)),
            "no longer serial"
        );
        assert_eq!(state.problem(), None);
    }
}
