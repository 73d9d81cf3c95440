//! A fresh database per test on the real Postgres server (`TOPGG_TEST_POSTGRES_URL`), or a
//! skip when there is none and `TOPGG_TEST_REQUIRE_POSTGRES=1` is not set.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection as _;

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub fn postgres_admin_url() -> String {
    std::env::var("TOPGG_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into())
}

fn postgres_required() -> bool {
    std::env::var("TOPGG_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// Creates `topgg_test_<pid>_<n>` on the test server; returns its URL and name.
pub async fn fresh_postgres_database() -> Option<(String, String)> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let admin = postgres_admin_url();
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(conn) => conn,
        Err(e) if !postgres_required() => {
            announce_skip(&admin, &e);
            return None;
        }
        Err(e) => panic!("Postgres required but unreachable at {admin}: {e}"),
    };
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = format!("topgg_test_{}_{n}", std::process::id());
    let sql = format!("DROP DATABASE IF EXISTS {name}");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .unwrap();
    let sql = format!("CREATE DATABASE {name}");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').expect("a URL with a database name");
    Some((format!("{base}/{name}"), name))
}

pub async fn drop_postgres_database(name: &str) {
    if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await;
    }
}

/// Says once per test binary, past the test harness's output capture, that Postgres tests
/// were skipped and how to run them.
fn announce_skip(url: &str, error: &sqlx::Error) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(
            std::io::stderr().lock(),
            "\nSKIPPED: the Postgres tests (no server at {url}: {error}). Start PostgreSQL or set \
             TOPGG_TEST_POSTGRES_URL=postgres://user@host:port/db; TOPGG_TEST_REQUIRE_POSTGRES=1 \
             makes their absence a failure.\n"
        );
    });
}
