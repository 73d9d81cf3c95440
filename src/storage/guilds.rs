//! Guild-facing reads: a guild's links, their health, voters' figures and leaderboards.

use sqlx::FromRow;

use super::Db;
use super::links::reward_role;
use super::sql::Sql;
use crate::domain::events::ProjectKind;
use crate::domain::ids::{
    ChannelId, ConnectionId, GuildId, Lenient, RoleId, User, UserId, VoterId,
};
use crate::domain::keys::LinkRef;
use crate::domain::message::Style;
use crate::domain::rewards::RewardRole;
use crate::domain::template::{project_label, vote_url};
use crate::domain::time::Timestamp;

/// A (guild, connection) link with its connection's facts and the link's settings.
#[derive(Debug, Clone, FromRow)]
pub struct GuildLink {
    pub connection_id: ConnectionId,
    pub project_id: String,
    #[sqlx(try_from = "String")]
    pub project_type: ProjectKind,
    pub project_platform_id: String,
    /// How this guild names the project: `/topgg display`, else the guild's name (server
    /// projects) or the bot's username (bot projects); `None` when no name is known.
    pub project_name: Option<String>,
    pub display_name: Option<String>,
    pub display_vote_url: Option<String>,
    /// `None` (stored `NULL`): the default style.
    pub style: Option<Style>,
    /// Why announcements are paused (channel deleted or access lost).
    pub paused_reason: Option<String>,
    /// `None` when an older version stored an id that is not Discord's (also `linked_by`).
    #[sqlx(try_from = "Lenient<User>")]
    pub owner_discord_id: Option<UserId>,
    pub owner_name: String,
    pub connected_at: Timestamp,
    #[sqlx(try_from = "Lenient<User>")]
    pub linked_by: Option<UserId>,
    pub linked_at: Timestamp,
    pub channel_id: Option<ChannelId>,
    pub template: Option<String>,
}

impl GuildLink {
    /// How the project is shown: its name, or its type and id when no name can be had.
    pub fn label(&self) -> String {
        let name = self.project_name.as_deref();
        project_label(name, &self.project_type, &self.project_platform_id)
    }

    /// The vote page this guild shows: `/topgg display`, else the known page of the type.
    pub fn vote_url(&self) -> Option<String> {
        self.display_vote_url
            .clone()
            .or_else(|| vote_url(&self.project_type, &self.project_platform_id))
    }

    pub fn style(&self) -> Style {
        self.style.unwrap_or_default()
    }
}

/// A reward role as `/topgg status` and `/topgg roles list` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSetting {
    pub role: RewardRole,
    /// Why it is no longer granted (the role was deleted).
    pub disabled_reason: Option<String>,
    /// Why Discord refused it to the bot, while its grants wait (see `Db::pause_role`).
    pub paused_reason: Option<String>,
}

/// A connection its owner may still link to a guild.
#[derive(Debug, Clone, FromRow)]
pub struct OwnedConnection {
    pub connection_id: ConnectionId,
    #[sqlx(try_from = "String")]
    pub project_type: ProjectKind,
    pub project_platform_id: String,
    pub project_name: Option<String>,
}

impl OwnedConnection {
    /// How the project is shown, like [`GuildLink::label`].
    pub fn label(&self) -> String {
        let name = self.project_name.as_deref();
        project_label(name, &self.project_type, &self.project_platform_id)
    }
}

/// Delivery and vote figures of one link, for `/topgg status`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkHealth {
    pub last_vote_at: Option<Timestamp>,
    pub votes_24h: i64,
    pub queued: i64,
    pub failed: i64,
    pub last_error: Option<String>,
}

/// A voter's figures for one project.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct VoterFigures {
    pub total_votes: i64,
    pub streak: i64,
    pub last_vote_at: Timestamp,
    pub last_expires_at: Timestamp,
}

/// Reads [`VoterFigures`] from `voter_totals`; the caller adds the `WHERE`.
pub(super) const SELECT_FIGURES: &str =
    "SELECT total_votes, streak, last_vote_at, last_expires_at FROM voter_totals";

/// A leaderboard line.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct LeaderboardRow {
    pub voter_id: VoterId,
    pub voter_name: String,
    pub votes: i64,
}

/// Links as a guild shows them (its names and vote page); callers add WHERE and ORDER BY.
const SHOWN_LINKS: &str = "SELECT c.connection_id, c.project_id, c.project_type, \
    c.project_platform_id, COALESCE(l.display_name, pg.name, c.project_name) AS project_name, \
    l.display_name, l.display_vote_url, l.style, l.paused_reason, \
    c.owner_discord_id, c.owner_name, \
    c.created_at AS connected_at, l.linked_by, l.linked_at, l.channel_id, l.template \
    FROM links l JOIN connections c ON c.connection_id = l.connection_id \
    LEFT JOIN guilds pg ON pg.guild_id = c.project_platform_id AND c.project_type = 'server'";

impl Db {
    /// Every link of a guild, oldest first.
    pub async fn links_in_guild(&self, guild: &GuildId) -> anyhow::Result<Vec<GuildLink>> {
        let sql =
            format!("{SHOWN_LINKS} WHERE l.guild_id = $1 ORDER BY l.linked_at, c.connection_id");
        self.fetch_all(Sql::built(sql).bind(guild)).await
    }

