//! The real application on a real socket, over a real SQLite file or a fresh database on the
//! real Postgres server.

use std::future::Future;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;
use tokio::net::TcpListener;
use topgg_bot::app::Application;
use topgg_bot::config::Config;
use topgg_bot::domain::time::{SharedClock, SystemClock};
use topgg_bot::samples;
use topgg_bot::storage::{ConnectionCache, Db};

use crate::postgres::{drop_postgres_database, fresh_postgres_database};

pub const INTEGRATION_SECRET: &str = "test-integration-secret";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The URL of a fresh database on this backend (a file `name` in `dir` for SQLite), and
    /// the Postgres database's name to drop afterwards; `None` when Postgres is unavailable
    /// and not required.
    pub async fn fresh_database(
        self,
        dir: &std::path::Path,
        name: &str,
    ) -> Option<(String, Option<String>)> {
        match self {
            Backend::Sqlite => Some((format!("sqlite://{}", dir.join(name).display()), None)),
            Backend::Postgres => {
                let (url, name) = fresh_postgres_database().await?;
                Some((url, Some(name)))
            }
        }
    }
}

/// A running application and what a test needs to talk to it.
pub struct TestApp {
    pub base: String,
    pub db: Db,
    /// The connections the app knows (and how many queries it made to know them).
    pub connections: ConnectionCache,
    pub client: reqwest::Client,
    pub database_url: String,
    /// The app's clock: the system clock unless started with [`TestApp::start_with_clock`].
    pub clock: SharedClock,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<Server>,
    postgres_db: Option<String>,
}

impl TestApp {
    /// Starts the app on port 0; `None` when Postgres is wanted but unavailable (and not
    /// required by `TOPGG_TEST_REQUIRE_POSTGRES=1`).
    pub async fn start(backend: Backend) -> Option<TestApp> {
        Self::start_with(backend, |_| {}).await
    }

    /// Like [`TestApp::start`], letting the test adjust the configuration.
    pub async fn start_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Option<TestApp> {
        Self::start_with_clock(backend, SystemClock::shared(), adjust).await
    }

    /// Like [`TestApp::start_with`], the app reading the time from `clock` (kept on restart).
    pub async fn start_with_clock(
        backend: Backend,
        clock: SharedClock,
        adjust: impl FnOnce(&mut Config),
    ) -> Option<TestApp> {
        let dir = tempfile::tempdir().unwrap();
        let (database_url, postgres_db) = backend.fresh_database(dir.path(), "test.db").await?;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut config = test_config(&database_url, &base);
        config.database.spool_path = spool_path(&dir);
        adjust(&mut config);
        let (db, connections, stop, server) = serve(config, listener, clock.clone()).await;
        Some(TestApp {
            base,
            db,
            connections,
            client: reqwest::Client::new(),
            database_url,
            clock,
            _dir: dir,
            stop: Some(stop),
            server: Some(server),
            postgres_db,
        })
    }

    /// Stops the server (leaving the database) and starts a new one on the same database.
    pub async fn restart(mut self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        self.shut_down().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut config = test_config(&self.database_url, &base);
        config.database.spool_path = spool_path(&self._dir);
        adjust(&mut config);
        let (db, connections, stop, server) = serve(config, listener, self.clock.clone()).await;
        TestApp {
            base,
            db,
            connections,
            stop: Some(stop),
            server: Some(server),
            ..self
        }
    }

