//! The statements that record a batch of votes, one per step (not per vote): with group
//! commit, the cost of a webhook is then mostly its share of a few statements. Each step is
//! a macro so one body serves both backends inside `with_pool!`; the planning between the
//! steps is pure code in `vote_plan`. Their text depends on the batch size, so they are not
//! kept prepared (a cache of large statements would cost memory and save little).

/// How parameters are written: Postgres numbers them (`$1`); SQLite takes `?` in order, which
/// it binds in constant time (it looks a numbered parameter up by scanning a list, which
/// costs quadratic time over the thousands of parameters of a large batch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Params {
    Numbered,
    Positional,
}

impl Params {
    /// `($1, $2, $3), ($4, $5, $6)` (or `(?, ?, ?), (?, ?, ?)`): `rows` rows of `cols` columns.
    pub(super) fn rows(self, rows: usize, cols: usize) -> String {
        self.rows_with(rows, cols, "")
    }

    /// Like [`Params::rows`], each row ending with the literal columns `tail`.
    fn rows_with(self, rows: usize, cols: usize, tail: &str) -> String {
        let param = |n: usize| match self {
            Params::Numbered => format!("${n}"),
            Params::Positional => "?".to_string(),
        };
        let row = |r: usize| {
            let params: Vec<String> = (1..=cols).map(|c| param(r * cols + c)).collect();
            format!("({}{tail})", params.join(", "))
        };
        (0..rows).map(row).collect::<Vec<_>>().join(", ")
    }
}

pub(super) fn insert_votes_sql(p: Params, rows: usize) -> String {
    format!(
        "INSERT INTO votes (vote_id, connection_id, project_id, voter_topgg_id, voter_id, \
         voter_name, weight, created_at, expires_at, received_at) VALUES {} \
         ON CONFLICT (vote_id) DO NOTHING RETURNING vote_id",
        p.rows(rows, 10)
    )
}

/// Creates the missing totals rows (empty; the upsert fills them), so they can be locked.
pub(super) fn ensure_totals_sql(p: Params, rows: usize) -> String {
    format!(
        "INSERT INTO voter_totals (connection_id, voter_id, voter_name, total_votes, streak, \
         last_vote_at, last_expires_at) VALUES {} ON CONFLICT (connection_id, voter_id) DO NOTHING",
        p.rows_with(rows, 2, ", '', 0, 0, 0, 0")
    )
}

/// Locks (Postgres) the rows in key order, so concurrent batches cannot deadlock on them.
pub(super) fn select_totals_sql(p: Params, rows: usize, lock: bool) -> String {
    format!(
        "SELECT connection_id, voter_id, total_votes, streak, last_vote_at FROM voter_totals \
         WHERE (connection_id, voter_id) IN (VALUES {}) ORDER BY connection_id, voter_id{}",
        p.rows(rows, 2),
        if lock { " FOR UPDATE" } else { "" }
    )
}

pub(super) fn upsert_totals_sql(p: Params, rows: usize) -> String {
    format!(
        "INSERT INTO voter_totals (connection_id, voter_id, voter_name, total_votes, streak, \
         last_vote_at, last_expires_at) VALUES {} ON CONFLICT (connection_id, voter_id) DO UPDATE \
         SET voter_name = excluded.voter_name, total_votes = excluded.total_votes, \
         streak = excluded.streak, last_vote_at = excluded.last_vote_at, \
         last_expires_at = CASE WHEN voter_totals.last_expires_at > excluded.last_expires_at \
         THEN voter_totals.last_expires_at ELSE excluded.last_expires_at END",
        p.rows(rows, 7)
    )
}

pub(super) fn bump_months_sql(p: Params, rows: usize) -> String {
    format!(
        "INSERT INTO monthly_votes (connection_id, month, voter_id, votes) VALUES {} \
         ON CONFLICT (connection_id, month, voter_id) \
         DO UPDATE SET votes = monthly_votes.votes + excluded.votes",
        p.rows(rows, 4)
    )
}

pub(super) fn insert_jobs_sql(p: Params, rows: usize) -> String {
    format!(
        "INSERT INTO jobs (kind, guild_id, connection_id, vote_id, payload, due_at, created_at) \
         VALUES {}",
        p.rows(rows, 7)
    )
}

/// Jobs per `INSERT` (7 parameters each), well under both backends' parameter limits.
pub(super) const JOB_ROWS: usize = 1000;

