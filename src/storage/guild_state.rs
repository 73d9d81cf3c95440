//! What the bot learnt about guilds and projects from Discord: guild names and presence
//! (`guilds`), bot usernames, display overrides, paused announcements, disabled roles.

use super::{Db, with_pool};
use crate::domain::message::Style;

/// A bot project whose name is due for a refresh.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NameToRefresh {
    pub connection_id: String,
    pub project_platform_id: String,
}

impl Db {
    /// GUILD_CREATE: the bot is (again) in this guild, named `name`.
    pub async fn guild_present(&self, guild_id: &str, name: &str, now: i64) -> anyhow::Result<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO guilds (guild_id, name, gone_at, updated_at) VALUES ($1, $2, NULL, $3) \
                 ON CONFLICT (guild_id) DO UPDATE SET name = excluded.name, gone_at = NULL, \
                 updated_at = excluded.updated_at",
            )
            .bind(guild_id).bind(name).bind(now)
            .execute(pool).await?;
        });
        Ok(())
    }

    /// GUILD_DELETE without `unavailable`: the bot was removed. Its queued work for the guild
    /// is dropped (scheduled role removals cannot run either: the bot has no access); links
    /// and settings stay for when it is back.
    pub async fn guild_gone(&self, guild_id: &str, now: i64) -> anyhow::Result<u64> {
        let dropped = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO guilds (guild_id, name, gone_at, updated_at) VALUES ($1, '', $2, $2) \
                 ON CONFLICT (guild_id) DO UPDATE SET gone_at = excluded.gone_at, \
                 updated_at = excluded.updated_at",
            )
            .bind(guild_id).bind(now)
            .execute(&mut *tx).await?;
            let dropped = sqlx::query("DELETE FROM jobs WHERE guild_id = $1 AND status = 'queued'")
                .bind(guild_id)
                .execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            dropped
        });
        Ok(dropped)
    }

    /// Whether the bot was removed from this guild (and has not come back).
    pub async fn is_guild_gone(&self, guild_id: &str) -> anyhow::Result<bool> {
        let row: Option<(Option<i64>,)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT gone_at FROM guilds WHERE guild_id = $1")
                .bind(guild_id).fetch_optional(pool).await?
        });
        Ok(row.and_then(|r| r.0).is_some())
    }

    /// Stores a project's name as read from Discord (a bot's username).
    pub async fn set_project_name(
        &self,
        connection_id: &str,
        name: Option<&str>,
        now: i64,
    ) -> anyhow::Result<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "UPDATE connections SET project_name = COALESCE($2, project_name), \
                 project_name_at = $3 WHERE connection_id = $1",
            )
            .bind(connection_id).bind(name).bind(now)
            .execute(pool).await?;
        });
        Ok(())
    }

    /// Linked bot projects whose name was not read since `before` (unix ms).
    pub async fn names_to_refresh(&self, before: i64) -> anyhow::Result<Vec<NameToRefresh>> {
        let rows = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT c.connection_id, c.project_platform_id FROM connections c \
                 WHERE c.project_type = 'bot' AND (c.project_name_at IS NULL OR c.project_name_at < $1) \
                 AND EXISTS (SELECT 1 FROM links l WHERE l.connection_id = c.connection_id) \
                 ORDER BY c.connection_id LIMIT 100",
            )
            .bind(before).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// `/topgg display`: this guild's name and vote link for the project (`None`: default).
    pub async fn set_display(
        &self,
        guild_id: &str,
        connection_id: &str,
        name: Option<&str>,
        vote_url: Option<&str>,
    ) -> anyhow::Result<bool> {
        self.update_link("display_name", guild_id, connection_id, name)
            .await?;
        self.update_link("display_vote_url", guild_id, connection_id, vote_url)
            .await
    }

    /// `/topgg message style:`.
    pub async fn set_style(
        &self,
        guild_id: &str,
        connection_id: &str,
        style: Style,
    ) -> anyhow::Result<bool> {
        let stored = (style != Style::Embed).then_some(style.as_str());
        self.update_link("style", guild_id, connection_id, stored)
            .await
    }

    /// Pauses (with the reason) or resumes (`None`) the announcements of every link of this
    /// guild that posts in `channel_id`. Returns how many links changed.
    pub async fn pause_channel(
        &self,
        guild_id: &str,
        channel_id: &str,
        reason: Option<&str>,
    ) -> anyhow::Result<u64> {
        let n = with_pool!(self, pool => {
            sqlx::query("UPDATE links SET paused_reason = $3 WHERE guild_id = $1 AND channel_id = $2")
                .bind(guild_id).bind(channel_id).bind(reason)
                .execute(pool).await?.rows_affected()
        });
        Ok(n)
    }

    /// Whether announcements of this guild's links posting in `channel_id` are paused.
    pub async fn is_channel_paused(
        &self,
        guild_id: &str,
        channel_id: &str,
    ) -> anyhow::Result<bool> {
        let (paused,): (i64,) = with_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM links WHERE guild_id = $1 AND channel_id = $2 \
                            AND paused_reason IS NOT NULL")
                .bind(guild_id).bind(channel_id).fetch_one(pool).await?
        });
        Ok(paused > 0)
    }

    /// A deleted role: no longer granted by any link of the guild, with the reason kept for
    /// `/topgg status`.
    pub async fn disable_role(
        &self,
        guild_id: &str,
        role_id: &str,
        reason: &str,
    ) -> anyhow::Result<u64> {
        let n = with_pool!(self, pool => {
            sqlx::query("UPDATE reward_roles SET disabled_reason = $3 WHERE guild_id = $1 AND role_id = $2")
                .bind(guild_id).bind(role_id).bind(reason)
                .execute(pool).await?.rows_affected()
        });
        Ok(n)
    }
}
