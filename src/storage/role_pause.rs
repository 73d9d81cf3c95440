//! Reward roles Discord will not let the bot give (50013, 50001): paused with the reason, their
//! grants and removals waiting in the queue (due at [`WAITING_FOR_ROLE`], so never claimed)
//! until the role is resumed; and role grants forgotten only once their removal succeeded.

use super::Db;
use super::job::JobId;
use super::sql::{Sql, WriteTx};
use crate::domain::ids::{GuildId, RoleId};
use crate::domain::keys::{GuildRole, MemberRole};
use crate::domain::time::Timestamp;
use crate::domain::work::Work;

/// The due time of a job waiting for its paused role (9999-12-31): never due on its own.
pub const WAITING_FOR_ROLE: Timestamp = Timestamp::from_millis(253_402_300_799_000);

/// What resuming a role did to the jobs that waited for it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resumed {
    /// Links whose role was paused and no longer is.
    pub links: u64,
    /// Waiting grants and removals made due now.
    pub woken: u64,
    /// Waiting grants whose grant lapsed meanwhile: settled without a call.
    pub expired: u64,
}

const LIVE_GRANTS: &str = "SELECT COUNT(*) FROM role_grants WHERE guild_id = $1 \
    AND user_id = $2 AND role_id = $3 AND (expires_at IS NULL OR expires_at > $4)";

/// Parks a job while its role is still paused, else (resumed since it was read) makes it due.
const PARK: &str = "UPDATE jobs SET due_at = CASE WHEN EXISTS (SELECT 1 FROM reward_roles \
    WHERE guild_id = $2 AND role_id = $3 AND paused_reason IS NOT NULL) THEN $4 ELSE $5 END, \
    attempts = $6, last_error = COALESCE($7, last_error), lease_until = NULL, leased_by = NULL, open_claims = 0 \
    WHERE id = $1 AND leased_by = $8 AND status = 'queued'";

impl Db {
    /// Pauses `role` for every link of the guild that rewards it, with the reason; returns how
    /// many links changed (0: it is no reward role here, so nothing can resume it).
    pub async fn pause_role(&self, role: GuildRole<'_>, reason: &str) -> anyhow::Result<u64> {
        let sql = Sql::new(
            "UPDATE reward_roles SET paused_reason = $3 WHERE guild_id = $1 AND role_id = $2 \
             AND disabled_reason IS NULL",
        );
        self.execute(sql.bind_key(role).bind(reason)).await
    }

    /// Whether `role` is paused for a link of the guild.
    pub async fn is_role_paused(&self, role: GuildRole<'_>) -> anyhow::Result<bool> {
        let (paused,): (i64,) = self.fetch_one(links_pausing(role)).await?;
        Ok(paused > 0)
    }

    /// The guild's paused reward roles.
    pub async fn paused_roles(&self, guild: &GuildId) -> anyhow::Result<Vec<RoleId>> {
        let sql = Sql::new(
            "SELECT DISTINCT role_id FROM reward_roles WHERE guild_id = $1 \
             AND paused_reason IS NOT NULL ORDER BY role_id",
        );
        let rows: Vec<(RoleId,)> = self.fetch_all(sql.bind(guild)).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Puts a job of `role` back in the queue to wait for the role (not due until resumed),
    /// or due `now` when the role was resumed since the worker read it; `error` (if any)
    /// replaces its last error. `false` when `instance` no longer holds the job's lease
    /// (nothing changed).
    pub async fn wait_for_role(
        &self,
        instance: &str,
        id: JobId,
        role: GuildRole<'_>,
        attempts: i64,
        error: Option<&str>,
        now: Timestamp,
    ) -> anyhow::Result<bool> {
        let sql = Sql::new(PARK).bind(id.get()).bind_key(role);
        let sql = sql.bind(WAITING_FOR_ROLE).bind(now).bind(attempts);
        Ok(self.execute(sql.bind(error).bind(instance)).await? > 0)
    }

    /// Resumes `role` in the guild: its waiting removals and the waiting grants still live at
    /// `now` fall due now; grants that lapsed meanwhile are settled without a call.
    pub async fn resume_role(
        &self,
        role: GuildRole<'_>,
        now: Timestamp,
    ) -> anyhow::Result<Resumed> {
        let mut tx = self.begin_write().await?;
        let resume = Sql::new(
            "UPDATE reward_roles SET paused_reason = NULL WHERE guild_id = $1 AND role_id = $2 \
             AND paused_reason IS NOT NULL",
        );
        let mut resumed = Resumed {
            links: tx.execute(resume.bind_key(role)).await?,
            ..Resumed::default()
        };
        for (id, work) in waiting_jobs(&mut tx, role).await? {
            let live = match &work {
                Work::GrantRole { user_id, .. } => {
                    let grant = MemberRole::new(role.guild, user_id, role.id);
                    tx_role_held(&mut tx, grant, now).await?
                }
                Work::RemoveRole { .. }
                | Work::Announce { .. }
                | Work::TestNotice { .. }
                | Work::Remind { .. } => true,
            };
            let end = if live {
                resumed.woken += 1;
                WaitEnd::Due
            } else {
                resumed.expired += 1;
                WaitEnd::Lapsed
            };
            end_wait(&mut tx, id, end, now).await?;
        }
        tx.commit().await?;
        Ok(resumed)
    }

    /// After `/topgg roles remove`: when no link of the guild pauses `role` any more, the
    /// grants and removals that waited for it fail (nothing would ever resume them); returns
    /// how many.
    pub async fn drop_waiting_for_role(
        &self,
        role: GuildRole<'_>,
        now: Timestamp,
    ) -> anyhow::Result<u64> {
        let mut tx = self.begin_write().await?;
        let (paused,): (i64,) = tx.fetch_one(links_pausing(role)).await?;
        let waiting = match paused {
            0 => waiting_jobs(&mut tx, role).await?,
            _ => Vec::new(),
        };
        for (id, _) in &waiting {
            end_wait(&mut tx, *id, WaitEnd::Dropped, now).await?;
        }
        tx.commit().await?;
        Ok(waiting.len() as u64)
    }

    /// Whether a live grant (not lapsed at `now`) still holds the member's role.
    pub async fn role_held(&self, grant: MemberRole<'_>, now: Timestamp) -> anyhow::Result<bool> {
        let (held,): (i64,) = self.fetch_one(live_grants(grant, now)).await?;
        Ok(held > 0)
    }

    /// How many grants of the member's role are recorded, lapsed or not (for tests).
    pub async fn recorded_grants(&self, grant: MemberRole<'_>) -> anyhow::Result<i64> {
        let sql = Sql::new(
            "SELECT COUNT(*) FROM role_grants WHERE guild_id = $1 AND user_id = $2 \
             AND role_id = $3",
        );
        let (count,): (i64,) = self.fetch_one(bind_grant(sql, grant)).await?;
        Ok(count)
    }

    /// Forgets the member's grants of `role` that lapsed by `now`: only once the role was
    /// removed (or there was nothing left to remove), so a failed removal is tried again.
    pub async fn forget_lapsed_grants(
        &self,
        grant: MemberRole<'_>,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let sql = Sql::new(
            "DELETE FROM role_grants WHERE guild_id = $1 AND user_id = $2 AND role_id = $3 \
             AND expires_at IS NOT NULL AND expires_at <= $4",
        );
        self.execute(bind_grant(sql, grant).bind(now)).await?;
        Ok(())
    }
}

