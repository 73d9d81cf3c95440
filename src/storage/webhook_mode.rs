//! Webhook mode: connections made with `/topgg webhook` in a guild (not by Top.gg's
//! integration), their secret set later, and when each connection's first signed event came.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use super::Db;
use super::links::insert_link;
use super::sql::Sql;
use crate::domain::ids::{ConnectionId, GuildId, UserId};
use crate::domain::keys::LinkRef;
use crate::domain::time::Timestamp;

/// A connection made with `/topgg webhook`, as its guild sees it. The secret is not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConnection {
    pub connection_id: ConnectionId,
    /// Whether a secret was saved (until then nothing verifies against it).
    pub has_secret: bool,
    pub first_event_at: Option<Timestamp>,
    /// The project's name, when known (a bot's username).
    pub project_name: Option<String>,
}

/// A connection `/topgg webhook` is about to make.
#[derive(Debug, Clone)]
pub struct NewWebhookConnection<'a> {
    pub connection_id: ConnectionId,
    pub guild_id: &'a GuildId,
    /// `bot`, `server` or `game`.
    pub project_type: &'a str,
    /// The bot's, server's or game's id.
    pub project_platform_id: &'a str,
    pub owner_id: &'a UserId,
    pub owner_name: &'a str,
}

const STATE: &str = "SELECT connection_id, CASE WHEN webhook_secret = '' THEN 0 ELSE 1 END, \
    first_event_at, project_name FROM connections";

type StateRow = (ConnectionId, i32, Option<i64>, Option<String>);

fn webhook_connection((id, has_secret, first, name): StateRow) -> WebhookConnection {
    WebhookConnection {
        connection_id: id,
        has_secret: has_secret != 0,
        first_event_at: first.map(Timestamp::from_millis),
        project_name: name,
    }
}

impl Db {
    /// The connection `/topgg webhook` made in `guild` for this project, if any.
    pub async fn webhook_connection(
        &self,
        guild: &GuildId,
        project_type: &str,
        project_platform_id: &str,
    ) -> anyhow::Result<Option<WebhookConnection>> {
        let sql = format!(
            "{STATE} WHERE made_in_guild = $1 AND project_type = $2 AND project_platform_id = $3"
        );
        let sql = Sql::built(sql)
            .bind(guild)
            .bind(project_type)
            .bind(project_platform_id);
        let row: Option<StateRow> = self.fetch_optional(sql).await?;
        Ok(row.map(webhook_connection))
    }

    /// How many connections `/topgg webhook` made in `guild`.
    pub async fn webhook_connection_count(&self, guild: &GuildId) -> anyhow::Result<i64> {
        let sql = Sql::new("SELECT COUNT(*) FROM connections WHERE made_in_guild = $1");
        let (count,): (i64,) = self.fetch_one(sql.bind(guild)).await?;
        Ok(count)
    }

    /// Every connection made with `/topgg webhook` in `guild`.
    pub async fn webhook_connections_in(
        &self,
        guild: &GuildId,
    ) -> anyhow::Result<Vec<WebhookConnection>> {
        let sql = Sql::built(format!("{STATE} WHERE made_in_guild = $1")).bind(guild);
        let rows: Vec<StateRow> = self.fetch_all(sql).await?;
        Ok(rows.into_iter().map(webhook_connection).collect())
    }

    /// Stores a connection with no secret (it verifies nothing yet) and links it to its guild.
    /// Its history is its own until an API token proves the project (see the product spec).
    pub async fn create_webhook_connection(
        &self,
        new: &NewWebhookConnection<'_>,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let platform = if new.project_type == "game" {
            "roblox"
        } else {
            "discord"
        };
        let own_history = format!("webhook:{}", new.connection_id);
        let insert = Sql::new(
            "INSERT INTO connections (connection_id, webhook_secret, project_id, project_type, \
             project_platform, project_platform_id, owner_topgg_id, owner_discord_id, \
             owner_name, created_at, updated_at, made_in_guild) \
             VALUES ($1, '', $2, $3, $4, $5, '', $6, $7, $8, $8, $9)",
        )
        .bind(&new.connection_id)
        .bind(&own_history)
        .bind(new.project_type)
        .bind(platform)
        .bind(new.project_platform_id)
        .bind(new.owner_id)
        .bind(new.owner_name)
        .bind(now)
        .bind(new.guild_id);
        let link = LinkRef::new(new.guild_id, &new.connection_id);
        let link = insert_link(link, new.owner_id, now);
        let mut tx = self.begin_write().await?;
        tx.execute(insert).await?;
        tx.execute(link).await?;
        tx.hold_history(&own_history, now).await?;
        tx.commit().await
    }

    /// Saves the webhook secret of a connection made in `guild`; whether it was found there.
    pub async fn set_webhook_secret(
        &self,
        guild: &GuildId,
        connection: &ConnectionId,
        secret: &str,
        now: Timestamp,
    ) -> anyhow::Result<bool> {
        let sql = Sql::new(
            "UPDATE connections SET webhook_secret = $1, updated_at = $2 \
             WHERE connection_id = $3 AND made_in_guild = $4",
        )
        .bind(secret)
        .bind(now)
        .bind(connection)
        .bind(guild);
        Ok(self.execute(sql).await? > 0)
    }

    /// Records that a signed event of `connection` arrived at `now`, unless one came before.
    /// `updated_at` stays: no instance needs to reload its connections for this.
    pub async fn note_first_event(
        &self,
        connection: &ConnectionId,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let sql = Sql::new(
            "UPDATE connections SET first_event_at = $1 \
             WHERE connection_id = $2 AND first_event_at IS NULL",
        );
        self.execute(sql.bind(now).bind(connection)).await?;
        Ok(())
    }
}

/// Which connections this process already recorded a signed event for, so recording the
/// first one costs one write per connection and process, not one per vote.
#[derive(Clone, Default)]
pub struct FirstEvents {
    noted: Arc<Mutex<HashSet<ConnectionId>>>,
}

impl FirstEvents {
    /// Records (in the background) that `connection` signed an event, if not done yet; a
    /// failed write is tried again with the next event.
    pub fn note(&self, db: &Db, connection: &ConnectionId, now: Timestamp) {
        if !self.lock().insert(connection.clone()) {
            return;
        }
        let (db, connection, this) = (db.clone(), connection.clone(), self.clone());
        tokio::spawn(async move {
            if let Err(error) = db.note_first_event(&connection, now).await {
                tracing::debug!(error = format!("{error:#}"), %connection, "first event not recorded");
                this.lock().remove(&connection);
            }
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<ConnectionId>> {
        self.noted
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
