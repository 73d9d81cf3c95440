//! Votes from Top.gg's list as the vote path takes them (pure). Listed votes carry no vote
//! id: each gets one derived from its connection, voter and `created_at` in milliseconds,
//! the precision the stored votes keep, so listing it again names the same vote; a webhook
//! vote is matched to it by the same three (the `votes_same_vote` key).

use std::collections::HashMap;

use std::time::Duration;

use super::api::{ApiProject, ListedVote};
use super::recovery::{IMPORT_SPAN, OVERLAP};
use crate::domain::events::{Project, User, Vote};
use sha2::{Digest, Sha256};

use crate::domain::ids::{VoteId, VoterId};
use crate::domain::time::Timestamp;
use crate::storage::{ApiToken, Connection};

/// The id a recovered vote is stored under.
pub fn recovered_vote_id(
    connection: &Connection,
    voter: &VoterId,
    created_at: Timestamp,
) -> VoteId {
    let text = format!(
        "recovered:{}:{}:{}",
        connection.connection_id.as_str(),
        voter.as_str(),
        created_at.as_millis()
    );
    // Over a vote id's length (a long connection and voter id), its digest stands for it.
    VoteId::parse(&text).unwrap_or_else(|_| {
        let digest = hex::encode(Sha256::digest(text.as_bytes()));
        VoteId::parse(&format!("recovered:{digest}")).expect("a digest fits a vote id")
    })
}

/// The connection's project as a vote names it (the platform from Top.gg's project).
pub fn vote_project(connection: &Connection, project: &ApiProject) -> Project {
    Project {
        id: connection.project_id.clone(),
        kind: connection.project_type.clone(),
        platform: project.platform.clone(),
        platform_id: connection.project_platform_id.clone(),
    }
}

/// A listed vote as a [`Vote`]; `names` are the voters' names the bot knows (Top.gg's list
/// has none: an unknown voter is shown by mention).
pub fn recovered_vote(
    connection: &Connection,
    project: &Project,
    listed: &ListedVote,
    names: &HashMap<VoterId, String>,
) -> Vote {
    let created_at = Timestamp::from(listed.created_at);
    Vote {
        id: recovered_vote_id(connection, &listed.platform_id, created_at),
        weight: listed.weight,
        created_at: created_at.to_datetime(),
        expires_at: listed.expires_at,
        project: project.clone(),
        user: User {
            id: listed.user_id.clone(),
            platform_id: listed.platform_id.clone(),
            name: names.get(&listed.platform_id).cloned().unwrap_or_default(),
            avatar_url: None,
        },
        query: None,
    }
}

/// What one pass lists and keeps.
pub(super) struct Window {
    pub since: Timestamp,
    /// The first pass of a token: figures only.
    pub import: bool,
    /// Importing: votes in this span were counted when they came (by this connection or an
    /// earlier one of its history) and are no longer stored to be recognised (pruned, or
    /// deleted with their connection), or an earlier import counted them: not counted again.
    counted: Option<(Timestamp, Timestamp)>,
}

impl Window {
    pub fn of(
        token: &ApiToken,
        connection: &Connection,
        now: Timestamp,
        retention: Duration,
    ) -> Self {
        match (token.imported_at, token.recovered_until) {
            (Some(_), Some(until)) => Window {
                since: until - OVERLAP,
                import: false,
                counted: None,
            },
            _ => Window {
                since: now - IMPORT_SPAN,
                import: true,
                counted: Some(counted_before(token, connection, now - retention)),
            },
        }
    }

    pub fn wants(&self, vote: &ListedVote) -> bool {
        let at = Timestamp::from(vote.created_at);
        !self.counted.is_some_and(|(from, to)| from <= at && at < to)
    }
}

