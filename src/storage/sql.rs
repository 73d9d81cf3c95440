//! One statement type for both backends: a [`Sql`] is the query text with its arguments, and
//! [`Db`] and [`WriteTx`] run it on whichever database is underneath. The same text serves
//! both (`$1` binds in SQLite too); where a backend needs other text, the caller says why.

use sqlx::database::HasStatementCache;
use sqlx::postgres::{PgRow, Postgres};
use sqlx::query::{Query, QueryAs};
use sqlx::sqlite::{Sqlite, SqliteRow};
use sqlx::{
    Arguments, AssertSqlSafe, Database, Encode, FromRow, IntoArguments, SqlSafeStr, SqlStr,
    Transaction, Type,
};

use super::Db;
use super::bind::Arg;
use super::pool::BeginWrite;
use crate::domain::keys::InGuild;

/// A statement and its arguments, not yet run.
pub(super) struct Sql<'a> {
    text: SqlStr,
    args: Vec<Arg<'a>>,
    persistent: bool,
}

impl<'a> Sql<'a> {
    /// A statement with fixed text (kept prepared per connection).
    pub fn new(text: &'static str) -> Self {
        Self::from_str(text.into_sql_str(), true)
    }

    /// A statement whose text is put together at run time from fixed pieces (never from
    /// input), kept prepared like [`Sql::new`].
    pub fn built(text: String) -> Self {
        Self::from_str(AssertSqlSafe(text).into_sql_str(), true)
    }

    /// A statement whose text depends on a batch size: prepared for this run only (a cache
    /// of large statements would cost memory and save little).
    pub fn once(text: String, args: usize) -> Self {
        let mut sql = Self::from_str(AssertSqlSafe(text).into_sql_str(), false);
        sql.args.reserve(args);
        sql
    }

    fn from_str(text: SqlStr, persistent: bool) -> Self {
        Sql {
            text,
            args: Vec::new(),
            persistent,
        }
    }

    /// Binds the next parameter.
    pub fn bind(mut self, arg: impl Into<Arg<'a>>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Binds a guild and the id it names (see [`InGuild`]): the next two parameters.
    pub fn bind_key<T>(self, key: InGuild<'a, T>) -> Self
    where
        &'a T: Into<Arg<'a>>,
    {
        self.bind(key.guild).bind(key.id)
    }

    /// Binds the next parameter (in a loop).
    pub fn push(&mut self, arg: impl Into<Arg<'a>>) {
        self.args.push(arg.into());
    }

    /// Runs the statement on a rusqlite connection (the vote connection, `vote_thread`),
    /// kept prepared there; its `$n` parameters are bound in order, so each must first
    /// appear in that order.
    pub fn execute_on(self, conn: &rusqlite::Connection) -> rusqlite::Result<usize> {
        let mut statement = conn.prepare_cached(self.text.as_str())?;
        statement.execute(rusqlite::params_from_iter(self.args))
    }

    /// The text and the encoded arguments for backend `DB`.
    fn split<DB: Database>(self) -> Result<(SqlStr, DB::Arguments, bool), sqlx::Error>
    where
        for<'q> Arg<'a>: Encode<'q, DB> + Type<DB>,
    {
        let mut arguments = DB::Arguments::default();
        arguments.reserve(self.args.len(), 0);
        for arg in self.args {
            arguments.add(arg).map_err(sqlx::Error::Encode)?;
        }
        Ok((self.text, arguments, self.persistent))
    }

    /// The statement as a sqlx query on backend `DB` (for statements that return no rows).
    fn query<DB: Database + HasStatementCache>(
        self,
    ) -> Result<Query<'static, DB, DB::Arguments>, sqlx::Error>
    where
        for<'q> Arg<'a>: Encode<'q, DB> + Type<DB>,
        DB::Arguments: IntoArguments<DB>,
    {
        let (text, args, keep) = self.split::<DB>()?;
        Ok(sqlx::query_with(text, args).persistent(keep))
    }

    /// The statement as a sqlx query on backend `DB` whose rows read as `T`.
    fn query_as<DB: Database + HasStatementCache, T>(
        self,
    ) -> Result<QueryAs<'static, DB, T, DB::Arguments>, sqlx::Error>
    where
        for<'q> Arg<'a>: Encode<'q, DB> + Type<DB>,
        DB::Arguments: IntoArguments<DB>,
        T: for<'r> FromRow<'r, DB::Row>,
    {
        let (text, args, keep) = self.split::<DB>()?;
        Ok(sqlx::query_as_with(text, args).persistent(keep))
    }
}

/// How parameters are written: Postgres numbers them (`$1`); SQLite takes `?` in order, which
/// it binds in constant time (it looks a numbered parameter up by scanning a list, which
/// costs quadratic time over the thousands of parameters of a large batch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Params {
    Numbered,
    Positional,
}

impl Params {
    /// `($1, $2, $3), ($4, $5, $6)` (or `(?, ?, ?), (?, ?, ?)`): `rows` rows of `cols` columns.
    pub fn rows(self, rows: usize, cols: usize) -> String {
        self.rows_with(rows, cols, "")
    }

