//! `links` and `reward_roles`: which guilds linked a connection, and their settings.

use serde::Deserialize;
use sqlx::FromRow;

use super::Db;
use super::guild_columns::LinkColumn;
use super::sql::{Sql, WriteTx};
use crate::domain::events::ProjectKind;
use crate::domain::ids::{ChannelId, ConnectionId, GuildId, RoleId, UserId};
use crate::domain::keys::LinkRef;
use crate::domain::time::Timestamp;

use crate::domain::message::Style;
use crate::domain::rewards::{RewardDuration, RewardRole};
use crate::domain::template::vote_url;
use crate::domain::work::LinkSettings;

/// The live links of a connection (not in a guild the bot was removed from) joined with
/// their active reward roles (one row per role, or one row with no role).
pub(super) const LINK_SETTINGS: &str = "SELECT l.guild_id, l.channel_id, l.template, \
    l.style, l.paused_reason, l.display_vote_url, c.project_type, c.project_platform_id, \
    COALESCE(l.display_name, pg.name, c.project_name) AS project_name, \
    r.role_id, r.votes_required, r.hours FROM links l \
    JOIN connections c ON c.connection_id = l.connection_id \
    LEFT JOIN guilds pg ON pg.guild_id = c.project_platform_id AND c.project_type = 'server' \
    LEFT JOIN guilds g ON g.guild_id = l.guild_id \
    LEFT JOIN reward_roles r ON r.guild_id = l.guild_id AND r.connection_id = l.connection_id \
    AND r.disabled_reason IS NULL \
    WHERE l.connection_id = $1 AND g.gone_at IS NULL \
    ORDER BY l.guild_id, r.votes_required, r.role_id";

/// A reward role as stored.
pub(super) fn reward_role(role_id: RoleId, votes_required: i64, hours: Option<i64>) -> RewardRole {
    RewardRole {
        role_id,
        votes_required,
        duration: reward_duration(hours),
    }
}

/// The `hours` column of `reward_roles` as a duration: NULL until the vote expires, 0
/// permanent, N hours (a value out of range reads as permanent). Its one reader and, with
/// [`hours_column`], its one writer.
fn reward_duration(hours: Option<i64>) -> RewardDuration {
    match hours.map(u32::try_from) {
        None => RewardDuration::UntilVoteExpires,
        Some(Ok(0) | Err(_)) => RewardDuration::Permanent,
        Some(Ok(hours)) => RewardDuration::ForHours(hours),
    }
}

/// The `hours` column's value for `duration` (see [`reward_duration`]).
fn hours_column(duration: RewardDuration) -> Option<i64> {
    match duration {
        RewardDuration::UntilVoteExpires => None,
        RewardDuration::Permanent => Some(0),
        RewardDuration::ForHours(hours) => Some(i64::from(hours)),
    }
}

/// A row of [`LINK_SETTINGS`]: read as a row, or as a JSON array (SQLite's batch read).
#[derive(FromRow, Deserialize)]
pub(super) struct LinkRoleRow {
    guild_id: GuildId,
    channel_id: Option<ChannelId>,
    template: Option<String>,
    style: Option<Style>,
    paused_reason: Option<String>,
    display_vote_url: Option<String>,
    #[sqlx(try_from = "String")]
    project_type: ProjectKind,
    project_platform_id: String,
    project_name: Option<String>,
    role_id: Option<RoleId>,
    votes_required: Option<i64>,
    hours: Option<i64>,
}

impl LinkRoleRow {
    fn settings(&self) -> LinkSettings {
        LinkSettings {
            guild_id: self.guild_id.clone(),
            channel_id: self.channel_id.clone(),
            template: self.template.clone(),
            roles: Vec::new(),
            project_name: self.project_name.clone(),
            vote_url: self
                .display_vote_url
                .clone()
                .or_else(|| vote_url(&self.project_type, &self.project_platform_id)),
            style: self.style.unwrap_or_default(),
            paused: self.paused_reason.is_some(),
        }
    }
}

/// Folds the joined rows (ordered by guild) into one [`LinkSettings`] per guild.
pub(super) fn group_link_rows(rows: Vec<LinkRoleRow>) -> Vec<LinkSettings> {
    let mut links: Vec<LinkSettings> = Vec::new();
    for row in rows {
        if links.last().is_none_or(|l| l.guild_id != row.guild_id) {
            links.push(row.settings());
        }
        if let (Some(role_id), Some(votes_required)) = (row.role_id, row.votes_required) {
            let link = links.last_mut().expect("pushed above");
            link.roles
                .push(reward_role(role_id, votes_required, row.hours));
        }
    }
    links
}

