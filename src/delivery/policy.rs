//! What happens to a job after a Discord attempt (pure).

use std::time::Duration;

use crate::discord::DiscordError;
use crate::domain::time::{DAY, Timestamp};
use crate::metrics::ActionOutcome;

/// The first retry waits this long; each further one twice as long, up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// Transient failures are retried for at least this long after the job was queued.
pub const RETRY_WINDOW: Duration = DAY;

/// The next state of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Done,
    /// Try again at this time. `counts` says whether it was a failed attempt.
    RetryAt {
        at: Timestamp,
        counts: bool,
        error: String,
    },
    /// Give up and keep the reason for `/topgg status`.
    Fail(String),
}

impl Step {
    /// How the metrics count the attempt that led here.
    pub fn outcome(&self) -> ActionOutcome {
        match self {
            Step::Done => ActionOutcome::Done,
            Step::RetryAt { counts: false, .. } => ActionOutcome::RateLimited,
            Step::RetryAt { counts: true, .. } => ActionOutcome::Retry,
            Step::Fail(_) => ActionOutcome::Failed,
        }
    }
}

/// Delay before retry number `failures` (1-based): 1 s, 2 s, 4 s, ... capped at 10 min.
pub fn backoff(failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(20);
    (FIRST_BACKOFF * 2u32.pow(exponent)).min(MAX_BACKOFF)
}

/// Decides the next step from an attempt's result. `failures` counts earlier failed attempts.
pub fn next_step(
    result: &Result<(), DiscordError>,
    failures: u32,
    queued_at: Timestamp,
    now: Timestamp,
) -> Step {
    let error = match result {
        Ok(()) => return Step::Done,
        Err(error) => error,
    };
    match error {
        DiscordError::RateLimited { retry_after } => Step::RetryAt {
            at: now + *retry_after,
            counts: false,
            error: error.to_string(),
        },
        DiscordError::Transient(_) | DiscordError::NoAnswer(_)
            if now.since(queued_at) < RETRY_WINDOW =>
        {
            Step::RetryAt {
                at: now + backoff(failures + 1),
                counts: true,
                error: error.to_string(),
            }
        }
        DiscordError::Transient(message) | DiscordError::NoAnswer(message) => {
            Step::Fail(format!("gave up after 24 h: {message}"))
        }
        DiscordError::Permanent { .. } => Step::Fail(error.to_string()),
        // The token was revoked: the job waits, its attempts untouched, while the worker
        // stops claiming work until Discord accepts the token again.
        DiscordError::Unauthorized => Step::RetryAt {
            at: now,
            counts: false,
            error: error.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(millis: i64) -> Timestamp {
        Timestamp::from_millis(millis)
    }

    #[test]
    fn backoff_doubles_from_one_second_to_ten_minutes() {
        let secs: Vec<u64> = (1..=12).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]);
        assert_eq!(backoff(1000), MAX_BACKOFF);
    }

    #[test]
    fn success_is_done() {
        assert_eq!(next_step(&Ok(()), 3, ms(0), ms(10)), Step::Done);
    }

    #[test]
    fn a_rate_limit_waits_retry_after_without_counting_a_failure() {
        let e = Err(DiscordError::RateLimited {
            retry_after: Duration::from_millis(1500),
        });
        let Step::RetryAt { at, counts, .. } = next_step(&e, 0, ms(0), ms(1000)) else {
            panic!()
        };
        assert_eq!((at, counts), (ms(2500), false));
    }

    #[test]
    fn a_server_error_backs_off_exponentially() {
        let e = Err(DiscordError::Transient("500".into()));
        let Step::RetryAt { at, counts, .. } = next_step(&e, 2, ms(0), ms(1000)) else {
            panic!()
        };
        assert_eq!((at, counts), (ms(1000 + 4000), true));
    }

    #[test]
    fn server_errors_are_retried_for_a_day_then_given_up() {
        let e = Err(DiscordError::Transient("500".into()));
        let day = RETRY_WINDOW.as_millis() as i64;
        assert!(matches!(
            next_step(&e, 50, ms(0), ms(day - 1)),
            Step::RetryAt { .. }
        ));
        assert!(matches!(next_step(&e, 50, ms(0), ms(day)), Step::Fail(_)));
    }

    #[test]
    fn a_rejected_token_keeps_the_job_queued_without_counting_an_attempt() {
        let step = next_step(&Err(DiscordError::Unauthorized), 2, ms(0), ms(1000));
        let Step::RetryAt { at, counts, .. } = step else {
            panic!("{step:?}")
        };
        assert_eq!((at, counts), (ms(1000), false));
    }

    #[test]
    fn missing_permissions_fail_at_once_with_the_reason() {
        let e = Err(DiscordError::Permanent {
            status: 403,
            code: 50013,
            message: "Missing Permissions".into(),
        });
        assert_eq!(
            next_step(&e, 0, ms(0), ms(0)),
            Step::Fail("Discord 403 (code 50013): Missing Permissions".into())
        );
    }
}
