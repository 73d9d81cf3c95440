//! The one time type: a [`Timestamp`] in unix milliseconds, with every conversion here, and
//! the [`Clock`] that reads it (the system clock in production, a [`ManualClock`] in tests).

use std::future::Future;
use std::ops::{Add, Sub};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// One hour.
pub const HOUR: Duration = Duration::from_secs(3600);
/// One day.
pub const DAY: Duration = Duration::from_secs(24 * 3600);

/// A moment, in milliseconds since the unix epoch (UTC). Stored as a BIGINT of milliseconds.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    sqlx::Type,
)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const EPOCH: Timestamp = Timestamp(0);

    pub const fn from_millis(millis: i64) -> Self {
        Timestamp(millis)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Whole seconds, as Discord's `<t:...>` timestamps want them.
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// How long after `earlier` this is (zero if it is not later).
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0).max(0) as u64)
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0).unwrap_or_default()
    }

    /// RFC 3339 with milliseconds, UTC (`2026-02-09T12:00:00.000Z`).
    pub fn to_rfc3339(self) -> String {
        self.to_datetime()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Self {
        Timestamp(at.timestamp_millis())
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, duration: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(millis(duration)))
    }
}

impl Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, duration: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(millis(duration)))
    }
}

/// A wait on a [`Clock`], owning everything it needs.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Where the time comes from. Everything that reads "now" or waits for a moment takes it from
/// the app's clock, so tests can run retries, leases and expiries on a [`ManualClock`].
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Timestamp;

    /// Resolves once [`Clock::now`] has reached `at` (at once if it already has).
    fn sleep_until(&self, at: Timestamp) -> Sleep;
}

impl dyn Clock {
    /// Resolves once `duration` has passed on this clock.
    pub fn sleep(&self, duration: Duration) -> Sleep {
        self.sleep_until(self.now() + duration)
    }
}

/// A clock shared across the app.
pub type SharedClock = Arc<dyn Clock>;

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SystemClock {
    /// The wall clock, shared.
    pub fn shared() -> SharedClock {
        Arc::new(SystemClock)
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now().into()
    }

    fn sleep_until(&self, at: Timestamp) -> Sleep {
        Box::pin(async move {
            // Tokio's timer is monotonic and the wall clock may be stepped: look again.
            loop {
                let left = at.since(SystemClock.now());
                if left.is_zero() {
                    return;
                }
                tokio::time::sleep(left).await;
            }
        })
    }
}

/// A clock that moves only when told to (tests). Waits on it end when it is moved past them.
#[derive(Debug)]
pub struct ManualClock {
    now: watch::Sender<Timestamp>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::starting_at(Timestamp::EPOCH)
    }
}

impl ManualClock {
    pub fn starting_at(at: Timestamp) -> Self {
        ManualClock {
            now: watch::Sender::new(at),
        }
    }

    /// Stopped at the wall clock's present moment.
    pub fn starting_now() -> Self {
        Self::starting_at(SystemClock.now())
    }

    /// Moves the clock forward, waking every wait that is now over.
    pub fn advance(&self, by: Duration) {
        self.now.send_modify(|now| *now = *now + by);
    }

    /// Moves the clock to `at` (backwards too), waking every wait that is now over.
    pub fn set(&self, at: Timestamp) {
        self.now.send_replace(at);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.borrow()
    }

    fn sleep_until(&self, at: Timestamp) -> Sleep {
        let mut now = self.now.subscribe();
        Box::pin(async move {
            if now.wait_for(|now| *now >= at).await.is_err() {
                // The clock is gone, so it will never get there.
                std::future::pending::<()>().await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_and_measuring_durations_round_trips() {
        let start = Timestamp::from_millis(1_000);
        let later = start + HOUR;
        assert_eq!(later.as_millis(), 1_000 + 3_600_000);
        assert_eq!(later.since(start), HOUR);
        assert_eq!(start.since(later), Duration::ZERO);
    }

    #[test]
    fn a_manual_clock_moves_only_when_advanced() {
        let clock = ManualClock::starting_at(Timestamp::from_millis(5));
        assert_eq!(clock.now(), Timestamp::from_millis(5));
        clock.advance(Duration::from_millis(10));
        assert_eq!(clock.now(), Timestamp::from_millis(15));
    }

    #[tokio::test]
    async fn a_wait_on_a_manual_clock_ends_when_the_clock_is_advanced_past_it() {
        let clock = Arc::new(ManualClock::starting_at(Timestamp::from_millis(0)));
        let shared: SharedClock = clock.clone();
        let mut wait = shared.sleep(HOUR);
        clock.advance(HOUR / 2);
        assert!(futures_util::poll!(&mut wait).is_pending());
        clock.advance(HOUR / 2);
        tokio::time::timeout(Duration::from_secs(1), wait)
            .await
            .expect("woken by the advance");
    }

    #[tokio::test]
    async fn a_wait_for_a_moment_already_past_ends_at_once() {
        let clock = ManualClock::starting_at(Timestamp::from_millis(10));
        tokio::time::timeout(
            Duration::from_secs(1),
            clock.sleep_until(Timestamp::from_millis(5)),
        )
        .await
        .expect("already past");
        let system = SystemClock.sleep_until(SystemClock.now() - HOUR);
        tokio::time::timeout(Duration::from_secs(1), system)
            .await
            .expect("already past");
    }

    #[test]
    fn a_timestamp_formats_as_utc_rfc3339() {
        let at: Timestamp = "2026-02-09T12:00:00Z"
            .parse::<DateTime<Utc>>()
            .unwrap()
            .into();
        assert_eq!(at.to_rfc3339(), "2026-02-09T12:00:00.000Z");
        assert_eq!(at.as_secs(), at.as_millis() / 1000);
    }
}
