//! The Top.gg v1 event payloads: `{"type": "<event>", "data": {...}}`.
//!
//! All ids are strings. Unknown fields are ignored; unknown event types are reported as
//! [`Event::Unknown`] so the caller can acknowledge them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{ConnectionId, GuildId, UserId, VoteId, VoterId, bounded_text};
use super::time::Timestamp;

mod kind;
mod wire;

pub use kind::ProjectKind;

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
    pub kind: ProjectKind,
    pub platform: String,
    pub platform_id: String,
}

impl Project {
    /// Server projects link themselves to the guild they are.
    pub fn is_discord_server(&self) -> bool {
        self.kind == ProjectKind::Server && self.platform == "discord"
    }

    /// Bot projects: their name is the bot user's name on Discord.
    pub fn is_discord_bot(&self) -> bool {
        self.kind == ProjectKind::Bot && self.platform == "discord"
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
mod tests;
