//! Vote histories (`voter_totals`, `monthly_votes`, `reminder_optins`), keyed by project (see
//! [`Connection::history_key`](super::Connection::history_key)), not by connection: kept while
//! a connection holds them and for [`HISTORY_GRACE`] after the last one went
//! (`detached_histories`), and merged into the project's own when an API token proves the
//! project of a webhook-mode connection.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::Db;
use super::api_tokens::SET_TOKEN;
use super::connections::UNPROVEN_PROJECT;
use super::guilds::VoterFigures;
use super::sql::{Sql, WriteTx};
use crate::domain::ids::{ConnectionId, UserId};
use crate::domain::time::Timestamp;

/// How long a history outlives its last connection (`integration.delete`), so a reconnect
/// (to rotate a leaked secret, say) finds every total and streak again.
pub const HISTORY_GRACE: Duration = Duration::from_secs(7 * 24 * 3600);

/// The tables a history's rows live in.
const HISTORY_TABLES: [&str; 3] = ["voter_totals", "monthly_votes", "reminder_optins"];

/// Adds one history's totals ($1) to another's ($2): totals summed, the streak, name and
/// time of whichever voted last, the latest expiry.
const MERGE_TOTALS: &str = "INSERT INTO voter_totals (history_key, voter_id, voter_name, \
    total_votes, streak, last_vote_at, last_expires_at) SELECT $2, voter_id, voter_name, \
    total_votes, streak, last_vote_at, last_expires_at FROM voter_totals WHERE history_key = $1 \
    ON CONFLICT (history_key, voter_id) DO UPDATE SET \
    total_votes = voter_totals.total_votes + excluded.total_votes, \
    streak = CASE WHEN excluded.last_vote_at > voter_totals.last_vote_at \
    THEN excluded.streak ELSE voter_totals.streak END, \
    voter_name = CASE WHEN excluded.last_vote_at > voter_totals.last_vote_at \
    THEN excluded.voter_name ELSE voter_totals.voter_name END, \
    last_vote_at = CASE WHEN excluded.last_vote_at > voter_totals.last_vote_at \
    THEN excluded.last_vote_at ELSE voter_totals.last_vote_at END, \
    last_expires_at = CASE WHEN excluded.last_expires_at > voter_totals.last_expires_at \
    THEN excluded.last_expires_at ELSE voter_totals.last_expires_at END";

const MERGE_MONTHS: &str = "INSERT INTO monthly_votes (history_key, month, voter_id, votes) \
    SELECT $2, month, voter_id, votes FROM monthly_votes WHERE history_key = $1 \
    ON CONFLICT (history_key, month, voter_id) \
    DO UPDATE SET votes = monthly_votes.votes + excluded.votes";

const MERGE_OPTINS: &str = "INSERT INTO reminder_optins (history_key, voter_id, opted_in_at) \
    SELECT $2, voter_id, opted_in_at FROM reminder_optins WHERE history_key = $1 \
    ON CONFLICT (history_key, voter_id) DO NOTHING";

impl WriteTx {
    /// A connection holds `history` (again): it is no longer due for deletion.
    pub(super) async fn reattach_history(&mut self, history: &str) -> anyhow::Result<()> {
        let sql = Sql::new("DELETE FROM detached_histories WHERE history_key = $1");
        self.execute(sql.bind(history)).await?;
        Ok(())
    }

    /// Marks `history` detached at `now` when no connection holds it any more.
    pub(super) async fn detach_history_if_unheld(
        &mut self,
        history: &str,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let sql = Sql::new(
            "INSERT INTO detached_histories (history_key, detached_at) SELECT $1, $2 \
             WHERE NOT EXISTS (SELECT 1 FROM connections WHERE project_id = $1) \
             ON CONFLICT (history_key) DO NOTHING",
        );
        self.execute(sql.bind(history).bind(now)).await?;
        Ok(())
    }

