//! Test support for topgg-bot, compiled once for every test binary: the Discord stand-in
//! ([`standin`]), the bot harness on it ([`bot`]), the app on a real socket over SQLite or
//! Postgres ([`app`], [`postgres`], [`on_both_backends!`]), signed requests
//! ([`post_signed`]), the real binary as a child process ([`process`]) and small helpers
//! every suite uses.

pub mod app;
pub mod bot;
pub mod postgres;
pub mod process;
pub mod standin;
pub mod topgg;

use std::future::Future;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::Value;
use topgg_bot::config::Config;

pub use app::{
    Backend, BackendFixture, INTEGRATION_SECRET, OWNER_ID, TestApp, bot_project,
    integration_create, server_project, vote,
};

/// Fails the test instead of letting it hang.
pub async fn bounded<F: Future<Output = ()>>(limit: Duration, test: F) {
    tokio::time::timeout(limit, test)
        .await
        .unwrap_or_else(|_| panic!("the test did not finish within {limit:?}"));
}

/// Real Discord calls to the stand-in at `url`: REST and the gateway.
pub fn aim_at(config: &mut Config, url: &str) {
    aim_rest_at(config, url);
    config.discord.gateway = true;
}

/// Real Discord REST calls to the stand-in at `url`, without a gateway.
pub fn aim_rest_at(config: &mut Config, url: &str) {
    config.discord.dry_run = false;
    config.discord.gateway = false;
    config.discord.token = Some(SecretString::new(standin::FAKE_TOKEN.into()));
    config.discord.api_url = url.to_string();
}

/// POSTs `body` to `url` signed with `secret` now, as Top.gg does: the status and response
/// text, or the transport error. Every signed request of the tests goes through here.
pub async fn post_signed(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    body: &Value,
) -> reqwest::Result<(u16, String)> {
    let body = serde_json::to_vec(body).expect("JSON body");
    topgg_bot::samples::send_signed(client, url, secret, &body).await
}

/// Checks `probe` until it returns `Some`, every few milliseconds, for at most `within`:
/// for conditions outside the stand-in (database rows, HTTP answers), which cannot wake a
/// waiter. The stand-in's own records are awaited with its `wait_*` methods instead.
pub async fn eventually<T, F: Future<Output = Option<T>>>(
    within: Duration,
    mut probe: impl FnMut() -> F,
) -> Option<T> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = probe().await {
            return Some(found);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Declares each listed case as one test on SQLite and one on Postgres (skipped when
/// Postgres is unavailable and not required). Each case is `async fn case(fixture: &F)`,
/// where `F` is [`TestApp`] unless named first: `on_both_backends!(Scratch; case_a, case_b)`.
#[macro_export]
macro_rules! on_both_backends {
    (@fixture $fixture:ty; $($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let backend = $crate::Backend::Sqlite;
                    let fixture = <$fixture as $crate::BackendFixture>::open(backend).await.unwrap();
                    super::$case(&fixture).await;
                    $crate::BackendFixture::close(fixture).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let backend = $crate::Backend::Postgres;
                    let Some(fixture) = <$fixture as $crate::BackendFixture>::open(backend).await else { return };
                    super::$case(&fixture).await;
                    $crate::BackendFixture::close(fixture).await;
                }
            )*
        }
    };
    ($fixture:ident; $($case:ident),* $(,)?) => {
        $crate::on_both_backends!(@fixture super::$fixture; $($case),*);
    };
    ($($case:ident),* $(,)?) => {
        $crate::on_both_backends!(@fixture $crate::TestApp; $($case),*);
    };
}

/// Waits until at least `n` jobs of `db` are done; how many are, or `None` past `within`.
pub async fn jobs_done(db: &topgg_bot::storage::Db, n: usize, within: Duration) -> Option<usize> {
    eventually(within, || async {
        let jobs = db.all_jobs().await.unwrap();
        let done = jobs
            .iter()
            .filter(|j| j.status == topgg_bot::storage::JobStatus::Done)
            .count();
        (done >= n).then_some(done)
    })
    .await
}

/// Waits until no job of `db` is queued (each one done or failed), so nothing more will be
/// sent: what a test counts after that is final. `None` past `within`.
pub async fn queue_drained(db: &topgg_bot::storage::Db, within: Duration) -> Option<()> {
    eventually(within, || async {
        let jobs = db.all_jobs().await.unwrap();
        let queued = topgg_bot::storage::JobStatus::Queued;
        jobs.iter().all(|j| j.status != queued).then_some(())
    })
    .await
}
