//! The real `topgg-bot` binary as a child process: configured through the environment,
//! listening on a port it picks, its logs kept for failure reports, killed when dropped; or run
//! to its end, as a user runs a command.

use std::path::PathBuf;
use std::process::{ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;

use crate::app::INTEGRATION_SECRET;
use crate::standin::FAKE_TOKEN;

/// How long a process may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// What a test sets for one instance.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Becomes `HOSTNAME`, so the instance's leases read `<name>-<pid>`.
    pub name: String,
    pub database_url: String,
    pub api_url: String,
    pub lease_secs: u64,
    pub retention_days: u32,
    /// More environment variables, set after the others (such as `TOPGG_BOT__HTTP__...`).
    pub extra_env: Vec<(String, String)>,
    /// `database.spool_path` (default: `topgg-bot-spool.db` in the process's directory).
    pub spool_path: Option<String>,
}

impl Settings {
    pub fn new(name: &str, database_url: &str, api_url: &str) -> Self {
        Self {
            name: name.to_string(),
            database_url: database_url.to_string(),
            api_url: api_url.to_string(),
            lease_secs: 30,
            retention_days: 90,
            extra_env: Vec::new(),
            spool_path: None,
        }
    }

    /// The whole configuration, as environment variables (webhook-and-delivery only).
    fn env(&self) -> Vec<(&'static str, String)> {
        let spool = self
            .spool_path
            .iter()
            .map(|p| ("TOPGG_BOT__DATABASE__SPOOL_PATH", p.clone()));
        let mut env = vec![
            ("HOSTNAME", self.name.clone()),
            ("RUST_LOG", "info,sqlx=warn".into()),
            ("DISCORD_TOKEN", FAKE_TOKEN.into()),
            ("TOPGG_INTEGRATION_SECRET", INTEGRATION_SECRET.into()),
            ("DATABASE_URL", self.database_url.clone()),
            ("TOPGG_BOT__DISCORD__API_URL", self.api_url.clone()),
            ("TOPGG_BOT__DISCORD__GATEWAY", "false".into()),
            ("TOPGG_BOT__HTTP__LISTEN", "127.0.0.1:0".into()),
            ("TOPGG_BOT__LOG__FORMAT", "json".into()),
            (
                "TOPGG_BOT__DELIVERY__LEASE_SECS",
                self.lease_secs.to_string(),
            ),
            (
                "TOPGG_BOT__DATABASE__RETENTION_DAYS",
                self.retention_days.to_string(),
            ),
        ];
        env.extend(spool);
        env
    }

    /// `topgg-bot ARGS` with this configuration, in an empty directory (no stray config.toml).
    pub fn command(&self, dir: &std::path::Path, args: &[&str]) -> Command {
        let mut command = Command::new(bot_binary());
        command
            .args(args)
            .env_clear()
            .envs(self.env())
            .envs(self.extra_env.iter().cloned())
            .current_dir(dir)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }
}

/// The `topgg-bot` binary cargo built for the running test: `CARGO_BIN_EXE_topgg-bot` when
/// set at run time, otherwise next to the test binary's `deps/` directory.
pub fn bot_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CARGO_BIN_EXE_topgg-bot") {
        return path.into();
    }
    let test_binary = std::env::current_exe().expect("the test binary's path");
    let deps = test_binary.parent().expect("the deps directory");
    let binary = deps.with_file_name(format!("topgg-bot{}", std::env::consts::EXE_SUFFIX));
    assert!(binary.exists(), "{} is not built", binary.display());
    binary
}

/// Runs `topgg-bot ARGS` to its end in an empty directory with only the given environment,
/// off the async runtime's threads.
pub async fn run_to_end(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(bot_binary())
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run topgg-bot")
}

/// A running instance. Dropping it kills the process (SIGKILL).
pub struct BotProcess {
    pub name: String,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl BotProcess {
    /// Starts `topgg-bot run` and waits until it listens.
    pub async fn start(settings: &Settings) -> BotProcess {
        let dir = tempfile::tempdir().unwrap();
        let mut child = settings
            .command(dir.path(), &["run"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn topgg-bot");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = oneshot::channel();
        tokio::spawn(collect_logs(
            child.stderr.take().unwrap(),
            Arc::clone(&logs),
            addr_tx,
        ));
        let addr = match tokio::time::timeout(START_TIMEOUT, addr_rx).await {
            Ok(Ok(addr)) => addr,
            _ => panic!(
                "{} did not start listening:\n{}",
                settings.name,
                logs.lock().unwrap().join("\n")
            ),
        };
        BotProcess {
            name: settings.name.clone(),
            base: format!("http://{addr}"),
            child,
            logs,
            _dir: dir,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("the process is running")
    }

    /// Sends SIGTERM (what systemd and container runtimes send to stop a service).
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Sends SIGKILL and reaps the process.
    pub async fn kill(&mut self) {
        self.child.kill().await.expect("SIGKILL");
    }

    /// Waits up to `timeout` for the process to exit.
    pub async fn wait(&mut self, timeout: Duration) -> ExitStatus {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(status) => status.unwrap(),
            Err(_) => panic!(
                "{} still running after {timeout:?}:\n{}",
                self.name,
                self.logs()
            ),
        }
    }

    /// Everything the process logged so far.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- logs of {} ----\n{}", self.name, self.logs());
        }
    }
}

/// Keeps every stderr line and reports the address of the "HTTP server listening" line.
async fn collect_logs(
    stderr: tokio::process::ChildStderr,
    logs: Arc<Mutex<Vec<String>>>,
    addr_tx: oneshot::Sender<String>,
) {
    let mut addr_tx = Some(addr_tx);
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(addr) = listening_addr(&line)
            && let Some(tx) = addr_tx.take()
        {
            let _ = tx.send(addr);
        }
        logs.lock().unwrap().push(line);
    }
}

fn listening_addr(line: &str) -> Option<String> {
    let entry: serde_json::Value = serde_json::from_str(line).ok()?;
    let fields = &entry["fields"];
    (fields["message"] == "HTTP server listening")
        .then(|| fields["addr"].as_str().map(String::from))
        .flatten()
}

impl BotProcess {
    /// Connects `connection` (a server project in the stand-in's guild) through the handshake
    /// route and points its announcements at the stand-in's channel, straight in the database
    /// at `database_url` (as `/topgg channel` would).
    pub async fn connect_announcing(&self, database_url: &str, connection: &str, secret: &str) {
        use topgg_bot::domain::ids::{ChannelId, ConnectionId, GuildId};
        use topgg_bot::domain::keys::LinkRef;

        use crate::standin::{GUILD_ID, POST_CHANNEL_ID};
        let project = crate::server_project(&GUILD_ID.to_string());
        let create = crate::integration_create(connection, secret, &project, crate::OWNER_ID);
        let url = format!("{}/topgg/integration", self.base);
        let client = reqwest::Client::new();
        let (status, _) = crate::post_signed(&client, &url, INTEGRATION_SECRET, &create)
            .await
            .unwrap();
        assert_eq!(status, 200, "the handshake failed");
        let db = topgg_bot::storage::Db::connect(database_url).await.unwrap();
        let (guild, channel) = (GuildId::from(GUILD_ID), ChannelId::from(POST_CHANNEL_ID));
        let connection = ConnectionId::parse(connection).unwrap();
        let set = db.set_channel(LinkRef::new(&guild, &connection), Some(&channel));
        assert!(
            set.await.unwrap(),
            "the connection is not linked to the guild"
        );
        db.close().await;
    }
}
