//! A SQLite write transaction on a connection its owner keeps between transactions (the vote
//! writer): `BEGIN IMMEDIATE` goes with the first statement and `COMMIT` with the last, so a
//! transaction costs two round trips to sqlx's connection thread fewer, and the connection's
//! page cache stays warm from one batch to the next.
//!
//! sqlx does not see these `BEGIN`s. A transaction left open (an error before its `COMMIT`)
//! is never reused: the [`KeptTx`] is dropped, its connection goes back to the pool, and the
//! pool's after-release check (`BEGIN; ROLLBACK`, which fails inside a transaction) closes it,
//! which rolls the transaction back.

use sqlx::pool::PoolConnection;
use sqlx::sqlite::Sqlite;
use sqlx::{AssertSqlSafe, SqlSafeStr, SqlStr};

use super::sql::{FromRows, Sql};

/// A connection the vote writer keeps from one batch to the next.
pub(super) type KeptConnection = PoolConnection<Sqlite>;

pub(super) struct KeptTx {
    conn: KeptConnection,
    begun: bool,
}

impl KeptTx {
    /// A transaction that begins with its first statement.
    pub fn on(conn: KeptConnection) -> Self {
        KeptTx { conn, begun: false }
    }

    /// The statement's text, after `BEGIN IMMEDIATE` when it is the transaction's first.
    fn opening(&mut self, text: SqlStr) -> SqlStr {
        if std::mem::replace(&mut self.begun, true) {
            return text;
        }
        AssertSqlSafe(format!("BEGIN IMMEDIATE; {}", text.as_str())).into_sql_str()
    }

    pub async fn execute(&mut self, sql: Sql<'_>) -> anyhow::Result<u64> {
        let (text, args, keep) = sql.split::<Sqlite>()?;
        let query = sqlx::query_with(self.opening(text), args).persistent(keep);
        Ok(query.execute(&mut *self.conn).await?.rows_affected())
    }

    pub async fn fetch_all<T: FromRows>(&mut self, sql: Sql<'_>) -> anyhow::Result<Vec<T>> {
        let (text, args, keep) = sql.split::<Sqlite>()?;
        let query = sqlx::query_as_with(self.opening(text), args).persistent(keep);
        Ok(query.fetch_all(&mut *self.conn).await?)
    }

    pub async fn fetch_optional<T: FromRows>(&mut self, sql: Sql<'_>) -> anyhow::Result<Option<T>> {
        let (text, args, keep) = sql.split::<Sqlite>()?;
        let query = sqlx::query_as_with(self.opening(text), args).persistent(keep);
        Ok(query.fetch_optional(&mut *self.conn).await?)
    }

    /// Runs the transaction's last statement and commits, in one round trip; gives the
    /// connection back for the next transaction.
    pub async fn commit_after(mut self, sql: Sql<'_>) -> anyhow::Result<KeptConnection> {
        let (text, args, keep) = sql.split::<Sqlite>()?;
        let text = self.opening(text);
        let text = AssertSqlSafe(format!("{}; COMMIT", text.as_str())).into_sql_str();
        let query = sqlx::query_with(text, args).persistent(keep);
        query.execute(&mut *self.conn).await?;
        Ok(self.conn)
    }

    /// Commits (nothing to do when no statement ran); gives the connection back.
    pub async fn commit(mut self) -> anyhow::Result<KeptConnection> {
        if self.begun {
            sqlx::raw_sql("COMMIT").execute(&mut *self.conn).await?;
        }
        Ok(self.conn)
    }
}
