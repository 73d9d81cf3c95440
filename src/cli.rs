//! The command line: `topgg-bot [--config PATH]
//! [run|demo|migrate|check|send-test|backup|dead-letters]`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::app::{Application, shutdown_signal};
use crate::config::{Config, DatabaseConfig, DatabaseUrl, LogFormat};
use crate::domain::time::{Clock, SystemClock};
use crate::send_test::SampleEvent;
use crate::storage::Db;
use crate::telemetry;

#[derive(Parser)]
#[command(
    name = "topgg-bot",
    version,
    about = "A Discord vote bot for Top.gg integrations"
)]
struct Cli {
    /// Path of the configuration file (default: ./config.toml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the bot and the HTTP server until SIGINT/SIGTERM (the default).
    Run,
    /// Show the whole flow on a temporary database with a dry-run Discord; needs no config.
    Demo,
    /// Apply database migrations and exit.
    Migrate,
    /// Check the configuration, the database and the Discord token.
    Check,
    /// Sign a sample event and send it to a deployment.
    SendTest {
        /// The webhook or configuration URL to send to.
        #[arg(long)]
        url: String,
        /// The secret to sign with (the connection's webhook secret, or the integration secret).
        #[arg(long, env = "TOPGG_SEND_TEST_SECRET", hide_env_values = true)]
        secret: String,
        #[arg(long, value_enum, default_value = "vote.create")]
        event: SampleEvent,
        /// The Top.gg project id the sample names: a connection refuses a vote for another
        /// project than its own (403), so pass yours to see a vote accepted.
        #[arg(long, default_value = crate::send_test::SAMPLE_PROJECT)]
        project: String,
    },
    /// Write a consistent copy of the SQLite database to PATH, also while the bot runs
    /// (Postgres: use pg_dump).
    Backup {
        /// Where to write the copy; must not exist yet.
        path: PathBuf,
    },
    /// The signed events the bot could not read (and spooled votes it could not move):
    /// list them (the default) or replay them. Needs only the database settings.
    DeadLetters {
        #[command(subcommand)]
        action: Option<DeadLetterAction>,
    },
}

#[derive(Subcommand, Clone, Copy)]
enum DeadLetterAction {
    /// Show each letter: id, time, connection, why, and an excerpt of its body (no secrets).
    List,
    /// Read each waiting letter with this version and apply it as if just received (each at
    /// most once); a letter still unreadable stays, with the new reason.
    Replay,
}

/// Parses the command line, runs the command and maps failure to exit code 1 with one line.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Run) {
        Command::Demo => {
            telemetry::init(LogFormat::Text, "error");
            crate::demo::run().await
        }
        Command::SendTest {
            url,
            secret,
            event,
            project,
        } => crate::send_test::run(&url, &secret, event, &project).await,
        Command::Run => {
            let config = load(cli.config)?;
            let shutdown = shutdown_signal();
            Application::build(config).await?.run_until(shutdown).await
        }
        Command::Migrate => {
            let database = load_database(cli.config)?;
            open_database(&database.url).await?.migrate().await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Check => {
            let config = load(cli.config)?;
            let db = open_database(&config.database.url).await?;
            db.migrate().await?;
            println!("config: ok\ndatabase: ok ({})", config.database.url);
            println!("discord: {}", crate::discord::check_token(&config).await?);
            Ok(())
        }
        Command::Backup { path } => {
            let database = load_database(cli.config)?;
            open_database(&database.url).await?.backup_to(&path).await?;
            println!("backup written to {}", path.display());
            Ok(())
        }
        Command::DeadLetters { action } => {
            let database = load_database(cli.config)?;
            dead_letters(&database, action.unwrap_or(DeadLetterAction::List)).await
        }
    }
}

async fn dead_letters(database: &DatabaseConfig, action: DeadLetterAction) -> anyhow::Result<()> {
    let db = open_database(&database.url).await?;
    db.migrate().await?;
    match action {
        DeadLetterAction::List => {
            print!(
                "{}",
                crate::dead_letters::render_list(&db.dead_letters().await?)
            );
        }
        DeadLetterAction::Replay => {
            let done = crate::dead_letters::replay(&db, SystemClock.now()).await?;
            for line in &done.lines {
                println!("{line}");
            }
            println!("replayed: {} applied, {} kept", done.applied, done.kept);
        }
    }
    db.close().await;
    Ok(())
}

/// Connects to `url`; a failure names the database with its password masked.
async fn open_database(url: &DatabaseUrl) -> anyhow::Result<Db> {
    Db::connect(url.expose())
        .await
        .with_context(|| format!("database {url}"))
}

fn load(path: Option<PathBuf>) -> anyhow::Result<Config> {
    let config = Config::load(path.as_deref())?;
    telemetry::init(config.log.format, telemetry::DEFAULT_FILTER);
    warn_if_readable(path.as_deref());
    Ok(config)
}

/// Only the database settings (no token or integration secret needed).
fn load_database(path: Option<PathBuf>) -> anyhow::Result<DatabaseConfig> {
    let database = Config::load_database(path.as_deref())?;
    telemetry::init(LogFormat::Text, telemetry::DEFAULT_FILTER);
    warn_if_readable(path.as_deref());
    Ok(database)
}

/// Warns when the configuration file, which may hold the token and secrets, is readable by
/// others, or by a group other than the bot's own (`root:topgg-bot 0640`, as
/// docs/operations.md installs it, is fine).
fn warn_if_readable(path: Option<&Path>) {
    use std::os::unix::fs::MetadataExt;
    let path = path.unwrap_or(Path::new("config.toml"));
    let Ok(metadata) = std::fs::metadata(path) else {
        return;
    };
    let mode = metadata.mode() & 0o777;
    // /proc/self belongs to the process's effective user and group.
    let own_group = std::fs::metadata("/proc/self").map(|m| m.gid()).ok();
    let group_reads = mode & 0o040 != 0 && own_group != Some(metadata.gid());
    if mode & 0o004 != 0 || group_reads {
        tracing::warn!(file = %path.display(), mode = format!("{mode:03o}"),
            "the configuration file is readable by other users and may hold secrets: chmod 600 it");
    }
}