/// Links a connection to a guild, by `by` at `now` (nothing when linked already).
pub(super) fn insert_link<'a>(link: LinkRef<'a>, by: &'a UserId, now: Timestamp) -> Sql<'a> {
    let sql = Sql::new(
        "INSERT INTO links (guild_id, connection_id, linked_by, linked_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    );
    sql.bind_key(link).bind(by).bind(now)
}

impl WriteTx {
    /// The live links of `connection` with their settings and active roles.
    pub(super) async fn link_settings(
        &mut self,
        connection: &ConnectionId,
    ) -> anyhow::Result<Vec<LinkSettings>> {
        let rows = self
            .fetch_all(Sql::new(LINK_SETTINGS).bind(connection))
            .await?;
        Ok(group_link_rows(rows))
    }
}

impl Db {
    /// Links a connection to a guild (idempotent).
    pub async fn link(&self, link: LinkRef<'_>, by: &UserId, now: Timestamp) -> anyhow::Result<()> {
        self.execute(insert_link(link, by, now)).await?;
        Ok(())
    }

    /// Removes a link with its settings and roles; returns whether it existed.
    pub async fn unlink(&self, link: LinkRef<'_>) -> anyhow::Result<bool> {
        let sql = Sql::new("DELETE FROM links WHERE guild_id = $1 AND connection_id = $2");
        Ok(self.execute(sql.bind_key(link)).await? > 0)
    }

    /// Sets (or with `None` clears) the announcement channel of a link, and resumes its
    /// announcements if they were paused.
    pub async fn set_channel(
        &self,
        link: LinkRef<'_>,
        channel: Option<&ChannelId>,
    ) -> anyhow::Result<bool> {
        self.update_link(LinkColumn::PausedReason, link, None)
            .await?;
        let channel = channel.map(ChannelId::to_string);
        self.update_link(LinkColumn::ChannelId, link, channel.as_deref())
            .await
    }

    /// Sets (or with `None` restores the default) announcement template of a link.
    pub async fn set_template(
        &self,
        link: LinkRef<'_>,
        template: Option<&str>,
    ) -> anyhow::Result<bool> {
        self.update_link(LinkColumn::Template, link, template).await
    }

    /// Sets (or with `None` clears) one setting of a link; returns whether the link exists.
    pub(super) async fn update_link(
        &self,
        column: LinkColumn,
        link: LinkRef<'_>,
        value: Option<&str>,
    ) -> anyhow::Result<bool> {
        Ok(self.update_in_guild(&column.column(), link, value).await? > 0)
    }

    /// Adds or replaces a reward role of a link.
    pub async fn add_reward_role(
        &self,
        link: LinkRef<'_>,
        role: &RewardRole,
    ) -> anyhow::Result<()> {
        let sql = Sql::new(
            "INSERT INTO reward_roles (guild_id, connection_id, role_id, votes_required, hours) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (guild_id, connection_id, role_id) \
             DO UPDATE SET votes_required = excluded.votes_required, hours = excluded.hours, \
             disabled_reason = NULL",
        )
        .bind_key(link)
        .bind(&role.role_id)
        .bind(role.votes_required)
        .bind(hours_column(role.duration));
        self.execute(sql).await?;
        Ok(())
    }

    /// Removes a reward role of a link; returns whether it existed.
    pub async fn remove_reward_role(
        &self,
        link: LinkRef<'_>,
        role: &RoleId,
    ) -> anyhow::Result<bool> {
        let sql = Sql::new(
            "DELETE FROM reward_roles WHERE guild_id = $1 AND connection_id = $2 AND role_id = $3",
        );
        Ok(self.execute(sql.bind_key(link).bind(role)).await? > 0)
    }

    /// The guilds linked to a connection, with their settings and roles.
    pub async fn links_of(&self, connection: &ConnectionId) -> anyhow::Result<Vec<LinkSettings>> {
        let rows = self
            .fetch_all(Sql::new(LINK_SETTINGS).bind(connection))
            .await?;
        Ok(group_link_rows(rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hours_column_maps_null_zero_and_n_to_the_reward_duration_and_back() {
        let cases = [
            (None, RewardDuration::UntilVoteExpires),
            (Some(0), RewardDuration::Permanent),
            (Some(24), RewardDuration::ForHours(24)),
        ];
        for (column, duration) in cases {
            assert_eq!(reward_duration(column), duration);
            assert_eq!(hours_column(duration), column);
        }
    }
}
