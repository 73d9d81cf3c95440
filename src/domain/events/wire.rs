//! The lenient wire shapes Top.gg's SDKs read, turned into the event types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::domain::ids::{VoteId, bounded_text, parse_snowflake};
use crate::domain::template::Query;

/// When `expires_at` is missing: Top.gg lets a user vote again 12 h later.
const VOTE_INTERVAL_HOURS: i64 = 12;

/// `project` as sent.
#[derive(Deserialize)]
pub(super) struct Project {
    #[serde(deserialize_with = "bounded_text")]
    id: String,
    #[serde(rename = "type")]
    kind: super::ProjectKind,
    platform: String,
    #[serde(deserialize_with = "bounded_text")]
    platform_id: String,
}

impl TryFrom<Project> for super::Project {
    type Error = &'static str;

    fn try_from(p: Project) -> Result<Self, Self::Error> {
        if p.platform == "discord" && parse_snowflake(&p.platform_id).is_none() {
            return Err("a Discord project's platform_id is not a Discord id");
        }
        Ok(super::Project {
            id: p.id,
            kind: p.kind,
            platform: p.platform,
            platform_id: p.platform_id,
        })
    }
}

/// `vote.create`'s `data` as sent; unknown fields are ignored.
#[derive(Deserialize)]
pub(super) struct Vote {
    id: VoteId,
    #[serde(default = "one")]
    weight: i64,
    created_at: DateTime<Utc>,
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
    project: super::Project,
    user: super::User,
    #[serde(default, deserialize_with = "query")]
    query: Option<Query>,
}

fn one() -> i64 {
    1
}

impl From<Vote> for super::Vote {
    fn from(v: Vote) -> Self {
        let expires_at = v
            .expires_at
            .unwrap_or(v.created_at + chrono::Duration::hours(VOTE_INTERVAL_HOURS));
        super::Vote {
            id: v.id,
            weight: v.weight,
            created_at: v.created_at,
            expires_at,
            project: v.project,
            user: v.user,
            query: v.query,
        }
    }
}

/// A name that may be missing or `null`: empty then.
pub(super) fn text_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// `query` as an object, or as a query string (`"a=1&b=2"`, `"?a=1"`, percent-encoded).
fn query<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Query>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map),
        Some(Value::String(text)) => Some(parse_query_string(&text)),
        Some(_) => {
            return Err(serde::de::Error::custom(
                "query is neither an object nor text",
            ));
        }
    })
}

/// The parameters of a query string; a repeated key keeps its first value.
pub fn parse_query_string(text: &str) -> Query {
    let text = text.strip_prefix('?').unwrap_or(text);
    let mut query = Query::new();
    for (key, value) in form_urlencoded::parse(text.as_bytes()) {
        if !key.is_empty() && !query.contains_key(key.as_ref()) {
            query.insert(key.into_owned(), Value::String(value.into_owned()));
        }
    }
    query
}
