//! Which reward roles a vote grants, and until when.

use super::ids::RoleId;
use super::time::{HOUR, Timestamp};

/// How long a reward role lasts after a vote grants it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RewardDuration {
    /// Until the vote that earned it expires (about 12 h).
    #[default]
    UntilVoteExpires,
    /// This many hours after the grant.
    ForHours(u32),
    /// Never removed.
    Permanent,
}

impl RewardDuration {
    /// When a grant made at `now` for a vote expiring at `vote_expires_at` lapses (`None`:
    /// never).
    pub fn lapse(self, vote_expires_at: Timestamp, now: Timestamp) -> Option<Timestamp> {
        match self {
            RewardDuration::UntilVoteExpires => Some(vote_expires_at),
            RewardDuration::ForHours(hours) => Some(now + HOUR * hours),
            RewardDuration::Permanent => None,
        }
    }
}

/// A reward role configured for one (guild, project) link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardRole {
    pub role_id: RoleId,
    /// Granted once the voter's total reaches this.
    pub votes_required: i64,
    pub duration: RewardDuration,
}

/// A grant decided for one vote: the role and when it lapses (`None`: never).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role_id: RoleId,
    pub expires_at: Option<Timestamp>,
}

/// The grants a vote earns; `now` is the grant time.
pub fn grants_for(
    roles: &[RewardRole],
    total_votes: i64,
    vote_expires_at: Timestamp,
    now: Timestamp,
) -> Vec<Grant> {
    roles
        .iter()
        .filter(|role| total_votes >= role.votes_required)
        .map(|role| Grant {
            role_id: role.role_id.clone(),
            expires_at: role.duration.lapse(vote_expires_at, now),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(id: u64, votes_required: i64, duration: RewardDuration) -> RewardRole {
        RewardRole {
            role_id: RoleId::from(id),
            votes_required,
            duration,
        }
    }

    const fn at(millis: i64) -> Timestamp {
        Timestamp::from_millis(millis)
    }

    #[test]
    fn only_roles_whose_threshold_is_reached_are_granted() {
        let until = RewardDuration::UntilVoteExpires;
        let roles = [role(1, 1, until), role(2, 5, until)];
        let ids: Vec<_> = grants_for(&roles, 4, at(100), at(0))
            .into_iter()
            .map(|g| g.role_id)
            .collect();
        assert_eq!(ids, [RoleId::from(1)]);
    }

    #[test]
    fn the_duration_decides_the_expiry() {
        let roles = [
            role(1, 1, RewardDuration::UntilVoteExpires),
            role(2, 1, RewardDuration::Permanent),
            role(3, 1, RewardDuration::ForHours(24)),
        ];
        let grants = grants_for(&roles, 1, at(5_000), at(1_000));
        assert_eq!(grants[0].expires_at, Some(at(5_000)));
        assert_eq!(grants[1].expires_at, None);
        assert_eq!(grants[2].expires_at, Some(at(1_000) + 24 * HOUR));
    }
}
