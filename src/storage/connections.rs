//! `connections`: Top.gg integration connections and their webhook secrets.

use secrecy::SecretString;
use sqlx::FromRow;

use super::pool::BeginWrite;
use super::{Db, with_pool};
use crate::domain::events::IntegrationCreate;

/// A stored connection. The secret is wrapped so it cannot be printed.
#[derive(Debug, Clone, FromRow)]
pub struct Connection {
    pub connection_id: String,
    #[sqlx(try_from = "String")]
    pub webhook_secret: SecretText,
    pub project_id: String,
    pub project_type: String,
    pub project_platform_id: String,
    pub project_name: Option<String>,
    pub owner_discord_id: String,
    pub owner_name: String,
    pub created_at: i64,
}

/// A secret read from the database.
#[derive(Debug, Clone)]
pub struct SecretText(pub SecretString);

impl From<String> for SecretText {
    fn from(value: String) -> Self {
        SecretText(SecretString::new(value))
    }
}

const SELECT: &str = "SELECT connection_id, webhook_secret, project_id, project_type, \
    project_platform_id, project_name, owner_discord_id, owner_name, created_at FROM connections";

impl Db {
    /// Stores a connection, or updates it (secret, project, owner) when it exists. A Discord
    /// server project is linked to its own guild at once.
    pub async fn upsert_connection(&self, c: &IntegrationCreate, now: i64) -> anyhow::Result<()> {
        let self_link = c
            .project
            .is_discord_server()
            .then_some(&c.project.platform_id);
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO connections (connection_id, webhook_secret, project_id, project_type, \
                 project_platform, project_platform_id, owner_topgg_id, owner_discord_id, owner_name, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
                 ON CONFLICT (connection_id) DO UPDATE SET webhook_secret = excluded.webhook_secret, \
                 project_id = excluded.project_id, project_type = excluded.project_type, \
                 project_platform = excluded.project_platform, \
                 project_platform_id = excluded.project_platform_id, \
                 owner_topgg_id = excluded.owner_topgg_id, owner_discord_id = excluded.owner_discord_id, \
                 owner_name = excluded.owner_name, updated_at = excluded.updated_at",
            )
            .bind(&c.connection_id)
            .bind(&c.webhook_secret)
            .bind(&c.project.id)
            .bind(&c.project.kind)
            .bind(&c.project.platform)
            .bind(&c.project.platform_id)
            .bind(&c.user.id)
            .bind(&c.user.platform_id)
            .bind(&c.user.name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if let Some(guild_id) = self_link {
                sqlx::query(
                    "INSERT INTO links (guild_id, connection_id, linked_by, linked_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(guild_id)
                .bind(&c.connection_id)
                .bind(&c.user.platform_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Removes a connection with its links, settings, grants and vote history, and cancels
    /// its pending announcements and grants. Scheduled role removals stay queued. Returns
    /// whether it existed.
    pub async fn delete_connection(&self, connection_id: &str) -> anyhow::Result<bool> {
        let deleted = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "DELETE FROM jobs WHERE connection_id = $1 AND status = 'queued' \
                 AND kind <> 'remove_role'",
            )
            .bind(connection_id)
            .execute(&mut *tx)
            .await?;
            let deleted = sqlx::query("DELETE FROM connections WHERE connection_id = $1")
                .bind(connection_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            deleted
        });
        Ok(deleted > 0)
    }

    /// The connection with this id, if stored.
    pub async fn connection(&self, connection_id: &str) -> anyhow::Result<Option<Connection>> {
        let sql = format!("{SELECT} WHERE connection_id = $1");
        let row = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(connection_id).fetch_optional(pool).await?
        });
        Ok(row)
    }
}
