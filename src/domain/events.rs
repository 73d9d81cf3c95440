//! The Top.gg v1 event payloads: `{"type": "<event>", "data": {...}}`.
//!
//! All ids are strings. Unknown fields are ignored; unknown event types are reported as
//! [`Event::Unknown`] so the caller can acknowledge them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{ConnectionId, UserId, VoteId};
use super::time::Timestamp;

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

/// The project a connection or vote belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
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
}

/// A Top.gg user (`id` is Top.gg's); `platform_id` is their Discord user id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct User {
    pub id: String,
    pub platform_id: UserId,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub avatar_url: Option<String>,
}

/// `integration.create`: a project owner clicked Connect.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct IntegrationCreate {
    pub connection_id: ConnectionId,
    pub webhook_secret: String,
    pub project: Project,
    pub user: User,
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

/// `vote.create`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Vote {
    pub id: VoteId,
    #[serde(default = "one")]
    pub weight: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub project: Project,
    pub user: User,
    /// The vote page's query parameters (`?ref=...`); absent on older deliveries.
    #[serde(default)]
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
}

fn one() -> i64 {
    1
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
 "user":{"id":"topgg-user-id","platform_id":"discord-user-id","name":"username","avatar_url":"https://x"}}}"#;

    #[test]
    fn the_spec_vote_parses_with_seven_fractional_digits() {
        let Event::VoteCreate(vote) = Event::parse(VOTE.as_bytes()).unwrap() else {
            panic!("not a vote");
        };
        assert_eq!(vote.id.as_str(), "808499215864008704");
        assert_eq!(vote.user.platform_id.as_str(), "discord-user-id");
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
                connection_id: "7".into()
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
}
