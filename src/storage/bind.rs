//! [`Arg`]: a value bound to a [`Sql`](super::sql::Sql) statement, encoded for either backend.

use std::borrow::Cow;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Encode, Type};

use crate::domain::ids::{Id, Snowflake};
use crate::domain::time::Timestamp;

/// A value bound to a statement: the few types the schema uses (BIGINT and TEXT, nullable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::storage) enum Arg<'a> {
    Int(i64),
    OptInt(Option<i64>),
    Text(Cow<'a, str>),
    OptText(Option<Cow<'a, str>>),
}

// Each argument encodes as the type it holds, and says so: Postgres types a bind by
// `Encode::produces` (falling back to `Type::type_info`), so an `Arg` reports its real type.
impl<'a, DB: Database> Type<DB> for Arg<'a>
where
    i64: Type<DB>,
    Cow<'a, str>: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <Cow<'a, str> as Type<DB>>::type_info()
    }
}

impl<'q, 'a, DB: Database> Encode<'q, DB> for Arg<'a>
where
    i64: Encode<'q, DB> + Type<DB>,
    Cow<'a, str>: Encode<'q, DB> + Type<DB>,
{
    fn encode(self, buf: &mut DB::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        match self {
            Arg::Int(v) => v.encode(buf),
            Arg::OptInt(v) => v.map_or(Ok(IsNull::Yes), |v| v.encode(buf)),
            Arg::Text(v) => v.encode(buf),
            Arg::OptText(v) => v.map_or(Ok(IsNull::Yes), |v| v.encode(buf)),
        }
    }

    fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        match self {
            Arg::Int(v) => v.encode_by_ref(buf),
            Arg::OptInt(v) => v.map_or(Ok(IsNull::Yes), |v| v.encode_by_ref(buf)),
            Arg::Text(v) => v.encode_by_ref(buf),
            Arg::OptText(v) => v.as_ref().map_or(Ok(IsNull::Yes), |v| v.encode_by_ref(buf)),
        }
    }

    fn produces(&self) -> Option<DB::TypeInfo> {
        Some(match self {
            Arg::Int(_) | Arg::OptInt(_) => <i64 as Type<DB>>::type_info(),
            Arg::Text(_) | Arg::OptText(_) => <Cow<'a, str> as Type<DB>>::type_info(),
        })
    }

    fn size_hint(&self) -> usize {
        match self {
            Arg::Int(_) | Arg::OptInt(_) => 8,
            Arg::Text(v) => v.len(),
            Arg::OptText(v) => v.as_ref().map_or(0, |v| v.len()),
        }
    }
}

/// The vote connection (rusqlite, `vote_thread`) binds the same values.
impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Arg::Int(v) => ToSqlOutput::from(*v),
            Arg::OptInt(None) | Arg::OptText(None) => ToSqlOutput::Borrowed(ValueRef::Null),
            Arg::OptInt(Some(v)) => ToSqlOutput::from(*v),
            Arg::Text(v) | Arg::OptText(Some(v)) => ToSqlOutput::from(v.as_ref()),
        })
    }
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        Arg::OptInt(v)
    }
}

impl From<Timestamp> for Arg<'_> {
    fn from(v: Timestamp) -> Self {
        Arg::Int(v.as_millis())
    }
}

impl From<Option<Timestamp>> for Arg<'_> {
    fn from(v: Option<Timestamp>) -> Self {
        Arg::OptInt(v.map(Timestamp::as_millis))
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(Cow::Borrowed(v))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(Cow::Borrowed(v))
    }
}

impl From<String> for Arg<'_> {
    fn from(v: String) -> Self {
        Arg::Text(Cow::Owned(v))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Arg::OptText(v.map(Cow::Borrowed))
    }
}

impl<'a, K> From<&'a Id<K>> for Arg<'a> {
    fn from(v: &'a Id<K>) -> Self {
        Arg::Text(Cow::Borrowed(v.as_str()))
    }
}

impl<'a, K> From<Option<&'a Id<K>>> for Arg<'a> {
    fn from(v: Option<&'a Id<K>>) -> Self {
        Arg::OptText(v.map(|v| Cow::Borrowed(v.as_str())))
    }
}

impl<K> From<&Snowflake<K>> for Arg<'_> {
    fn from(v: &Snowflake<K>) -> Self {
        Arg::Text(Cow::Owned(v.to_string()))
    }
}

impl<K> From<Option<&Snowflake<K>>> for Arg<'_> {
    fn from(v: Option<&Snowflake<K>>) -> Self {
        Arg::OptText(v.map(|v| Cow::Owned(v.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use sqlx::postgres::Postgres;

    use super::*;

    fn postgres_type(arg: &Arg<'_>) -> Option<<Postgres as Database>::TypeInfo> {
        <Arg<'_> as Encode<'_, Postgres>>::produces(arg)
    }

    #[test]
    fn each_argument_binds_as_the_postgres_type_it_holds_even_when_null() {
        let int = <i64 as Type<Postgres>>::type_info();
        let text = <String as Type<Postgres>>::type_info();
        assert_eq!(postgres_type(&Arg::OptInt(None)), Some(int.clone()));
        assert_eq!(postgres_type(&Timestamp::from_millis(5).into()), Some(int));
        assert_eq!(postgres_type(&Arg::OptText(None)), Some(text.clone()));
        assert_eq!(postgres_type(&"x".into()), Some(text));
    }
}