    /// Moves every row of history `from` into history `into` (see [`MERGE_TOTALS`]).
    async fn merge_history(&mut self, from: &str, into: &str) -> anyhow::Result<()> {
        for merge in [MERGE_TOTALS, MERGE_MONTHS, MERGE_OPTINS] {
            self.execute(Sql::new(merge).bind(from).bind(into)).await?;
        }
        for table in HISTORY_TABLES {
            let delete = format!("DELETE FROM {table} WHERE history_key = $1");
            self.execute(Sql::built(delete).bind(from)).await?;
        }
        Ok(())
    }
}

impl Db {
    /// An API token proved that `connection` (made with `/topgg webhook`) belongs to Top.gg
    /// project `project`: the connection's project is fixed to it, its own history is merged
    /// into the project's, and the token is stored, all at once. `false` when the
    /// connection's project was already known (nothing changed).
    pub async fn prove_project(
        &self,
        connection: &ConnectionId,
        project: &str,
        token: &SecretString,
        now: Timestamp,
    ) -> anyhow::Result<bool> {
        let mut tx = self.begin_write().await?;
        let own = Sql::new("SELECT project_id FROM connections WHERE connection_id = $1");
        let own: Option<(String,)> = tx.fetch_optional(own.bind(connection)).await?;
        let Some((own,)) = own.filter(|(p,)| p.starts_with(UNPROVEN_PROJECT)) else {
            return Ok(false);
        };
        // `updated_at` moves (by 1 ms at least), so every instance rereads the connection.
        let fix = Sql::new(
            "UPDATE connections SET project_id = $1, updated_at = CASE WHEN $2 > updated_at \
             THEN $2 ELSE updated_at + 1 END WHERE connection_id = $3",
        );
        tx.execute(fix.bind(project).bind(now).bind(connection))
            .await?;
        tx.merge_history(&own, project).await?;
        tx.reattach_history(project).await?;
        let token = token.expose_secret().as_str();
        let set = Sql::new(SET_TOKEN).bind(connection).bind(token).bind(now);
        tx.execute(set).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes the histories that lost their last connection before `before` and were not
    /// taken up again since; returns how many.
    pub async fn forget_detached_histories(&self, before: Timestamp) -> anyhow::Result<u64> {
        let mut tx = self.begin_write().await?;
        for table in HISTORY_TABLES {
            let delete = format!(
                "DELETE FROM {table} WHERE history_key IN \
                 (SELECT history_key FROM detached_histories WHERE detached_at < $1)"
            );
            tx.execute(Sql::built(delete).bind(before)).await?;
        }
        let forget = Sql::new("DELETE FROM detached_histories WHERE detached_at < $1");
        let forgotten = tx.execute(forget.bind(before)).await?;
        tx.commit().await?;
        Ok(forgotten)
    }

    /// When `history` lost its last connection, if it did and was not taken up again.
    pub async fn history_detached_at(&self, history: &str) -> anyhow::Result<Option<Timestamp>> {
        let sql = Sql::new("SELECT detached_at FROM detached_histories WHERE history_key = $1");
        let row: Option<(Timestamp,)> = self.fetch_optional(sql.bind(history)).await?;
        Ok(row.map(|(at,)| at))
    }

    /// A voter's figures in `history` (a Top.gg project id, or `webhook:<connection_id>`),
    /// whether or not a connection holds it now.
    pub async fn history_figures(
        &self,
        history: &str,
        voter: &UserId,
    ) -> anyhow::Result<Option<VoterFigures>> {
        let sql = Sql::new(
            "SELECT total_votes, streak, last_vote_at, last_expires_at FROM voter_totals \
             WHERE history_key = $1 AND voter_id = $2",
        );
        self.fetch_optional(sql.bind(history).bind(voter)).await
    }

    /// How many voters `history` counts (0 once deleted).
    pub async fn history_voter_count(&self, history: &str) -> anyhow::Result<i64> {
        let sql = Sql::new("SELECT COUNT(*) FROM voter_totals WHERE history_key = $1");
        let (count,): (i64,) = self.fetch_one(sql.bind(history)).await?;
        Ok(count)
    }
}