    async fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }

    /// Stops the server and drops the Postgres database it used.
    pub async fn stop(mut self) {
        self.shut_down().await;
        if let Some(name) = self.postgres_db.take() {
            drop_postgres_database(&name).await;
        }
    }

    /// Waits until the worker has acted on everything due (no queued job is due now), so a
    /// test can assert that nothing more happened. Fails the test after [`SETTLE_LIMIT`].
    pub async fn settle(&self) {
        settled(&self.db, &self.clock).await;
    }

    /// POSTs `body` to `path` with the given signature header (or none).
    pub async fn post(
        &self,
        path: &str,
        signature: Option<String>,
        body: Vec<u8>,
    ) -> (u16, String) {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(signature) = signature {
            request = request.header("x-topgg-signature", signature);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// POSTs `body` to `path` signed with `secret` now (on the app's clock).
    pub async fn post_signed(&self, path: &str, secret: &str, body: &Value) -> (u16, String) {
        let url = format!("{}{path}", self.base);
        let body = serde_json::to_vec(body).expect("JSON body");
        let now = self.clock.now().as_secs();
        samples::send_signed_at(&self.client, &url, secret, &body, now)
            .await
            .expect("the app answers")
    }

    /// Runs the handshake for a connection; returns the reply JSON.
    pub async fn connect(
        &self,
        connection_id: &str,
        webhook_secret: &str,
        project: &Value,
    ) -> Value {
        let body = integration_create(connection_id, webhook_secret, project, OWNER_ID);
        let (status, text) = self
            .post_signed("/topgg/integration", INTEGRATION_SECRET, &body)
            .await;
        assert_eq!(status, 200, "{text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Sends a signed event to a connection's webhook URL.
    pub async fn webhook(&self, connection_id: &str, secret: &str, body: &Value) -> (u16, String) {
        self.post_signed(&format!("/topgg/webhooks/{connection_id}"), secret, body)
            .await
    }
}

/// How long [`TestApp::settle`] waits for the worker before failing the test.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(30);

/// Waits until no queued job of `db` is due now on `clock` (jobs in progress are still
/// queued).
pub async fn settled(db: &Db, clock: &SharedClock) {
    let idle = crate::eventually(SETTLE_LIMIT, || async {
        let now = clock.now();
        let due = db.next_due_at().await.expect("read the queue");
        due.is_none_or(|at| at > now).then_some(())
    })
    .await;
    assert!(idle.is_some(), "work still due after {SETTLE_LIMIT:?}");
}

type Server = tokio::task::JoinHandle<anyhow::Result<()>>;

/// The app's spool (used with Postgres) in the test's own directory.
fn spool_path(dir: &tempfile::TempDir) -> String {
    dir.path().join("spool.db").display().to_string()
}

/// Dry-run Discord, no gateway, the test integration secret.
fn test_config(database_url: &str, base: &str) -> Config {
    let mut config = Config::default();
    config.discord.dry_run = true;
    config.discord.gateway = false;
    config.topgg.integration_secret = Some(SecretString::new(INTEGRATION_SECRET.into()));
    config.database.url = database_url.into();
    config.http.public_url = base.to_string();
    config
}

async fn serve(
    config: Config,
    listener: TcpListener,
    clock: SharedClock,
) -> (
    Db,
    ConnectionCache,
    tokio::sync::oneshot::Sender<()>,
    Server,
) {
    let app = Application::with_listener_and_clock(config, listener, clock)
        .await
        .unwrap();
    let db = app.db().clone();
    let connections = app.connections().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    (db, connections, stop, server)
}

pub const OWNER_ID: &str = "400000000000000001";

pub fn bot_project() -> Value {
    samples::sample_project("800000000000000001", "bot", "810000000000000001")
}

pub fn server_project(guild_id: &str) -> Value {
    samples::sample_project("800000000000000002", "server", guild_id)
}

pub fn integration_create(
    connection_id: &str,
    secret: &str,
    project: &Value,
    owner: &str,
) -> Value {
    samples::sample_integration_create(connection_id, secret, project, owner)
}

pub fn vote(id: &str, project: &Value, voter: &str) -> Value {
    samples::sample_vote(id, project, voter, "voter")
}

/// What [`crate::on_both_backends!`] opens for each case, on each backend, and closes after.
pub trait BackendFixture: Sized {
    /// `None` when the backend is unavailable and not required: the case is skipped.
    fn open(backend: Backend) -> impl Future<Output = Option<Self>>;
    fn close(self) -> impl Future<Output = ()>;
}

impl BackendFixture for TestApp {
    async fn open(backend: Backend) -> Option<Self> {
        TestApp::start(backend).await
    }

    async fn close(self) {
        self.stop().await;
    }
}