/// The queued grants and removals of `role` in the guild that wait for it.
async fn waiting_jobs(tx: &mut WriteTx, role: GuildRole<'_>) -> anyhow::Result<Vec<(JobId, Work)>> {
    let sql = Sql::new(
        "SELECT id, payload FROM jobs WHERE guild_id = $1 AND status = 'queued' \
         AND due_at = $2 AND kind IN ('grant_role', 'remove_role') ORDER BY id",
    );
    let rows: Vec<(JobId, String)> = tx
        .fetch_all(sql.bind(role.guild).bind(WAITING_FOR_ROLE))
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, payload)| Some((id, serde_json::from_str(&payload).ok()?)))
        .filter(|(_, work)| match work {
            Work::GrantRole { role_id, .. } | Work::RemoveRole { role_id, .. } => {
                role_id == role.id
            }
            Work::Announce { .. } | Work::TestNotice { .. } | Work::Remind { .. } => false,
        })
        .collect())
}

/// How a job that waited for its role stops waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WaitEnd {
    /// Due now: the role was resumed.
    Due,
    /// Done without a call: its grant lapsed while the role was paused.
    Lapsed,
    /// Failed: the reward role was removed while it was paused.
    Dropped,
}

impl WaitEnd {
    /// The statement that ends the wait of job $1 at $2.
    fn statement(self) -> &'static str {
        match self {
            WaitEnd::Due => "UPDATE jobs SET due_at = $2 WHERE id = $1",
            WaitEnd::Lapsed => {
                "UPDATE jobs SET status = 'done', finished_at = $2, \
                 last_error = 'the grant lapsed while its role was paused' WHERE id = $1"
            }
            WaitEnd::Dropped => {
                "UPDATE jobs SET status = 'failed', finished_at = $2, \
                 last_error = 'the reward role was removed while it was paused' WHERE id = $1"
            }
        }
    }
}

async fn end_wait(tx: &mut WriteTx, id: JobId, end: WaitEnd, now: Timestamp) -> anyhow::Result<()> {
    tx.execute(Sql::new(end.statement()).bind(id.get()).bind(now))
        .await?;
    Ok(())
}

/// [`Db::role_held`] inside a transaction.
async fn tx_role_held(
    tx: &mut WriteTx,
    grant: MemberRole<'_>,
    now: Timestamp,
) -> anyhow::Result<bool> {
    let (held,): (i64,) = tx.fetch_one(live_grants(grant, now)).await?;
    Ok(held > 0)
}

/// Counts the links of the guild that pause `role`.
fn links_pausing(role: GuildRole<'_>) -> Sql<'_> {
    let sql = Sql::new(
        "SELECT COUNT(*) FROM reward_roles WHERE guild_id = $1 AND role_id = $2 \
         AND paused_reason IS NOT NULL",
    );
    sql.bind_key(role)
}

/// Counts the member's grants of the role that are live at `now`.
fn live_grants(grant: MemberRole<'_>, now: Timestamp) -> Sql<'_> {
    bind_grant(Sql::new(LIVE_GRANTS), grant).bind(now)
}

/// Binds a grant's guild, user and role as $1, $2 and $3.
fn bind_grant<'a>(sql: Sql<'a>, grant: MemberRole<'a>) -> Sql<'a> {
    sql.bind(grant.guild).bind(grant.user).bind(grant.role)
}
