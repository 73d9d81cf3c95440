//! Typed ids: a guild id cannot be passed where a user id is expected. Each is the id's text
//! (Discord snowflakes and Top.gg ids alike), stored as TEXT and serialized as a plain string.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use serde::{Deserialize, Serialize};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

/// What an [`Id`] names; only its name, for `Debug`.
pub trait IdKind {
    const NAME: &'static str;
}

/// The id of one kind of thing. Use the aliases: [`GuildId`], [`UserId`], ...
#[derive(Serialize, Deserialize)]
#[serde(transparent, bound = "")]
pub struct Id<K> {
    text: String,
    #[serde(skip)]
    kind: PhantomData<fn() -> K>,
}

macro_rules! id_kinds {
    ($($kind:ident => $alias:ident, $what:literal;)*) => {$(
        #[doc = concat!("Marks ", $what, ".")]
        #[derive(Debug)]
        pub enum $kind {}
        impl IdKind for $kind {
            const NAME: &'static str = stringify!($alias);
        }
        #[doc = concat!("The id of ", $what, ".")]
        pub type $alias = Id<$kind>;
    )*};
}

id_kinds! {
    Guild => GuildId, "a Discord guild (server)";
    User => UserId, "a Discord user (the voter, on Discord)";
    Role => RoleId, "a Discord role";
    Channel => ChannelId, "a Discord channel";
    Connection => ConnectionId, "a Top.gg integration connection";
    Vote => VoteId, "a Top.gg vote";
}

impl<K> Id<K> {
    pub fn new(text: impl Into<String>) -> Self {
        Id {
            text: text.into(),
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

impl<K> From<String> for Id<K> {
    fn from(text: String) -> Self {
        Id::new(text)
    }
}

impl<K> From<&str> for Id<K> {
    fn from(text: &str) -> Self {
        Id::new(text)
    }
}

impl<K> From<u64> for Id<K> {
    /// A Discord snowflake.
    fn from(snowflake: u64) -> Self {
        Id::new(snowflake.to_string())
    }
}

impl<K> Clone for Id<K> {
    fn clone(&self) -> Self {
        Id::new(self.text.clone())
    }
}

impl<K> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl<K> Eq for Id<K> {}

impl<K> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl<K> Hash for Id<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl<K> Default for Id<K> {
    fn default() -> Self {
        Id::new(String::new())
    }
}

impl<K: IdKind> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", K::NAME, self.text)
    }
}

impl<K> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<K, DB: Database> Type<DB> for Id<K>
where
    String: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <String as Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <String as Type<DB>>::compatible(ty)
    }
}

impl<'q, K, DB: Database> Encode<'q, DB> for Id<K>
where
    String: Encode<'q, DB>,
{
    fn encode_by_ref(
        &self,
        buf: &mut <DB as Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        self.text.encode_by_ref(buf)
    }
}

impl<'r, K, DB: Database> Decode<'r, DB> for Id<K>
where
    String: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        String::decode(value).map(Id::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_serializes_as_its_plain_text() {
        let id = GuildId::new("160105994217586689");
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"160105994217586689\""
        );
        let back: GuildId = serde_json::from_str("\"160105994217586689\"").unwrap();
        assert_eq!(back, id);
    }

    #[test]
    fn an_id_debugs_with_its_kind_and_displays_as_its_text() {
        let id = RoleId::from(42_u64);
        assert_eq!(format!("{id:?} {id}"), "RoleId(42) 42");
    }
}