    /// Like [`Params::rows`], each row ending with the literal columns `tail`.
    pub fn rows_with(self, rows: usize, cols: usize, tail: &str) -> String {
        let param = |n: usize| match self {
            Params::Numbered => format!("${n}"),
            Params::Positional => "?".to_string(),
        };
        let row = |r: usize| {
            let params: Vec<String> = (1..=cols).map(|c| param(r * cols + c)).collect();
            format!("({}{tail})", params.join(", "))
        };
        (0..rows).map(row).collect::<Vec<_>>().join(", ")
    }
}

/// Rows a statement may return on either backend (tuples and `#[derive(FromRow)]` structs).
pub(super) trait FromRows:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> FromRows for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// A write transaction (on SQLite `BEGIN IMMEDIATE`, see [`BeginWrite`]); rolled back when
/// dropped without [`WriteTx::commit`].
pub(super) enum WriteTx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Db {
    pub(super) async fn begin_write(&self) -> anyhow::Result<WriteTx> {
        Ok(match self {
            Db::Sqlite(pool, _) => WriteTx::Sqlite(pool.begin_write().await?),
            Db::Postgres(pool) => WriteTx::Postgres(pool.begin_write().await?),
        })
    }

    /// Runs a statement; returns how many rows it changed.
    pub(super) async fn execute(&self, sql: Sql<'_>) -> anyhow::Result<u64> {
        Ok(match self {
            Db::Sqlite(pool, _) => sql.query()?.execute(pool).await?.rows_affected(),
            Db::Postgres(pool) => sql.query()?.execute(pool).await?.rows_affected(),
        })
    }

    pub(super) async fn fetch_all<T: FromRows>(&self, sql: Sql<'_>) -> anyhow::Result<Vec<T>> {
        Ok(match self {
            Db::Sqlite(pool, _) => sql.query_as()?.fetch_all(pool).await?,
            Db::Postgres(pool) => sql.query_as()?.fetch_all(pool).await?,
        })
    }

    pub(super) async fn fetch_optional<T: FromRows>(
        &self,
        sql: Sql<'_>,
    ) -> anyhow::Result<Option<T>> {
        Ok(match self {
            Db::Sqlite(pool, _) => sql.query_as()?.fetch_optional(pool).await?,
            Db::Postgres(pool) => sql.query_as()?.fetch_optional(pool).await?,
        })
    }

    pub(super) async fn fetch_one<T: FromRows>(&self, sql: Sql<'_>) -> anyhow::Result<T> {
        Ok(self
            .fetch_optional(sql)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?)
    }
}

impl WriteTx {
    pub(super) fn is_postgres(&self) -> bool {
        matches!(self, WriteTx::Postgres(_))
    }

    /// How batch statements write their parameters on this backend.
    pub(super) fn params(&self) -> Params {
        match self {
            WriteTx::Sqlite(_) => Params::Positional,
            WriteTx::Postgres(_) => Params::Numbered,
        }
    }

    pub(super) async fn commit(self) -> anyhow::Result<()> {
        match self {
            WriteTx::Sqlite(tx) => tx.commit().await?,
            WriteTx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    /// Runs a statement; returns how many rows it changed.
    pub(super) async fn execute(&mut self, sql: Sql<'_>) -> anyhow::Result<u64> {
        Ok(match self {
            WriteTx::Sqlite(tx) => sql.query()?.execute(&mut **tx).await?.rows_affected(),
            WriteTx::Postgres(tx) => sql.query()?.execute(&mut **tx).await?.rows_affected(),
        })
    }

    pub(super) async fn fetch_all<T: FromRows>(&mut self, sql: Sql<'_>) -> anyhow::Result<Vec<T>> {
        Ok(match self {
            WriteTx::Sqlite(tx) => sql.query_as()?.fetch_all(&mut **tx).await?,
            WriteTx::Postgres(tx) => sql.query_as()?.fetch_all(&mut **tx).await?,
        })
    }

    pub(super) async fn fetch_optional<T: FromRows>(
        &mut self,
        sql: Sql<'_>,
    ) -> anyhow::Result<Option<T>> {
        Ok(match self {
            WriteTx::Sqlite(tx) => sql.query_as()?.fetch_optional(&mut **tx).await?,
            WriteTx::Postgres(tx) => sql.query_as()?.fetch_optional(&mut **tx).await?,
        })
    }

    pub(super) async fn fetch_one<T: FromRows>(&mut self, sql: Sql<'_>) -> anyhow::Result<T> {
        Ok(self
            .fetch_optional(sql)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_parameters_are_numbered_on_postgres_and_positional_on_sqlite() {
        assert_eq!(Params::Numbered.rows(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(Params::Positional.rows_with(1, 2, ", 0"), "(?, ?, 0)");
    }
}
