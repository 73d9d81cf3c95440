//! `instances`: the instances working this database, seen by their heartbeats. Times come
//! from the database's clock, so instances whose clocks disagree still agree on who is alive.

use std::time::Duration;

use super::Db;
use super::sql::Sql;

/// An instance whose last heartbeat is older than this is no longer counted.
pub const INSTANCE_DEAD_AFTER: Duration = Duration::from_secs(15);
/// Rows of instances gone this long are deleted.
const FORGET_AFTER: Duration = Duration::from_secs(3600);

/// The database's clock in unix milliseconds, as SQL: the one clock every instance shares.
pub(super) fn db_now_ms(postgres: bool) -> &'static str {
    if postgres {
        "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT"
    } else {
        "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl Db {
    /// Records that `instance` is alive now and returns how many instances are (itself
    /// included): those seen within [`INSTANCE_DEAD_AFTER`].
    pub async fn heartbeat(&self, instance: &str) -> anyhow::Result<usize> {
        let now = db_now_ms(self.is_postgres());
        let mut tx = self.begin_write().await?;
        let beat = format!(
            "INSERT INTO instances (instance_id, last_seen) VALUES ($1, {now}) \
             ON CONFLICT (instance_id) DO UPDATE SET last_seen = excluded.last_seen"
        );
        tx.execute(Sql::built(beat).bind(instance)).await?;
        let forget = format!("DELETE FROM instances WHERE last_seen < {now} - $1");
        tx.execute(Sql::built(forget).bind(millis(FORGET_AFTER)))
            .await?;
        let count = format!("SELECT COUNT(*) FROM instances WHERE last_seen >= {now} - $1");
        let (live,): (i64,) = tx
            .fetch_one(Sql::built(count).bind(millis(INSTANCE_DEAD_AFTER)))
            .await?;
        tx.commit().await?;
        Ok(usize::try_from(live).unwrap_or(1).max(1))
    }

    /// Says `instance` is leaving: the others stop counting it one second from now, once the
    /// calls of its last second no longer count at Discord.
    pub async fn leave_instances(&self, instance: &str) -> anyhow::Result<()> {
        let now = db_now_ms(self.is_postgres());
        let leave = format!("UPDATE instances SET last_seen = {now} - $1 WHERE instance_id = $2");
        let counted_for = INSTANCE_DEAD_AFTER.saturating_sub(Duration::from_secs(1));
        self.execute(Sql::built(leave).bind(millis(counted_for)).bind(instance))
            .await?;
        Ok(())
    }
}
