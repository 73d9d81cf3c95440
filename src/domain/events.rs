//! The Top.gg v1 event payloads: `{"type": "<event>", "data": {...}}`.
//!
//! All ids are strings. Unknown fields are ignored; unknown event types are reported as
//! [`Event::Unknown`] so the caller can acknowledge them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{ConnectionId, GuildId, UserId, VoteId, VoterId, bounded_text};
use super::time::Timestamp;

mod wire;

/// The event types the bot knows, by their wire names (listed here only).
pub mod names {
    pub const INTEGRATION_CREATE: &str = "integration.create";
    pub const INTEGRATION_DELETE: &str = "integration.delete";
    pub const VOTE_CREATE: &str = "vote.create";
    pub const WEBHOOK_TEST: &str = "webhook.test";
}

/// Why a body that passed the signature check cannot be acted on.
#[derive(Debug, thiserror::Error)]
#[error("invalid {event} payload: {source}")]
pub struct PayloadError {
    pub event: String,
    #[source]
    pub source: serde_json::Error,
}

/// A parsed event.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    IntegrationCreate(IntegrationCreate),
    IntegrationDelete(IntegrationDelete),
    VoteCreate(Vote),
    WebhookTest(WebhookTest),
    Unknown(String),
}

impl Event {
    /// Parses a raw body; the `type` selects the shape of `data`, which is read straight into
    /// that type (no intermediate JSON tree).
    pub fn parse(body: &[u8]) -> Result<Self, PayloadError> {
        let kind: Kind = serde_json::from_slice(body).map_err(|source| PayloadError {
            event: "event".into(),
            source,
        })?;
        let parsed = match kind.kind.as_ref() {
            names::INTEGRATION_CREATE => data_of(body).map(Event::IntegrationCreate),
            names::INTEGRATION_DELETE => data_of(body).map(Event::IntegrationDelete),
            names::VOTE_CREATE => data_of(body).map(Event::VoteCreate),
            names::WEBHOOK_TEST => data_of(body).map(Event::WebhookTest),
            _ => return Ok(Event::Unknown(kind.kind.into_owned())),
        };
        parsed.map_err(|source| PayloadError {
            event: kind.kind.into_owned(),
            source,
        })
    }

    /// The event's type as sent (`vote.create`, ...).
    pub fn name(&self) -> &str {
        match self {
            Event::IntegrationCreate(_) => names::INTEGRATION_CREATE,
            Event::IntegrationDelete(_) => names::INTEGRATION_DELETE,
            Event::VoteCreate(_) => names::VOTE_CREATE,
            Event::WebhookTest(_) => names::WEBHOOK_TEST,
            Event::Unknown(kind) => kind,
        }
    }
}

/// The envelope's `type` (`data` is skipped without being kept).
#[derive(Deserialize)]
struct Kind<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
}

/// The envelope's `data` as `T` (`type` is skipped).
#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

fn data_of<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice::<Data<T>>(body).map(|envelope| envelope.data)
}

/// The project a connection or vote belongs to. The platform id of a Discord project is a
/// snowflake (a body with anything else there is not read); other platforms' ids are text.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "wire::Project")]
pub struct Project {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub platform: String,
    pub platform_id: String,
}

impl Project {
    /// Server projects link themselves to the guild they are.
    pub fn is_discord_server(&self) -> bool {
        self.kind == "server" && self.platform == "discord"
    }

    /// Bot projects: their name is the bot user's name on Discord.
    pub fn is_discord_bot(&self) -> bool {
        self.kind == "bot" && self.platform == "discord"
    }

    /// The guild a Discord server project is.
    pub fn guild_id(&self) -> Option<GuildId> {
        self.is_discord_server()
            .then(|| GuildId::parse(&self.platform_id).ok())
            .flatten()
    }
}

/// A voter, or whoever sent a test: `id` is Top.gg's, `platform_id` their id on the project's
/// platform (see [`Vote::discord_voter`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct User {
    #[serde(deserialize_with = "bounded_text")]
    pub id: String,
    pub platform_id: VoterId,
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub name: String,
    #[serde(default)]
    pub avatar_url: Option<String>,
}

/// The Discord user who clicked Connect: `platform_id` must be a Discord user id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Connector {
    #[serde(deserialize_with = "bounded_text")]
    pub id: String,
    pub platform_id: UserId,
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub name: String,
}

/// `integration.create`: a project owner clicked Connect.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct IntegrationCreate {
    pub connection_id: ConnectionId,
    pub webhook_secret: String,
    pub project: Project,
    pub user: Connector,
}

