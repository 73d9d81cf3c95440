//! A voter's running figures for one project: total votes and streak.

use std::time::Duration;

use super::time::{HOUR, Timestamp};

/// Votes closer together than this continue a streak (Top.gg allows one vote every ~12 h).
pub const STREAK_WINDOW: Duration = Duration::from_secs(36 * HOUR.as_secs());

/// A voter's figures after some votes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub total: i64,
    pub streak: i64,
    pub last_vote_at: Timestamp,
}

impl Tally {
    /// The figures after one more vote of `weight` cast at `vote_at`. The total counts in
    /// weight, as Top.gg does (a weekend vote of weight 2 counts 2); the streak counts votes.
    /// A vote arriving out of order (older than the last one seen) counts toward the total but
    /// leaves the streak.
    pub fn after_vote(previous: Option<Tally>, vote_at: Timestamp, weight: i64) -> Tally {
        let weight = weight.max(1);
        let Some(prev) = previous else {
            return Tally {
                total: weight,
                streak: 1,
                last_vote_at: vote_at,
            };
        };
        let total = prev.total + weight;
        if vote_at <= prev.last_vote_at {
            return Tally { total, ..prev };
        }
        let streak = if vote_at.since(prev.last_vote_at) <= STREAK_WINDOW {
            prev.streak + 1
        } else {
            1
        };
        Tally {
            total,
            streak,
            last_vote_at: vote_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZERO: Timestamp = Timestamp::EPOCH;

    #[test]
    fn a_first_vote_starts_a_streak_of_one() {
        let t = Tally::after_vote(None, Timestamp::from_millis(1000), 1);
        assert_eq!(
            (t.total, t.streak, t.last_vote_at),
            (1, 1, Timestamp::from_millis(1000))
        );
    }

    #[test]
    fn a_vote_within_36_hours_continues_the_streak() {
        let first = Tally::after_vote(None, ZERO, 1);
        let second = Tally::after_vote(Some(first), ZERO + 36 * HOUR, 1);
        assert_eq!((second.total, second.streak), (2, 2));
    }

    #[test]
    fn a_vote_after_36_hours_restarts_the_streak_but_keeps_the_total() {
        let first = Tally::after_vote(None, ZERO, 1);
        let later = ZERO + 36 * HOUR + Duration::from_millis(1);
        let second = Tally::after_vote(Some(first), later, 1);
        assert_eq!((second.total, second.streak), (2, 1));
    }

    #[test]
    fn an_out_of_order_vote_counts_but_keeps_the_streak_and_last_vote() {
        let first = Tally::after_vote(None, ZERO + 10 * HOUR, 1);
        let late = Tally::after_vote(Some(first), ZERO + 2 * HOUR, 1);
        assert_eq!(
            (late.total, late.streak, late.last_vote_at),
            (2, 1, ZERO + 10 * HOUR)
        );
    }

    #[test]
    fn a_weekend_vote_of_weight_two_counts_two_and_one_streak_step() {
        let first = Tally::after_vote(None, ZERO, 2);
        let second = Tally::after_vote(Some(first), ZERO + HOUR, 2);
        assert_eq!((first.total, second.total, second.streak), (2, 4, 2));
    }
}
