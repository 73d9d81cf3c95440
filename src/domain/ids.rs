//! Typed ids: a guild id cannot be passed where a user id is expected.
//!
//! Discord's ids ([`GuildId`], [`UserId`], [`RoleId`], [`ChannelId`]) are [`Snowflake`]s: a
//! u64 that only [`Snowflake::parse`] (1-20 ASCII digits) or a `u64` makes, so a REST path
//! built from one is digits only. Top.gg's own ids ([`ConnectionId`], [`VoteId`],
//! [`VoterId`]) are [`Id`]s: text, bounded by [`Id::parse`]. Both are stored as TEXT and
//! serialized as a plain string.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

/// Equality, order and hash by one field, for an id type whose kind parameter is only a
/// marker (derives would require the marker itself to implement them).
macro_rules! compared_by {
    ($ty:ident, $field:ident) => {
        impl<K> PartialEq for $ty<K> {
            fn eq(&self, other: &Self) -> bool {
                self.$field == other.$field
            }
        }

        impl<K> Eq for $ty<K> {}

        impl<K> PartialOrd for $ty<K> {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl<K> Ord for $ty<K> {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.$field.cmp(&other.$field)
            }
        }

        impl<K> Hash for $ty<K> {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.$field.hash(state);
            }
        }
    };
}

/// `Debug` as `Kind(id)`, `Display` and serde as the plain id (read back through `parse`), for
/// an id type whose kinds implement `$kind`.
macro_rules! shown_as_text {
    ($ty:ident, $field:ident, $kind:ident) => {
        impl<K: $kind> fmt::Debug for $ty<K> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", K::NAME, self.$field)
            }
        }

        impl<K> fmt::Display for $ty<K> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.$field, f)
            }
        }

        impl<K> Serialize for $ty<K> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(&self.$field)
            }
        }

        impl<'de, K: $kind> Deserialize<'de> for $ty<K> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// An id type stored in a TEXT column, on either backend (written as it is displayed).
macro_rules! text_column {
    ($ty:ident) => {
        impl<K, DB: Database> Type<DB> for $ty<K>
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
    };
    ($ty:ident, written) => {
        text_column!($ty);

        impl<'q, K, DB: Database> Encode<'q, DB> for $ty<K>
        where
            String: Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as Database>::ArgumentBuffer,
            ) -> Result<IsNull, BoxDynError> {
                <String as Encode<'q, DB>>::encode(self.to_string(), buf)
            }
        }
    };
}

/// The traits every id type shares: compared by `$field`, shown and serialized as text,
/// stored in a TEXT column.
macro_rules! id_traits {
    ($ty:ident, $field:ident, $kind:ident) => {
        compared_by!($ty, $field);
        shown_as_text!($ty, $field, $kind);
        text_column!($ty, written);
    };
}

mod text;

pub use text::{
    Connection, ConnectionId, Id, TextKind, Vote, VoteId, Voter, VoterId, bounded_text,
};

/// Why a text is not an id of its kind (the text itself is never repeated: it came from
/// outside).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {kind}")]
pub struct IdError {
    pub kind: &'static str,
}

/// What a [`Snowflake`] names; only its name, for `Debug` and errors.
pub trait IdKind {
    const NAME: &'static str;
}

/// A Discord id of one kind. Use the aliases: [`GuildId`], [`UserId`], ...
pub struct Snowflake<K> {
    value: u64,
    kind: PhantomData<fn() -> K>,
}

macro_rules! snowflake_kinds {
    ($($kind:ident => $alias:ident, $what:literal;)*) => {$(
        #[doc = concat!("Marks ", $what, ".")]
        #[derive(Debug)]
        pub enum $kind {}
        impl IdKind for $kind {
            const NAME: &'static str = stringify!($alias);
        }
        #[doc = concat!("The id of ", $what, ".")]
        pub type $alias = Snowflake<$kind>;
    )*};
}

snowflake_kinds! {
    Guild => GuildId, "a Discord guild (server)";
    User => UserId, "a Discord user";
    Role => RoleId, "a Discord role";
    Channel => ChannelId, "a Discord channel";
}

/// Whether `text` is a snowflake: 1-20 ASCII digits whose value fits in a u64.
pub fn parse_snowflake(text: &str) -> Option<u64> {
    let digits_only =
        !text.is_empty() && text.len() <= 20 && text.bytes().all(|b| b.is_ascii_digit());
    digits_only.then(|| text.parse().ok()).flatten()
}

impl<K: IdKind> Snowflake<K> {
    /// Reads Discord's text form; anything but 1-20 ASCII digits that fit a u64 is refused.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        parse_snowflake(text)
            .map(Self::from)
            .ok_or(IdError { kind: K::NAME })
    }
}

impl<K: IdKind> std::str::FromStr for Snowflake<K> {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, IdError> {
        Self::parse(text)
    }
}

impl<K> Snowflake<K> {
    /// The id's value.
    pub fn get(&self) -> u64 {
        self.value
    }
}

impl<K> From<u64> for Snowflake<K> {
    fn from(value: u64) -> Self {
        Snowflake {
            value,
            kind: PhantomData,
        }
    }
}

impl<K> Clone for Snowflake<K> {
    fn clone(&self) -> Self {
        Self::from(self.value)
    }
}

id_traits!(Snowflake, value, IdKind);

/// A stored value that is not a snowflake is a decode error of that row (the caller decides
/// what a bad row means); columns written before ids were parsed are read as text instead.
impl<'r, K: IdKind, DB: Database> Decode<'r, DB> for Snowflake<K>
where
    String: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self::parse(&String::decode(value)?)?)
    }
}

/// A Discord id column that older versions may have filled with other text (`''` for work
/// of no guild, ids from outside that were never checked): `None` then, not a failed read.
pub struct Lenient<K>(Option<Snowflake<K>>);

impl<K> From<Lenient<K>> for Option<Snowflake<K>> {
    fn from(lenient: Lenient<K>) -> Self {
        lenient.0
    }
}

text_column!(Lenient);

impl<'r, K: IdKind, DB: Database> Decode<'r, DB> for Lenient<K>
where
    String: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Lenient(Snowflake::parse(&String::decode(value)?).ok()))
    }
}

#[cfg(test)]
mod tests;