/// Never prints the webhook secret.
impl std::fmt::Debug for IntegrationCreate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegrationCreate")
            .field("connection_id", &self.connection_id)
            .field("webhook_secret", &"[REDACTED]")
            .field("project", &self.project)
            .field("user", &self.user)
            .finish()
    }
}

/// `integration.delete`: the connection is gone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IntegrationDelete {
    pub connection_id: ConnectionId,
}

/// `vote.create`, read leniently (see [`wire::Vote`]): `weight` defaults to 1, `expires_at`
/// to 12 h after `created_at`, `query` may be an object or a query string.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(from = "wire::Vote")]
pub struct Vote {
    pub id: VoteId,
    pub weight: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub project: Project,
    pub user: User,
    /// The vote page's query parameters (`?ref=...`); absent on older deliveries.
    pub query: Option<crate::domain::template::Query>,
}

impl Vote {
    /// When the vote was cast.
    pub fn cast_at(&self) -> Timestamp {
        self.created_at.into()
    }

    /// When the vote expires (the voter may vote again).
    pub fn expiry(&self) -> Timestamp {
        self.expires_at.into()
    }

    /// The voter as a Discord user: only for a Discord project, and only when their platform
    /// id is a snowflake. Anyone else is counted but never mentioned, DMed or given a role.
    pub fn discord_voter(&self) -> Option<UserId> {
        (self.project.platform == "discord")
            .then(|| UserId::parse(self.user.platform_id.as_str()).ok())
            .flatten()
    }
}

