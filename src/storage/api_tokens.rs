//! `api_tokens`: a project's Top.gg API token per connection, and how far vote recovery has
//! got with it.

use std::collections::HashMap;

use secrecy::{ExposeSecret, SecretString};
use sqlx::FromRow;

use super::Db;
use super::connections::SecretText;
use super::sql::Sql;
use crate::domain::ids::{ConnectionId, VoterId};
use crate::domain::time::Timestamp;

/// A connection whose API token is set and not rejected: what a recovery pass needs.
#[derive(Debug, Clone, FromRow)]
pub struct ApiToken {
    pub connection_id: ConnectionId,
    #[sqlx(try_from = "String")]
    pub token: SecretText,
    /// When the first-token import was done (`None`: still to do).
    pub imported_at: Option<Timestamp>,
    /// Votes created before this were listed and stored.
    pub recovered_until: Option<Timestamp>,
    /// Since when the connection's history counts votes (earlier connections of the project
    /// included); `None` for a history older than that record.
    pub history_started_at: Option<Timestamp>,
    /// When a first-token import (of any connection of the project) filled the history.
    pub history_imported_at: Option<Timestamp>,
}

/// What `/topgg status` can say about a connection's API token (never the token).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ApiTokenState {
    pub has_token: bool,
    pub set_at: Timestamp,
    pub imported_at: Option<Timestamp>,
    pub recovered_until: Option<Timestamp>,
    /// When and why Top.gg rejected the token; it is not used until replaced.
    pub rejected_at: Option<Timestamp>,
    pub rejected_reason: Option<String>,
}

/// Stores (or replaces) a token: $1 connection, $2 token, $3 now.
pub(super) const SET_TOKEN: &str = "INSERT INTO api_tokens (connection_id, token, set_at) VALUES ($1, $2, $3) \
    ON CONFLICT (connection_id) DO UPDATE SET token = excluded.token, \
    set_at = excluded.set_at, rejected_at = NULL, rejected_reason = NULL";

impl Db {
    /// Stores (or replaces) a connection's API token; a replaced token is no longer rejected.
    /// `None` removes it, keeping the recovery's progress (a token set again does not import
    /// the last year a second time).
    pub async fn set_api_token(
        &self,
        connection: &ConnectionId,
        token: Option<&SecretString>,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let token = token.map(|t| t.expose_secret().as_str());
        let sql = Sql::new(SET_TOKEN).bind(connection).bind(token).bind(now);
        self.execute(sql).await?;
        Ok(())
    }

    /// The tokens recovery may use: set and not rejected.
    pub async fn usable_api_tokens(&self) -> anyhow::Result<Vec<ApiToken>> {
        let sql = Sql::new(
            "SELECT t.connection_id, t.token, t.imported_at, t.recovered_until, \
             h.started_at AS history_started_at, h.imported_at AS history_imported_at \
             FROM api_tokens t JOIN connections c ON c.connection_id = t.connection_id \
             LEFT JOIN histories h ON h.history_key = c.project_id \
             WHERE t.token IS NOT NULL AND t.rejected_at IS NULL ORDER BY t.connection_id",
        );
        self.fetch_all(sql).await
    }

    /// A connection's API token state, if a token was ever set.
    pub async fn api_token_state(
        &self,
        connection: &ConnectionId,
    ) -> anyhow::Result<Option<ApiTokenState>> {
        let sql = Sql::new(
            "SELECT token IS NOT NULL AS has_token, set_at, imported_at, recovered_until, \
             rejected_at, rejected_reason FROM api_tokens WHERE connection_id = $1",
        );
        self.fetch_optional(sql.bind(connection)).await
    }

    /// Marks a token as rejected by Top.gg (only the token read as `token`: one replaced
    /// meanwhile stays usable).
    pub async fn reject_api_token(
        &self,
        connection: &ConnectionId,
        token: &SecretString,
        reason: &str,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let sql = Sql::new(
            "UPDATE api_tokens SET rejected_at = $1, rejected_reason = $2 \
             WHERE connection_id = $3 AND token = $4",
        );
        let sql = sql
            .bind(now)
            .bind(reason)
            .bind(connection)
            .bind(token.expose_secret().as_str());
        self.execute(sql).await?;
        Ok(())
    }

    /// Records a finished recovery pass: votes created before `until` are stored, and the
    /// first-token import is done (at `until`) if it was not yet, for the connection and
    /// for its history.
    pub async fn recovered(
        &self,
        connection: &ConnectionId,
        until: Timestamp,
    ) -> anyhow::Result<()> {
        let mut tx = self.begin_write().await?;
        let sql = Sql::new(
            "UPDATE api_tokens SET recovered_until = $1, \
             imported_at = COALESCE(imported_at, $1) WHERE connection_id = $2",
        );
        tx.execute(sql.bind(until).bind(connection)).await?;
        let history = Sql::new(
            "UPDATE histories SET imported_at = COALESCE(imported_at, $1) WHERE history_key = \
             (SELECT project_id FROM connections WHERE connection_id = $2)",
        );
        tx.execute(history.bind(until).bind(connection)).await?;
        tx.commit().await
    }

    /// The names the bot knows for these voters of a connection (Top.gg's vote list has none).
    pub async fn voter_names(
        &self,
        connection: &ConnectionId,
        voters: &[&VoterId],
    ) -> anyhow::Result<HashMap<VoterId, String>> {
        // The JSON array's elements are read by each backend's own function.
        let text = if self.is_postgres() {
            "SELECT voter_id, voter_name FROM voter_totals WHERE history_key = \
             (SELECT project_id FROM connections WHERE connection_id = $1) \
             AND voter_id IN (SELECT jsonb_array_elements_text($2::text::jsonb))"
        } else {
            "SELECT voter_id, voter_name FROM voter_totals WHERE history_key = \
             (SELECT project_id FROM connections WHERE connection_id = $1) \
             AND voter_id IN (SELECT value FROM json_each($2))"
        };
        let sql = Sql::new(text)
            .bind(connection)
            .bind(serde_json::to_string(voters)?);
        let rows: Vec<(VoterId, String)> = self.fetch_all(sql).await?;
        Ok(rows.into_iter().collect())
    }
}
