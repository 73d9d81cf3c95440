//! Which reward roles a vote grants, and until when.

/// A reward role configured for one (guild, project) link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardRole {
    pub role_id: String,
    /// Granted once the voter's total reaches this.
    pub votes_required: i64,
    /// `None`: until the vote expires; `Some(0)`: permanent; `Some(h)`: h hours after the grant.
    pub hours: Option<i64>,
}

/// A grant decided for one vote: the role and when it lapses (`None`: never).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role_id: String,
    pub expires_at: Option<i64>,
}

/// The grants a vote earns. Times are unix ms; `now` is the grant time.
pub fn grants_for(
    roles: &[RewardRole],
    total_votes: i64,
    vote_expires_at: i64,
    now: i64,
) -> Vec<Grant> {
    roles
        .iter()
        .filter(|role| total_votes >= role.votes_required)
        .map(|role| Grant {
            role_id: role.role_id.clone(),
            expires_at: match role.hours {
                None => Some(vote_expires_at),
                Some(0) => None,
                Some(hours) => Some(now + hours * 3600 * 1000),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(id: &str, votes_required: i64, hours: Option<i64>) -> RewardRole {
        RewardRole {
            role_id: id.into(),
            votes_required,
            hours,
        }
    }

    #[test]
    fn only_roles_whose_threshold_is_reached_are_granted() {
        let roles = [role("a", 1, None), role("b", 5, None)];
        let ids: Vec<_> = grants_for(&roles, 4, 100, 0)
            .into_iter()
            .map(|g| g.role_id)
            .collect();
        assert_eq!(ids, ["a"]);
    }

    #[test]
    fn hours_decide_the_expiry() {
        let roles = [
            role("vote", 1, None),
            role("perm", 1, Some(0)),
            role("day", 1, Some(24)),
        ];
        let grants = grants_for(&roles, 1, 5_000, 1_000);
        assert_eq!(grants[0].expires_at, Some(5_000));
        assert_eq!(grants[1].expires_at, None);
        assert_eq!(grants[2].expires_at, Some(1_000 + 24 * 3600 * 1000));
    }
}
