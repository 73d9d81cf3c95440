//! `connections`: Top.gg integration connections and their webhook secrets.

use secrecy::SecretString;
use sqlx::FromRow;

use super::Db;
use super::sql::{Sql, WriteTx};
use crate::domain::events::ProjectKind;
use crate::domain::events::{IntegrationCreate, Vote};
use crate::domain::ids::{ConnectionId, Lenient, User, UserId};
use crate::domain::time::Timestamp;

/// A stored connection. The secret is wrapped so it cannot be printed.
#[derive(Debug, Clone, FromRow)]
pub struct Connection {
    pub connection_id: ConnectionId,
    #[sqlx(try_from = "String")]
    pub webhook_secret: SecretText,
    pub project_id: String,
    #[sqlx(try_from = "String")]
    pub project_type: ProjectKind,
    pub project_platform_id: String,
    pub project_name: Option<String>,
    /// Who clicked Connect; `None` when an older version stored an id that is not Discord's.
    #[sqlx(try_from = "Lenient<User>")]
    pub owner_discord_id: Option<UserId>,
    pub owner_name: String,
    pub created_at: Timestamp,
}

/// The stored project id of a webhook-mode connection whose project no API token proved yet
/// starts with this (`webhook:<connection_id>`): its history is its own.
pub const UNPROVEN_PROJECT: &str = "webhook:";

impl Connection {
    /// The key of the vote history this connection writes and reads: its project id, which
    /// is the Top.gg project's for an integration connection and for a webhook-mode
    /// connection whose project an API token proved, else `webhook:<connection_id>`.
    pub fn history_key(&self) -> &str {
        &self.project_id
    }

    /// Whether the connection's Top.gg project is known (Top.gg vouched for it, or an API
    /// token proved it): a vote naming another project is then refused.
    pub fn project_known(&self) -> bool {
        !self.project_id.starts_with(UNPROVEN_PROJECT)
    }

    /// Whether this connection may record `vote`: a connection whose project is known
    /// records only votes for that project (its owner's signature cannot make it write
    /// another project's history); an unproven one records any into its own history.
    pub fn accepts_vote(&self, vote: &Vote) -> bool {
        !self.project_known() || vote.project.id == self.project_id
    }
}

/// What [`Db::connections_fingerprint`] reads: equal fingerprints mean, short of two changes
/// in the same millisecond that cancel out, an unchanged table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    count: i64,
    newest: i64,
    sum: i64,
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

/// A Discord server project is linked to its own guild at once.
const SELF_LINK: &str = "INSERT INTO links (guild_id, connection_id, linked_by, linked_at) \
    VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";

const UPSERT: &str = "INSERT INTO connections (connection_id, webhook_secret, project_id, \
    project_type, project_platform, project_platform_id, owner_topgg_id, owner_discord_id, \
    owner_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
    ON CONFLICT (connection_id) DO UPDATE SET webhook_secret = excluded.webhook_secret, \
    project_id = excluded.project_id, project_type = excluded.project_type, \
    project_platform = excluded.project_platform, \
    project_platform_id = excluded.project_platform_id, \
    owner_topgg_id = excluded.owner_topgg_id, owner_discord_id = excluded.owner_discord_id, \
    owner_name = excluded.owner_name, updated_at = excluded.updated_at";

impl WriteTx {
    /// The project (the history key) of `connection`, if it is stored.
    pub(super) async fn project_of(
        &mut self,
        connection: &ConnectionId,
    ) -> anyhow::Result<Option<String>> {
        let sql = Sql::new("SELECT project_id FROM connections WHERE connection_id = $1");
        let row: Option<(String,)> = self.fetch_optional(sql.bind(connection)).await?;
        Ok(row.map(|(project,)| project))
    }
}

