//! What the bot learnt about guilds and projects from Discord: guild names and presence
//! (`guilds`), bot usernames, display overrides, paused announcements, disabled roles.

use super::Db;
use super::guild_columns::{CHANNEL_PAUSED, LinkColumn, ROLE_DISABLED};
use super::sql::Sql;
use crate::domain::ids::{ConnectionId, GuildId};
use crate::domain::keys::{GuildChannel, GuildRole, LinkRef};
use crate::domain::message::Style;
use crate::domain::time::Timestamp;

/// A bot project whose name is due for a refresh.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NameToRefresh {
    pub connection_id: ConnectionId,
    pub project_platform_id: String,
}

impl Db {
    /// GUILD_CREATE: the bot is (again) in this guild, named `name`.
    pub async fn guild_present(
        &self,
        guild: &GuildId,
        name: &str,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let sql = Sql::new(
            "INSERT INTO guilds (guild_id, name, gone_at, updated_at) VALUES ($1, $2, NULL, $3) \
             ON CONFLICT (guild_id) DO UPDATE SET name = excluded.name, gone_at = NULL, \
             updated_at = excluded.updated_at",
        );
        self.execute(sql.bind(guild).bind(name).bind(now)).await?;
        Ok(())
    }

    /// GUILD_DELETE without `unavailable`: the bot was removed. Its queued work for the guild
    /// is dropped (scheduled role removals cannot run either: the bot has no access); links
    /// and settings stay for when it is back.
    pub async fn guild_gone(&self, guild: &GuildId, now: Timestamp) -> anyhow::Result<u64> {
        let mut tx = self.begin_write().await?;
        let gone = Sql::new(
            "INSERT INTO guilds (guild_id, name, gone_at, updated_at) VALUES ($1, '', $2, $2) \
             ON CONFLICT (guild_id) DO UPDATE SET gone_at = excluded.gone_at, \
             updated_at = excluded.updated_at",
        );
        tx.execute(gone.bind(guild).bind(now)).await?;
        let drop = Sql::new("DELETE FROM jobs WHERE guild_id = $1 AND status = 'queued'");
        let dropped = tx.execute(drop.bind(guild)).await?;
        tx.commit().await?;
        Ok(dropped)
    }

    /// The guilds the bot is taken to be in: those it saw (not removed since) and those that
    /// link a project.
    pub async fn present_guilds(&self) -> anyhow::Result<Vec<GuildId>> {
        let sql = Sql::new(
            "SELECT guild_id FROM guilds WHERE gone_at IS NULL UNION \
             SELECT guild_id FROM links WHERE guild_id NOT IN \
             (SELECT guild_id FROM guilds WHERE gone_at IS NOT NULL)",
        );
        let rows: Vec<(GuildId,)> = self.fetch_all(sql).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Whether the bot was removed from this guild (and has not come back).
    pub async fn is_guild_gone(&self, guild: &GuildId) -> anyhow::Result<bool> {
        let sql = Sql::new("SELECT gone_at FROM guilds WHERE guild_id = $1");
        let row: Option<(Option<i64>,)> = self.fetch_optional(sql.bind(guild)).await?;
        Ok(row.and_then(|r| r.0).is_some())
    }

    /// Stores a project's name as read from Discord (a bot's username).
    pub async fn set_project_name(
        &self,
        connection: &ConnectionId,
        name: Option<&str>,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let sql = Sql::new(
            "UPDATE connections SET project_name = COALESCE($2, project_name), \
             project_name_at = $3 WHERE connection_id = $1",
        );
        self.execute(sql.bind(connection).bind(name).bind(now))
            .await?;
        Ok(())
    }

    /// Linked bot projects whose name was not read since `before`.
    pub async fn names_to_refresh(&self, before: Timestamp) -> anyhow::Result<Vec<NameToRefresh>> {
        let sql = Sql::new(
            "SELECT c.connection_id, c.project_platform_id FROM connections c \
             WHERE c.project_type = 'bot' \
             AND (c.project_name_at IS NULL OR c.project_name_at < $1) \
             AND EXISTS (SELECT 1 FROM links l WHERE l.connection_id = c.connection_id) \
             ORDER BY c.connection_id LIMIT 100",
        );
        self.fetch_all(sql.bind(before)).await
    }

    /// `/topgg display`: this guild's name and vote link for the project (`None`: default).
    pub async fn set_display(
        &self,
        link: LinkRef<'_>,
        name: Option<&str>,
        vote_url: Option<&str>,
    ) -> anyhow::Result<bool> {
        self.update_link(LinkColumn::DisplayName, link, name)
            .await?;
        self.update_link(LinkColumn::DisplayVoteUrl, link, vote_url)
            .await
    }

    /// `/topgg message style:`.
    pub async fn set_style(&self, link: LinkRef<'_>, style: Style) -> anyhow::Result<bool> {
        let stored = (style != Style::Embed).then_some(style.as_str());
        self.update_link(LinkColumn::Style, link, stored).await
    }

    /// Pauses (with the reason) or resumes (`None`) the announcements of every link of this
    /// guild that posts in `channel`. Returns how many links changed.
    pub async fn pause_channel(
        &self,
        channel: GuildChannel<'_>,
        reason: Option<&str>,
    ) -> anyhow::Result<u64> {
        self.update_in_guild(&CHANNEL_PAUSED, channel, reason).await
    }

    /// Whether announcements of this guild's links posting in `channel` are paused.
    pub async fn is_channel_paused(&self, channel: GuildChannel<'_>) -> anyhow::Result<bool> {
        let sql = Sql::new(
            "SELECT COUNT(*) FROM links WHERE guild_id = $1 AND channel_id = $2 \
             AND paused_reason IS NOT NULL",
        );
        let (paused,): (i64,) = self.fetch_one(sql.bind_key(channel)).await?;
        Ok(paused > 0)
    }

    /// A deleted role: no longer granted by any link of the guild, with the reason kept for
    /// `/topgg status`.
    pub async fn disable_role(&self, role: GuildRole<'_>, reason: &str) -> anyhow::Result<u64> {
        self.update_in_guild(&ROLE_DISABLED, role, Some(reason))
            .await
    }
}
