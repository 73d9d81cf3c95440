//! Top.gg's own ids: text of a bounded length and alphabet, made only by [`Id::parse`] (or a
//! number).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

use super::IdError;

/// What an [`Id`] names, and which texts may be one.
pub trait TextKind {
    const NAME: &'static str;
    /// The longest id, in characters.
    const MAX_LEN: usize = 128;
    /// Whether `c` may appear in the id.
    fn allowed(c: char) -> bool {
        !c.is_control()
    }
}

/// A Top.gg id of one kind. Use the aliases: [`ConnectionId`], [`VoteId`], [`VoterId`].
pub struct Id<K> {
    text: String,
    kind: PhantomData<fn() -> K>,
}

/// Marks a Top.gg integration connection (numeric on Top.gg; the demo's is `demo-connection`).
#[derive(Debug)]
pub enum Connection {}
impl TextKind for Connection {
    const NAME: &'static str = "ConnectionId";
    const MAX_LEN: usize = 64;
    fn allowed(c: char) -> bool {
        c.is_ascii_alphanumeric() || c == '_' || c == '-'
    }
}

/// Marks a Top.gg vote.
#[derive(Debug)]
pub enum Vote {}
impl TextKind for Vote {
    const NAME: &'static str = "VoteId";
}

/// Marks a voter by their id on the project's platform (`user.platform_id`): a Discord user
/// id for Discord projects, something else (a Roblox id) for others. Votes are counted by it;
/// only a [`super::UserId`] parsed from it may be mentioned, DMed or given a role.
#[derive(Debug)]
pub enum Voter {}
impl TextKind for Voter {
    const NAME: &'static str = "VoterId";
}

/// The id of a Top.gg integration connection.
pub type ConnectionId = Id<Connection>;
/// The id of a Top.gg vote.
pub type VoteId = Id<Vote>;
/// A voter's id on the voted project's platform.
pub type VoterId = Id<Voter>;

/// Whether `text` is 1..=`max` characters, each `allowed`.
fn is_bounded(text: &str, max: usize, allowed: fn(char) -> bool) -> bool {
    !text.is_empty() && text.chars().count() <= max && text.chars().all(allowed)
}

impl<K: TextKind> Id<K> {
    /// Reads an id: 1..=`K::MAX_LEN` characters of `K`'s alphabet.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        if is_bounded(text, K::MAX_LEN, K::allowed) {
            Ok(Self::unchecked(text.to_string()))
        } else {
            Err(IdError { kind: K::NAME })
        }
    }
}

impl<K: TextKind> std::str::FromStr for Id<K> {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, IdError> {
        Self::parse(text)
    }
}

impl<K> Id<K> {
    fn unchecked(text: String) -> Self {
        Id {
            text,
            kind: PhantomData,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn into_string(self) -> String {
        self.text
    }
}

impl<K> From<u64> for Id<K> {
    fn from(number: u64) -> Self {
        Self::unchecked(number.to_string())
    }
}

impl From<&super::UserId> for VoterId {
    /// A Discord user as the voter of a Discord project.
    fn from(user: &super::UserId) -> Self {
        Self::from(user.get())
    }
}

/// Deserializes a Top.gg id kept as plain text (a Top.gg user id, a project id): 1..=128
/// characters, no control characters.
pub fn bounded_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let text = String::deserialize(deserializer)?;
    if is_bounded(&text, 128, |c| !c.is_control()) {
        Ok(text)
    } else {
        Err(serde::de::Error::custom("not a valid Top.gg id"))
    }
}

impl<K> Clone for Id<K> {
    fn clone(&self) -> Self {
        Self::unchecked(self.text.clone())
    }
}

id_traits!(Id, text, TextKind);

/// Stored ids are read as they were written (older versions did not bound them).
impl<'r, K, DB: Database> Decode<'r, DB> for Id<K>
where
    String: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        String::decode(value).map(Self::unchecked)
    }
}