    /// The oldest link of a connection, as its guild shows the project (for messages that
    /// belong to no guild, such as reminder DMs).
    pub async fn first_link_of(
        &self,
        connection: &ConnectionId,
    ) -> anyhow::Result<Option<GuildLink>> {
        let sql = format!(
            "{SHOWN_LINKS} WHERE l.connection_id = $1 ORDER BY l.linked_at, l.guild_id LIMIT 1"
        );
        self.fetch_optional(Sql::built(sql).bind(connection)).await
    }

    /// The active reward roles of one link, lowest threshold first.
    pub async fn reward_roles(&self, link: LinkRef<'_>) -> anyhow::Result<Vec<RewardRole>> {
        let all = self.role_settings(link).await?;
        Ok(all
            .into_iter()
            .filter(|r| r.disabled_reason.is_none())
            .map(|r| r.role)
            .collect())
    }

    /// Every reward role of one link, disabled ones with their reason.
    pub async fn role_settings(&self, link: LinkRef<'_>) -> anyhow::Result<Vec<RoleSetting>> {
        let sql = Sql::new(
            "SELECT role_id, votes_required, hours, disabled_reason, paused_reason \
             FROM reward_roles \
             WHERE guild_id = $1 AND connection_id = $2 ORDER BY votes_required, role_id",
        );
        let rows: Vec<RoleRow> = self.fetch_all(sql.bind_key(link)).await?;
        Ok(rows
            .into_iter()
            .map(|row| RoleSetting {
                role: reward_role(row.role_id, row.votes_required, row.hours),
                disabled_reason: row.disabled_reason,
                paused_reason: row.paused_reason,
            })
            .collect())
    }

    /// Connections `owner` connected on Top.gg that are not linked to `guild` yet.
    pub async fn unlinked_connections_of(
        &self,
        owner: &UserId,
        guild: &GuildId,
    ) -> anyhow::Result<Vec<OwnedConnection>> {
        let sql = Sql::new(
            "SELECT c.connection_id, c.project_type, c.project_platform_id, c.project_name \
             FROM connections c WHERE c.owner_discord_id = $1 AND NOT EXISTS \
             (SELECT 1 FROM links l WHERE l.connection_id = c.connection_id AND l.guild_id = $2) \
             ORDER BY c.created_at, c.connection_id",
        );
        self.fetch_all(sql.bind(owner).bind(guild)).await
    }

    /// Vote and delivery figures of one link; `since` bounds "votes in 24 h".
    pub async fn link_health(
        &self,
        link: LinkRef<'_>,
        since: Timestamp,
    ) -> anyhow::Result<LinkHealth> {
        let votes = Sql::new(
            "SELECT MAX(created_at), COUNT(*) FILTER (WHERE created_at >= $2) FROM votes \
             WHERE connection_id = $1",
        );
        let (last_vote_at, votes_24h) = self.fetch_one(votes.bind(link.id).bind(since)).await?;
        let jobs = Sql::new(
            "SELECT COUNT(*) FILTER (WHERE status = 'queued'), \
             COUNT(*) FILTER (WHERE status = 'failed') \
             FROM jobs WHERE guild_id = $1 AND connection_id = $2",
        );
        let (queued, failed) = self.fetch_one(jobs.bind_key(link)).await?;
        let error = Sql::new(
            "SELECT last_error FROM jobs WHERE guild_id = $1 AND connection_id = $2 \
             AND last_error IS NOT NULL AND status <> 'done' ORDER BY id DESC LIMIT 1",
        );
        let last_error: Option<(Option<String>,)> =
            self.fetch_optional(error.bind_key(link)).await?;
        Ok(LinkHealth {
            last_vote_at,
            votes_24h,
            queued,
            failed,
            last_error: last_error.and_then(|r| r.0),
        })
    }

    /// A voter's figures for a connection, if they ever voted.
    pub async fn voter_figures(
        &self,
        connection: &ConnectionId,
        voter: &UserId,
    ) -> anyhow::Result<Option<VoterFigures>> {
        let sql = format!(
            "{SELECT_FIGURES} WHERE history_key = \
             (SELECT project_id FROM connections WHERE connection_id = $1) AND voter_id = $2"
        );
        let sql = Sql::built(sql).bind(connection).bind(voter);
        self.fetch_optional(sql).await
    }

    /// Top voters of a month (`"2026-11"`), or of all time with `None`.
    pub async fn leaderboard(
        &self,
        connection: &ConnectionId,
        month: Option<&str>,
        limit: i64,
    ) -> anyhow::Result<Vec<LeaderboardRow>> {
        let sql = match month {
            Some(month) => Sql::new(
                "SELECT m.voter_id, COALESCE(t.voter_name, '') AS voter_name, m.votes \
                 FROM monthly_votes m LEFT JOIN voter_totals t \
                 ON t.history_key = m.history_key AND t.voter_id = m.voter_id \
                 WHERE m.history_key = (SELECT project_id FROM connections \
                 WHERE connection_id = $1) AND m.month = $2 \
                 ORDER BY m.votes DESC, m.voter_id LIMIT $3",
            )
            .bind(connection)
            .bind(month),
            None => Sql::new(
                "SELECT voter_id, voter_name, total_votes AS votes FROM voter_totals \
                 WHERE history_key = (SELECT project_id FROM connections \
                 WHERE connection_id = $1) ORDER BY total_votes DESC, voter_id LIMIT $2",
            )
            .bind(connection),
        };
        self.fetch_all(sql.bind(limit)).await
    }
}

#[derive(FromRow)]
struct RoleRow {
    role_id: RoleId,
    votes_required: i64,
    hours: Option<i64>,
    disabled_reason: Option<String>,
    paused_reason: Option<String>,
}