/// `webhook.test`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WebhookTest {
    pub project: Project,
    pub user: User,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::HOUR;

    const VOTE: &str = r#"{"type":"vote.create","data":{"id":"808499215864008704","weight":1,
 "created_at":"2026-02-09T00:47:14.2510149+00:00","expires_at":"2026-02-09T12:47:14.2510149+00:00",
 "project":{"id":"803190510032756736","type":"bot","platform":"discord","platform_id":"160105994217586689"},
 "query":{"ref":"discord"},
 "user":{"id":"topgg-user-id","platform_id":"160105994217586690","name":"username","avatar_url":"https://x"}}}"#;

    #[test]
    fn the_spec_vote_parses_with_seven_fractional_digits() {
        let Event::VoteCreate(vote) = Event::parse(VOTE.as_bytes()).unwrap() else {
            panic!("not a vote");
        };
        assert_eq!(vote.id.as_str(), "808499215864008704");
        assert_eq!(vote.discord_voter(), Some(UserId::from(160105994217586690)));
        assert_eq!(vote.expiry().since(vote.cast_at()), 12 * HOUR);
        assert_eq!(vote.query.unwrap()["ref"], "discord");
    }

    #[test]
    fn a_game_project_vote_is_accepted() {
        let body = VOTE.replace(
            r#""type":"bot","platform":"discord""#,
            r#""type":"game","platform":"roblox""#,
        );
        let Event::VoteCreate(vote) = Event::parse(body.as_bytes()).unwrap() else {
            panic!("not a vote");
        };
        assert_eq!(
            (vote.project.kind.as_str(), vote.project.platform.as_str()),
            ("game", "roblox")
        );
    }

    #[test]
    fn a_parsed_event_is_named_by_its_type() {
        let event = Event::parse(VOTE.as_bytes()).unwrap();
        assert_eq!(event.name(), names::VOTE_CREATE);
        let other = Event::parse(br#"{"type":"vote.delete","data":{}}"#).unwrap();
        assert_eq!(other.name(), "vote.delete");
    }

    #[test]
    fn unknown_event_types_are_reported_not_rejected() {
        let event = Event::parse(br#"{"type":"vote.delete","data":{"x":1}}"#).unwrap();
        assert_eq!(event, Event::Unknown("vote.delete".into()));
    }

    #[test]
    fn a_vote_without_an_id_is_invalid() {
        let body = VOTE.replace(r#""id":"808499215864008704","#, "");
        let err = Event::parse(body.as_bytes()).unwrap_err();
        assert_eq!(err.event, names::VOTE_CREATE);
    }

    #[test]
    fn a_number_where_an_id_string_belongs_is_invalid() {
        let body = VOTE.replace(r#""808499215864008704""#, "808499215864008704");
        assert!(Event::parse(body.as_bytes()).is_err());
    }

    #[test]
    fn integration_delete_needs_only_the_connection_id() {
        let event =
            Event::parse(br#"{"type":"integration.delete","data":{"connection_id":"7"}}"#).unwrap();
        assert_eq!(
            event,
            Event::IntegrationDelete(IntegrationDelete {
                connection_id: ConnectionId::from(7)
            })
        );
    }

    #[test]
    fn the_webhook_secret_never_appears_in_debug_output() {
        let body = br#"{"type":"integration.create","data":{"connection_id":"1","webhook_secret":"whs_hidden",
            "project":{"id":"1","type":"bot","platform":"discord","platform_id":"2"},
            "user":{"id":"u","platform_id":"3","name":"n","avatar_url":"a"}}}"#;
        let event = Event::parse(body).unwrap();
        assert!(!format!("{event:?}").contains("whs_hidden"));
    }

    #[test]
    fn a_known_event_without_data_is_invalid_and_an_escaped_type_is_read() {
        let err = Event::parse(br#"{"type":"vote.create"}"#).unwrap_err();
        assert_eq!(err.event, names::VOTE_CREATE);
        let escaped = VOTE.replace(r#""type":"vote.create""#, r#""type":"vote\u002ecreate""#);
        let event = Event::parse(escaped.as_bytes()).unwrap();
        assert_eq!(event.name(), names::VOTE_CREATE);
    }

    #[test]
    fn a_body_that_is_not_json_is_invalid() {
        assert!(Event::parse(b"not json").is_err());
        assert!(Event::parse(br#"{"data":{}}"#).is_err());
    }

    fn vote(body: &str) -> Vote {
        match Event::parse(body.as_bytes()) {
            Ok(Event::VoteCreate(vote)) => vote,
            other => panic!("not a vote: {other:?}"),
        }
    }

    #[test]
    fn a_query_string_is_read_as_its_percent_decoded_parameters() {
        for query in [r#""ref=a%20b&n=3""#, r#""?ref=a%20b&n=3""#, r#""ref=a+b&n=3&ref=x""#] {
            let body = VOTE.replace(r#"{"ref":"discord"}"#, query);
            let read = vote(&body).query.expect("a query");
            assert_eq!((read["ref"].as_str(), read["n"].as_str()), (Some("a b"), Some("3")));
        }
    }

    #[test]
    fn a_missing_expires_at_is_twelve_hours_after_created_at() {
        let body = VOTE.replace(r#""expires_at":"2026-02-09T12:47:14.2510149+00:00","#, "");
        let read = vote(&body);
        assert_eq!(read.expiry().since(read.cast_at()), 12 * HOUR);
    }

    #[test]
    fn weight_name_avatar_and_query_may_be_missing_and_unknown_fields_are_ignored() {
        let body = r#"{"type":"vote.create","extra":1,"data":{"id":"9","created_at":"2026-02-09T00:47:14Z",
            "project":{"id":"1","type":"bot","platform":"discord","platform_id":"2","new":true},
            "user":{"id":"u","platform_id":"3","name":null},"later":{"x":[1]}}}"#;
        let read = vote(body);
        assert_eq!((read.weight, read.user.name.as_str()), (1, ""));
        assert_eq!((read.user.avatar_url, read.query), (None, None));
    }

    #[test]
    fn a_voter_whose_platform_id_is_not_a_snowflake_is_read_but_not_a_discord_voter() {
        let crafted = VOTE.replace("160105994217586690", "../../guilds/1/members/2/roles/3?x=");
        let read = vote(&crafted);
        assert_eq!(read.user.platform_id.as_str(), "../../guilds/1/members/2/roles/3?x=");
        assert_eq!(read.discord_voter(), None);
    }

    #[test]
    fn a_roblox_voter_is_never_a_discord_voter_even_when_numeric() {
        let body = VOTE.replace(r#""platform":"discord""#, r#""platform":"roblox""#);
        assert_eq!(vote(&body).discord_voter(), None);
    }

    #[test]
    fn a_discord_project_whose_platform_id_is_not_a_snowflake_is_invalid() {
        let body = VOTE.replace(r#""platform_id":"160105994217586689""#, r#""platform_id":"../1""#);
        assert!(Event::parse(body.as_bytes()).is_err());
    }

    #[test]
    fn a_connector_must_be_a_discord_user_and_a_connection_id_of_topggs_shape() {
        let create = |connection: &str, owner: &str| {
            let body = format!(r#"{{"type":"integration.create","data":{{"connection_id":"{connection}",
                "webhook_secret":"whs_x","project":{{"id":"1","type":"bot","platform":"discord","platform_id":"2"}},
                "user":{{"id":"u","platform_id":"{owner}"}}}}}}"#);
            Event::parse(body.as_bytes())
        };
        assert!(create("112402021105124", "3").is_ok());
        assert!(create("112402021105124", "discord-user-id").is_err());
        assert!(create("../x", "3").is_err());
    }
}