/// The span an import must not count: from the history's start (or from the beginning, when
/// an earlier import filled it) to the later of the pruning horizon (`pruned_before`) and
/// this connection's creation (the raw votes of earlier connections went with them). Votes
/// after it are still stored and recognised by the database.
fn counted_before(
    token: &ApiToken,
    connection: &Connection,
    pruned_before: Timestamp,
) -> (Timestamp, Timestamp) {
    let started = token
        .history_started_at
        .map_or(connection.created_at, |s| s.min(connection.created_at));
    let from = match token.history_imported_at {
        Some(_) => Timestamp::EPOCH,
        None => started,
    };
    (from, pruned_before.max(connection.created_at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;
    use crate::domain::time::DAY;

    fn connection() -> Connection {
        Connection {
            connection_id: "c1".parse().unwrap(),
            webhook_secret: crate::storage::SecretText::from("whs_x".to_string()),
            project_id: "p1".into(),
            project_type: "bot".into(),
            project_platform_id: "42".into(),
            project_name: None,
            owner_discord_id: Some(UserId::from(7)),
            owner_name: "o".into(),
            created_at: Timestamp::EPOCH,
        }
    }

    fn listed(created_at: &str) -> ListedVote {
        serde_json::from_value(serde_json::json!({"user_id": "t9", "platform_id": "9",
            "weight": 2, "created_at": created_at, "expires_at": "2026-02-09T12:47:14Z"}))
        .unwrap()
    }

    #[test]
    fn a_listed_vote_is_named_by_connection_voter_and_created_at_in_milliseconds() {
        let (conn, names) = (connection(), HashMap::new());
        let project = vote_project(
            &conn,
            &ApiProject {
                id: "p1".into(),
                name: "n".into(),
                kind: "bot".into(),
                platform: "discord".into(),
                platform_id: None,
            },
        );
        let seven = recovered_vote(
            &conn,
            &project,
            &listed("2026-02-09T00:47:14.2510149+00:00"),
            &names,
        );
        let three = recovered_vote(&conn, &project, &listed("2026-02-09T00:47:14.251Z"), &names);
        assert_eq!(seven.id, three.id);
        assert_eq!(seven.cast_at(), three.cast_at());
        assert_eq!(seven.id.as_str(), "recovered:c1:9:1770598034251");
        assert_eq!((seven.weight, seven.user.name.as_str()), (2, ""));
    }

    #[test]
    fn a_known_voter_keeps_the_name_the_bot_has_for_them() {
        let conn = connection();
        let names = HashMap::from([("9".parse::<VoterId>().unwrap(), "Nine".to_string())]);
        let project = Project {
            id: "p1".into(),
            kind: "bot".into(),
            platform: "discord".into(),
            platform_id: "42".into(),
        };
        let vote = recovered_vote(&conn, &project, &listed("2026-02-09T00:47:14Z"), &names);
        assert_eq!(vote.user.name, "Nine");
    }

    fn token(imported: Option<i64>, until: Option<i64>) -> ApiToken {
        ApiToken {
            connection_id: "c1".parse().unwrap(),
            token: crate::storage::SecretText::from("t".to_string()),
            imported_at: imported.map(Timestamp::from_millis),
            recovered_until: until.map(Timestamp::from_millis),
            history_started_at: None,
            history_imported_at: None,
        }
    }

    #[test]
    fn a_later_pass_lists_from_shortly_before_where_the_last_one_got_to() {
        let now = Timestamp::from_millis(1_000_000_000_000);
        let until = now - Duration::from_secs(3600);
        let window = Window::of(
            &token(Some(0), Some(until.as_millis())),
            &connection(),
            now,
            DAY,
        );
        assert_eq!((window.since, window.import), (until - OVERLAP, false));
    }

    #[test]
    fn the_first_import_skips_votes_of_the_connections_life_that_were_pruned_since() {
        let day = |n: i64| Timestamp::from_millis(n * 86_400_000);
        let mut conn = connection();
        conn.created_at = day(100);
        let now = day(400);
        let window = Window::of(&token(None, None), &conn, now, 90 * DAY);
        assert_eq!((window.since, window.import), (now - IMPORT_SPAN, true));
        let at = |d: i64| listed(&day(d).to_rfc3339());
        assert!(
            window.wants(&at(50)),
            "before the connection: never counted"
        );
        assert!(!window.wants(&at(200)), "counted, then pruned");
        assert!(
            window.wants(&at(350)),
            "still stored: deduplicated by the database"
        );
    }

    #[test]
    fn an_import_after_a_reconnect_skips_what_earlier_connections_counted_or_imported() {
        let day = |n: i64| Timestamp::from_millis(n * 86_400_000);
        let mut conn = connection();
        conn.created_at = day(390);
        let mut reconnected = token(None, None);
        reconnected.history_started_at = Some(day(300));
        let now = day(400);
        let at = |d: i64| listed(&day(d).to_rfc3339());
        let window = Window::of(&reconnected, &conn, now, 90 * DAY);
        assert!(window.wants(&at(250)), "before the history: never counted");
        assert!(!window.wants(&at(350)), "counted by the earlier connection");
        assert!(window.wants(&at(395)), "stored by this one: deduplicated");
        reconnected.history_imported_at = Some(day(310));
        let window = Window::of(&reconnected, &conn, now, 90 * DAY);
        assert!(
            !window.wants(&at(250)),
            "imported by the earlier connection"
        );
    }
}
