//! Message nonces: Discord allows 25 characters, so (vote id, guild id) is hashed.

use sha2::{Digest, Sha256};

use super::ids::{GuildId, VoteId};

/// A stable nonce for the announcement of `vote_id` in `guild_id`.
pub fn announcement_nonce(vote_id: &VoteId, guild_id: &GuildId) -> String {
    let digest = Sha256::digest(format!("{vote_id}:{guild_id}"));
    hex::encode(digest)[..25].to_string()
}

/// A stable nonce for a digest of several jobs.
pub fn digest_nonce(job_ids: &[i64]) -> String {
    let joined: Vec<String> = job_ids.iter().map(i64::to_string).collect();
    let digest = Sha256::digest(format!("digest:{}", joined.join(",")));
    hex::encode(digest)[..25].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_25_characters_stable_and_distinct_per_guild() {
        let vote = VoteId::from(808499215864008704);
        let a = announcement_nonce(&vote, &GuildId::from(160105994217586689));
        assert_eq!(a.len(), 25);
        assert_eq!(
            a,
            announcement_nonce(&vote, &GuildId::from(160105994217586689))
        );
        assert_ne!(
            a,
            announcement_nonce(&vote, &GuildId::from(160105994217586690))
        );
    }
}
