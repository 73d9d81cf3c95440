//! Vote histories (`voter_totals`, `monthly_votes`, `reminder_optins`), keyed by project (see
//! [`Connection::history_key`](super::Connection::history_key)), not by connection: kept while
//! a connection holds them and for [`HISTORY_GRACE`] after the last one went
//! (`histories.detached_at`), and merged into the project's own when an API token proves the
//! project of a webhook-mode connection. `histories` also says since when a history counts
//! votes and whether a first-token import filled it, so a reconnected project's import
//! counts nothing twice.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::Db;
use super::api_tokens::SET_TOKEN;
use super::connections::UNPROVEN_PROJECT;
use super::guilds::{SELECT_FIGURES, VoterFigures};
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
    /// A connection holds `history` (again, or for the first time at `now`): it is no longer
    /// due for deletion.
    pub(super) async fn hold_history(
        &mut self,
        history: &str,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let sql = Sql::new(
            "INSERT INTO histories (history_key, started_at) VALUES ($1, $2) \
             ON CONFLICT (history_key) DO UPDATE SET detached_at = NULL",
        );
        self.execute(sql.bind(history).bind(now)).await?;
        Ok(())
    }

    /// Marks `history` detached at `now` when no connection holds it any more.
    pub(super) async fn detach_history_if_unheld(
        &mut self,
        history: &str,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let sql = Sql::new(
            "UPDATE histories SET detached_at = $2 WHERE history_key = $1 \
             AND detached_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM connections WHERE project_id = $1)",
        );
        self.execute(sql.bind(history).bind(now)).await?;
        Ok(())
    }

    /// Moves every row of history `from` into history `into` (see [`MERGE_TOTALS`]); `into`
    /// counts votes since the earlier of the two starts.
    async fn merge_history(
        &mut self,
        from: &str,
        into: &str,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        self.hold_history(into, now).await?;
        let start = Sql::new(
            "UPDATE histories SET started_at = (SELECT MIN(started_at) FROM histories \
             WHERE history_key IN ($1, $2)) WHERE history_key = $2",
        );
        self.execute(start.bind(from).bind(into)).await?;
        let forget = Sql::new("DELETE FROM histories WHERE history_key = $1");
        self.execute(forget.bind(from)).await?;
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
        let own = tx.project_of(connection).await?;
        let Some(own) = own.filter(|p| p.starts_with(UNPROVEN_PROJECT)) else {
            return Ok(false);
        };
        // `updated_at` moves (by 1 ms at least), so every instance rereads the connection.
        let fix = Sql::new(
            "UPDATE connections SET project_id = $1, updated_at = CASE WHEN $2 > updated_at \
             THEN $2 ELSE updated_at + 1 END WHERE connection_id = $3",
        );
        tx.execute(fix.bind(project).bind(now).bind(connection))
            .await?;
        tx.merge_history(&own, project, now).await?;
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
                 (SELECT history_key FROM histories WHERE detached_at < $1)"
            );
            tx.execute(Sql::built(delete).bind(before)).await?;
        }
        let forget = Sql::new("DELETE FROM histories WHERE detached_at < $1");
        let forgotten = tx.execute(forget.bind(before)).await?;
        tx.commit().await?;
        Ok(forgotten)
    }

    /// When `history` lost its last connection, if it did and was not taken up again.
    pub async fn history_detached_at(&self, history: &str) -> anyhow::Result<Option<Timestamp>> {
        let sql = Sql::new("SELECT detached_at FROM histories WHERE history_key = $1");
        let row: Option<(Option<Timestamp>,)> = self.fetch_optional(sql.bind(history)).await?;
        Ok(row.and_then(|(at,)| at))
    }

    /// A voter's figures in `history` (a Top.gg project id, or `webhook:<connection_id>`),
    /// whether or not a connection holds it now.
    pub async fn history_figures(
        &self,
        history: &str,
        voter: &UserId,
    ) -> anyhow::Result<Option<VoterFigures>> {
        let sql = format!("{SELECT_FIGURES} WHERE history_key = $1 AND voter_id = $2");
        self.fetch_optional(Sql::built(sql).bind(history).bind(voter))
            .await
    }

    /// How many voters `history` counts (0 once deleted).
    pub async fn history_voter_count(&self, history: &str) -> anyhow::Result<i64> {
        let sql = Sql::new("SELECT COUNT(*) FROM voter_totals WHERE history_key = $1");
        let (count,): (i64,) = self.fetch_one(sql.bind(history)).await?;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use sqlx::AssertSqlSafe;
    use topgg_testkit::postgres::{drop_postgres_database, fresh_postgres_database};

    use super::*;

    /// The last migration before histories were keyed by project.
    const BY_CONNECTION: i64 = 10;
    const VOTER: &str = "300000000000000001";

    /// Two connections of project `p1` (both with figures for one voter) and an unproven
    /// webhook-mode connection, as migration 0010 left them.
    fn old_rows() -> String {
        let connection = |id: &str, project: &str| {
            format!(
                "INSERT INTO connections (connection_id, webhook_secret, project_id, \
                 project_type, project_platform, project_platform_id, owner_topgg_id, \
                 owner_discord_id, owner_name, created_at, updated_at) \
                 VALUES ('{id}', 's', '{project}', 'bot', 'discord', '1', 'o', '1', 'n', 0, 0);"
            )
        };
        let v = VOTER;
        [
            connection("c1", "p1"),
            connection("c2", "p1"),
            connection("w3", "webhook:w3"),
            format!(
                "INSERT INTO voter_totals (connection_id, voter_id, voter_name, total_votes, \
                 streak, last_vote_at, last_expires_at) VALUES ('c1', '{v}', 'a', 2, 2, 100, 200), \
                 ('c2', '{v}', 'b', 3, 1, 300, 400), ('w3', '{v}', 'c', 1, 1, 50, 60);"
            ),
            format!(
                "INSERT INTO monthly_votes (connection_id, month, voter_id, votes) \
                 VALUES ('c1', '2026-11', '{v}', 2), ('c2', '2026-11', '{v}', 3), \
                 ('w3', '2026-11', '{v}', 1);"
            ),
            format!(
                "INSERT INTO reminder_optins (connection_id, voter_id, opted_in_at) \
                 VALUES ('c1', '{v}', 7), ('c2', '{v}', 5);"
            ),
        ]
        .concat()
    }

    /// Migrates `db` to 0010, stores [`old_rows`], then migrates to the end.
    async fn migrate_over_old_rows(db: &Db) {
        let rows = AssertSqlSafe(old_rows());
        match db {
            Db::Sqlite(pool, _) => {
                let migrator = sqlx::migrate!("./migrations/sqlite");
                migrator.run_to(BY_CONNECTION, pool).await.unwrap();
                sqlx::raw_sql(rows).execute(pool).await.unwrap();
            }
            Db::Postgres(pool) => {
                let migrator = sqlx::migrate!("./migrations/postgres");
                migrator.run_to(BY_CONNECTION, pool).await.unwrap();
                sqlx::raw_sql(rows).execute(pool).await.unwrap();
            }
        }
        db.migrate().await.unwrap();
    }

    async fn rows_carry_over_merged_by_project(db: Db) {
        migrate_over_old_rows(&db).await;
        let voter = VOTER.parse().unwrap();
        let shared = db.history_figures("p1", &voter).await.unwrap().unwrap();
        let figures = (
            shared.total_votes,
            shared.streak,
            shared.last_vote_at.as_millis(),
        );
        assert_eq!(figures, (5, 2, 300), "totals summed, latest vote kept");
        assert_eq!(shared.last_expires_at.as_millis(), 400);
        let own = db.history_figures("webhook:w3", &voter).await.unwrap();
        assert_eq!(
            own.unwrap().total_votes,
            1,
            "an unproven connection's own history"
        );
        let month = Sql::new("SELECT votes FROM monthly_votes WHERE history_key = 'p1'");
        assert_eq!(db.fetch_one::<(i64,)>(month).await.unwrap(), (5,));
        let optins = Sql::new("SELECT opted_in_at FROM reminder_optins WHERE history_key = 'p1'");
        assert_eq!(db.fetch_all::<(i64,)>(optins).await.unwrap(), [(5,)]);
        db.close().await;
    }

    #[tokio::test]
    async fn sqlite_histories_of_one_project_are_merged_when_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("old.db").display());
        rows_carry_over_merged_by_project(Db::connect(&url).await.unwrap()).await;
    }

    #[tokio::test]
    async fn postgres_histories_of_one_project_are_merged_when_migrated() {
        let Some((url, name)) = fresh_postgres_database().await else {
            return;
        };
        rows_carry_over_merged_by_project(Db::connect(&url).await.unwrap()).await;
        drop_postgres_database(&name).await;
    }
}
