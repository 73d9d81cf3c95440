//! The command line: `topgg-bot [--config PATH] [run|demo|migrate|check|send-test|backup]`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::{Application, shutdown_signal};
use crate::config::{Config, LogFormat};
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
    },
    /// Write a consistent copy of the SQLite database to PATH, also while the bot runs
    /// (Postgres: use pg_dump).
    Backup {
        /// Where to write the copy; must not exist yet.
        path: PathBuf,
    },
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
        Command::SendTest { url, secret, event } => {
            crate::send_test::run(&url, &secret, event).await
        }
        Command::Run => {
            let config = load(cli.config)?;
            let shutdown = shutdown_signal();
            Application::build(config).await?.run_until(shutdown).await
        }
        Command::Migrate => {
            let config = load(cli.config)?;
            Db::connect(&config.database.url).await?.migrate().await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Check => {
            let config = load(cli.config)?;
            let db = Db::connect(&config.database.url).await?;
            db.migrate().await?;
            println!("config: ok\ndatabase: ok");
            println!("discord: {}", crate::discord::check_token(&config).await?);
            Ok(())
        }
        Command::Backup { path } => {
            let config = load(cli.config)?;
            Db::connect(&config.database.url)
                .await?
                .backup_to(&path)
                .await?;
            println!("backup written to {}", path.display());
            Ok(())
        }
    }
}

fn load(path: Option<PathBuf>) -> anyhow::Result<Config> {
    let config = Config::load(path.as_deref())?;
    telemetry::init(config.log.format, telemetry::DEFAULT_FILTER);
    Ok(config)
}