impl Db {
    /// Stores a connection, or updates it (secret, project, owner) when it exists. A Discord
    /// server project is linked to its own guild at once. The project's vote history is held
    /// again (no longer due for deletion); a project it replaced lets its history go.
    pub async fn upsert_connection(
        &self,
        c: &IntegrationCreate,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let mut tx = self.begin_write().await?;
        let before = tx.project_of(&c.connection_id).await?;
        let upsert = Sql::new(UPSERT)
            .bind(&c.connection_id)
            .bind(&c.webhook_secret)
            .bind(&c.project.id)
            .bind(c.project.kind.as_str())
            .bind(&c.project.platform)
            .bind(&c.project.platform_id)
            .bind(&c.user.id)
            .bind(&c.user.platform_id)
            .bind(&c.user.name)
            .bind(now);
        tx.execute(upsert).await?;
        tx.hold_history(&c.project.id, now).await?;
        if let Some(before) = before.filter(|p| *p != c.project.id) {
            tx.detach_history_if_unheld(&before, now).await?;
        }
        if let Some(guild) = c.project.guild_id() {
            let link = Sql::new(SELF_LINK)
                .bind(&guild)
                .bind(&c.connection_id)
                .bind(&c.user.platform_id)
                .bind(now);
            tx.execute(link).await?;
        }
        tx.commit().await
    }

    /// Removes a connection with its links, settings, grants and raw votes, and cancels its
    /// pending announcements and grants. Scheduled role removals stay queued. Its vote
    /// history stays; when no other connection holds it, it is marked detached at `now`
    /// (deleted after [`super::HISTORY_GRACE`]). Returns whether it existed.
    pub async fn delete_connection(
        &self,
        connection: &ConnectionId,
        now: Timestamp,
    ) -> anyhow::Result<bool> {
        let mut tx = self.begin_write().await?;
        let history = tx.project_of(connection).await?;
        let cancel = Sql::new(
            "DELETE FROM jobs WHERE connection_id = $1 AND status = 'queued' \
             AND kind <> 'remove_role'",
        );
        tx.execute(cancel.bind(connection)).await?;
        let delete = Sql::new("DELETE FROM connections WHERE connection_id = $1");
        let deleted = tx.execute(delete.bind(connection)).await?;
        if let Some(history) = history {
            tx.detach_history_if_unheld(&history, now).await?;
        }
        tx.commit().await?;
        Ok(deleted > 0)
    }

    /// Every stored connection.
    pub async fn all_connections(&self) -> anyhow::Result<Vec<Connection>> {
        self.fetch_all(Sql::new(SELECT)).await
    }

    /// A cheap summary of the table that changes whenever a connection is created, deleted
    /// or stored again (each sets `updated_at`): one scan of one column, no rows sent.
    pub async fn connections_fingerprint(&self) -> anyhow::Result<Fingerprint> {
        // The sum is taken modulo a prime so it cannot overflow on either backend.
        let sql = Sql::new(
            "SELECT COUNT(*), CAST(COALESCE(MAX(updated_at), 0) AS BIGINT), \
             CAST(COALESCE(SUM(updated_at % 1000000007), 0) AS BIGINT) FROM connections",
        );
        let (count, newest, sum): (i64, i64, i64) = self.fetch_one(sql).await?;
        Ok(Fingerprint { count, newest, sum })
    }

    /// The connection with this id, if stored.
    pub async fn connection(
        &self,
        connection: &ConnectionId,
    ) -> anyhow::Result<Option<Connection>> {
        let sql = format!("{SELECT} WHERE connection_id = $1");
        self.fetch_optional(Sql::built(sql).bind(connection)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_owner_or_linker_stored_before_ids_were_parsed_reads_as_unknown() {
        let (db, _dir) = crate::storage::scratch_sqlite().await;
        let old = Sql::new(
            "INSERT INTO connections (connection_id, webhook_secret, project_id, project_type, \
             project_platform, project_platform_id, owner_topgg_id, owner_discord_id, owner_name, \
             created_at, updated_at) VALUES ('c1', 's', 'p', 'server', 'discord', '7', 't', \
             'discord-user-id', 'Ann', 0, 0)",
        );
        db.execute(old).await.unwrap();
        let link = "INSERT INTO links (guild_id, connection_id, linked_by, linked_at) \
                    VALUES ('7', 'c1', '../x', 0)";
        db.execute(Sql::new(link)).await.unwrap();

        let id = ConnectionId::parse("c1").unwrap();
        let read = db.connection(&id).await.unwrap().expect("still readable");
        assert_eq!(
            (read.owner_discord_id, read.owner_name.as_str()),
            (None, "Ann")
        );
        let links = db
            .links_in_guild(&crate::domain::ids::GuildId::from(7))
            .await
            .unwrap();
        assert_eq!((links.len(), links[0].linked_by.clone()), (1, None));
        db.close().await;
    }
}