/// Inserts every write (in `$order`); evaluates to the ids actually inserted.
macro_rules! insert_votes {
    ($tx:expr, $params:expr, $writes:expr, $order:expr) => {{
        let sql = $crate::storage::vote_batch::insert_votes_sql($params, $order.len());
        let mut query = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql)).persistent(false);
        for &i in $order {
            let (w, v) = (&$writes[i], $writes[i].vote);
            query = query
                .bind(&v.id)
                .bind(&w.connection.connection_id)
                .bind(&v.project.id)
                .bind(&v.user.id)
                .bind(&v.user.platform_id)
                .bind(&v.user.name)
                .bind(v.weight)
                .bind(v.created_at.timestamp_millis())
                .bind(v.expires_at.timestamp_millis())
                .bind(w.now);
        }
        let rows = query.fetch_all(&mut *$tx).await?;
        rows.into_iter()
            .map(|(id,)| id)
            .collect::<std::collections::HashSet<String>>()
    }};
}
pub(super) use insert_votes;

/// Makes sure each voter has a totals row and reads them all (locked on Postgres, in key
/// order); evaluates to the rows.
macro_rules! lock_totals {
    ($tx:expr, $params:expr, $keys:expr, $lock:expr) => {{
        use $crate::storage::vote_batch::{ensure_totals_sql, select_totals_sql};
        let mut ensure = sqlx::query(sqlx::AssertSqlSafe(ensure_totals_sql($params, $keys.len())))
            .persistent(false);
        for (c, v) in $keys {
            ensure = ensure.bind(*c).bind(*v);
        }
        ensure.execute(&mut *$tx).await?;
        let sql = select_totals_sql($params, $keys.len(), $lock);
        let mut select = sqlx::query_as(sqlx::AssertSqlSafe(sql)).persistent(false);
        for (c, v) in $keys {
            select = select.bind(*c).bind(*v);
        }
        select.fetch_all(&mut *$tx).await?
    }};
}
pub(super) use lock_totals;

/// Writes each voter's totals and adds the batch's votes to their months.
macro_rules! write_totals {
    ($tx:expr, $params:expr, $updates:expr, $months:expr) => {{
        use $crate::storage::vote_batch::{bump_months_sql, upsert_totals_sql};
        let sql = upsert_totals_sql($params, $updates.len());
        let mut upsert = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for u in $updates {
            upsert = upsert
                .bind(u.key.0)
                .bind(u.key.1)
                .bind(u.name)
                .bind(u.tally.total)
                .bind(u.tally.streak)
                .bind(u.tally.last_vote_at)
                .bind(u.expires_at);
        }
        upsert.execute(&mut *$tx).await?;
        let mut bump = sqlx::query(sqlx::AssertSqlSafe(bump_months_sql($params, $months.len())))
            .persistent(false);
        for ((c, v), month, n) in $months {
            bump = bump.bind(*c).bind(month.as_str()).bind(*v).bind(*n);
        }
        bump.execute(&mut *$tx).await?;
    }};
}
pub(super) use write_totals;

/// Reads the link settings of each connection among the stored writes.
macro_rules! link_settings {
    ($tx:expr, $writes:expr, $stored:expr) => {{
        use $crate::storage::links::{LINK_SETTINGS, group_link_rows};
        let mut links: std::collections::HashMap<&str, Vec<_>> = Default::default();
        for &i in $stored {
            let conn_id = $writes[i].connection.connection_id.as_str();
            if !links.contains_key(conn_id) {
                let rows = sqlx::query_as(LINK_SETTINGS)
                    .bind(conn_id)
                    .fetch_all(&mut *$tx)
                    .await?;
                links.insert(conn_id, group_link_rows(rows));
            }
        }
        links
    }};
}
pub(super) use link_settings;

/// Queues the planned jobs (`(write index, job)`) and records their role grants.
macro_rules! insert_jobs {
    ($tx:expr, $params:expr, $writes:expr, $jobs:expr) => {{
        use $crate::storage::jobs::UPSERT_GRANT;
        use $crate::storage::vote_batch::{JOB_ROWS, insert_jobs_sql};
        for chunk in $jobs.chunks(JOB_ROWS) {
            let sql = insert_jobs_sql($params, chunk.len());
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
            for (i, job) in chunk {
                let w = &$writes[*i];
                insert = insert
                    .bind(job.work.kind())
                    .bind(&job.guild_id)
                    .bind(&w.connection.connection_id)
                    .bind(&w.vote.id)
                    .bind(serde_json::to_string(&job.work)?)
                    .bind(job.due_at)
                    .bind(w.now);
            }
            insert.execute(&mut *$tx).await?;
        }
        for (i, job) in $jobs {
            let Some(grant) = &job.grant else {
                continue;
            };
            let w = &$writes[*i];
            sqlx::query(UPSERT_GRANT)
                .bind(&job.guild_id)
                .bind(&w.connection.connection_id)
                .bind(&grant.role_id)
                .bind(&w.vote.user.platform_id)
                .bind(grant.expires_at)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(super) use insert_jobs;
