//! The binary's commands, run as a user would run them.

mod common;
mod standin;

use std::process::{Command, Output};
use topgg_bot::domain::ids::Id;

use common::{Backend, TestApp, bot_project};

const BIN: &str = env!("CARGO_BIN_EXE_topgg-bot");

/// Runs the binary in an empty directory with only the given environment.
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(BIN);
    command.args(args).current_dir(dir.path()).env_clear();
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

/// [`run`] off the async runtime, for tests that also serve something.
async fn run_async(args: &[&str], env: &[(&str, &str)]) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run(&args, &env)
    })
    .await
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_missing_setting_stops_start_up_with_one_line_naming_the_key_and_no_secret() {
    let output = run(&["check"], &[("DISCORD_TOKEN", "super-secret-token-value")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("topgg.integration_secret"), "{stderr}");
    assert!(!stderr.contains("super-secret-token-value"));
}

#[test]
fn an_invalid_value_is_named_by_its_key() {
    let env = [
        ("DISCORD_TOKEN", "t"),
        ("TOPGG_INTEGRATION_SECRET", "s"),
        ("TOPGG_BOT__HTTP__LISTEN", "not-an-address"),
    ];
    let output = run(&["check"], &env);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("http.listen"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn the_demo_runs_with_no_config_or_token_and_exits_0() {
    let output = run(&["demo"], &[]);
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(
        stdout.contains(r#""routes":["vote.create","webhook.test"]"#),
        "{stdout}"
    );
    assert!(stdout.contains("<- 401"), "{stdout}");
    assert!(
        stdout.contains("What Discord would have received (4 calls)"),
        "{stdout}"
    );
    for shown in [
        r#""embeds""#,
        "Demo Server",
        r#""style": 5"#,
        r#""icon_url""#,
    ] {
        assert!(stdout.contains(shown), "the demo shows {shown}: {stdout}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_verifies_the_database_and_the_token_with_discord() {
    let discord = standin::DiscordStandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("check.db").display());
    let url = discord.url();
    let env = [
        ("DISCORD_TOKEN", standin::FAKE_TOKEN),
        ("TOPGG_INTEGRATION_SECRET", "s"),
        ("DATABASE_URL", db.as_str()),
        ("TOPGG_BOT__DISCORD__API_URL", url.as_str()),
    ];
    let output = run_async(&["check"], &env).await;
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(
        stdout.contains("database: ok") && stdout.contains("token ok"),
        "{stdout}"
    );
    let asked = discord.requests_matching("GET", "/users/@me");
    assert_eq!(
        asked[0].header("authorization"),
        Some(format!("Bot {}", standin::FAKE_TOKEN).as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_test_signs_a_sample_vote_that_a_deployment_accepts() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    app.connect("conn-cli", "whs_cli", &bot_project()).await;
    let url = format!("{}/topgg/webhooks/conn-cli", app.base);
    let output = run_async(&["send-test", "--url", &url, "--secret", "whs_cli"], &[]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("-> 204"));
    assert_eq!(app.db.vote_count(&Id::new("conn-cli")).await.unwrap(), 1);

    let output = run_async(&["send-test", "--url", &url, "--secret", "whs_wrong"], &[]).await;
    assert_eq!(
        output.status.code(),
        Some(1),
        "a rejected event fails the command"
    );
    app.stop().await;
}

/// Runs `topgg-bot run` (dry run) with `public_url` until it listens; returns its log lines.
fn start_up_logs(public_url: &str) -> String {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("w.db").display());
    let mut child = Command::new(BIN)
        .arg("run")
        .current_dir(dir.path())
        .env_clear()
        .envs([
            ("TOPGG_INTEGRATION_SECRET", "s"),
            ("TOPGG_BOT__DISCORD__DRY_RUN", "true"),
            ("TOPGG_BOT__HTTP__LISTEN", "127.0.0.1:0"),
            ("TOPGG_BOT__HTTP__PUBLIC_URL", public_url),
            ("DATABASE_URL", db.as_str()),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut logs = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let listening = line.contains("HTTP server listening");
        logs.push(line);
        if listening {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    logs.join("\n")
}

#[test]
fn start_up_warns_when_the_public_url_is_not_https_unless_it_is_loopback() {
    let logs = start_up_logs("http://bot.example.com");
    assert!(logs.contains("is not https"), "{logs}");
    assert!(!start_up_logs("https://bot.example.com").contains("is not https"));
    assert!(!start_up_logs("http://127.0.0.1:9").contains("is not https"));
}
