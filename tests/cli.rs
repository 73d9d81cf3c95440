//! The binary's commands, run as a user would run them.

use topgg_testkit::process::{BotProcess, Settings, run_to_end as run};
use topgg_testkit::standin::{self, FAKE_TOKEN};
use topgg_testkit::{Backend, TestApp, bot_project};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn a_missing_setting_stops_start_up_with_one_line_naming_the_key_and_no_secret() {
    let env = [("TOPGG_INTEGRATION_SECRET", "super-secret-integration-value")];
    let output = run(&["check"], &env).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("discord.token"), "{stderr}");
    assert!(!stderr.contains("super-secret-integration-value"));
}

#[tokio::test]
async fn an_empty_or_short_integration_secret_stops_start_up_naming_the_key() {
    for secret in ["", "too-short"] {
        let env = [("DISCORD_TOKEN", "t"), ("TOPGG_INTEGRATION_SECRET", secret)];
        let output = run(&["check"], &env).await;
        assert_eq!(output.status.code(), Some(1), "{secret:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains("topgg.integration_secret"), "{stderr}");
        assert!(secret.is_empty() || !stderr.contains(secret), "{stderr}");
    }
}

#[tokio::test]
async fn an_invalid_value_is_named_by_its_key() {
    let env = [
        ("DISCORD_TOKEN", "t"),
        ("TOPGG_INTEGRATION_SECRET", "0123456789abcdef"),
        ("TOPGG_BOT__HTTP__LISTEN", "not-an-address"),
    ];
    let output = run(&["check"], &env).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("http.listen"),
        "{}",
        text(&output.stderr)
    );
}

#[tokio::test]
async fn the_demo_runs_with_no_config_or_token_and_exits_0() {
    let output = run(&["demo"], &[]).await;
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
        ("DISCORD_TOKEN", FAKE_TOKEN),
        ("TOPGG_INTEGRATION_SECRET", "0123456789abcdef"),
        ("DATABASE_URL", db.as_str()),
        ("TOPGG_BOT__DISCORD__API_URL", url.as_str()),
    ];
    let output = run(&["check"], &env).await;
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(
        stdout.contains("database: ok") && stdout.contains("token ok"),
        "{stdout}"
    );
    let asked = discord.requests_matching("GET", "/users/@me");
    assert_eq!(
        asked[0].header("authorization"),
        Some(format!("Bot {}", FAKE_TOKEN).as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_test_signs_a_sample_vote_that_a_deployment_accepts() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    app.connect("conn-cli", "whs_cli", &bot_project()).await;
    let url = format!("{}/topgg/webhooks/conn-cli", app.base);
    let project = bot_project()["id"].as_str().unwrap().to_string();
    let args = [
        "send-test",
        "--url",
        &url,
        "--secret",
        "whs_cli",
        "--project",
        &project,
    ];
    let output = run(&args, &[]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("-> 204"));
    assert_eq!(
        app.db
            .vote_count(&"conn-cli".parse().unwrap())
            .await
            .unwrap(),
        1
    );

    let output = run(&["send-test", "--url", &url, "--secret", "whs_cli"], &[]).await;
    assert_eq!(
        output.status.code(),
        Some(1),
        "the sample project is refused"
    );
    assert!(text(&output.stdout).contains("-> 403"));
    assert!(text(&output.stderr).contains("--project"));

    let output = run(&["send-test", "--url", &url, "--secret", "whs_wrong"], &[]).await;
    assert_eq!(
        output.status.code(),
        Some(1),
        "a rejected event fails the command"
    );
    app.stop().await;
}

/// Runs `topgg-bot run` (dry run) with `public_url` until it listens; returns its log lines.
async fn start_up_logs(public_url: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("w.db").display());
    let mut settings = Settings::new("start-up", &db, "http://127.0.0.1:9");
    settings.extra_env = vec![
        ("TOPGG_BOT__DISCORD__DRY_RUN".into(), "true".into()),
        ("TOPGG_BOT__HTTP__PUBLIC_URL".into(), public_url.into()),
    ];
    let mut bot = BotProcess::start(&settings).await;
    let logs = bot.logs();
    bot.kill().await;
    logs
}

#[tokio::test]
async fn start_up_warns_when_the_public_url_is_not_https_unless_it_is_loopback() {
    let logs = start_up_logs("http://bot.example.com").await;
    assert!(logs.contains("is not https"), "{logs}");
    let https = start_up_logs("https://bot.example.com").await;
    assert!(!https.contains("is not https"), "{https}");
    let loopback = start_up_logs("http://127.0.0.1:9").await;
    assert!(!loopback.contains("is not https"), "{loopback}");
}

/// An integration secret long enough for any start-up check.
const LONG_SECRET: &str = "an-integration-secret-of-32-chars";

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    metadata.permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_its_wal_and_shm_and_a_backup_are_readable_by_their_owner_only() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    app.connect("conn-modes", "whs_modes", &bot_project()).await;
    let file = app.database_url.trim_start_matches("sqlite://").to_string();
    for suffix in ["", "-wal", "-shm"] {
        let path = std::path::PathBuf::from(format!("{file}{suffix}"));
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.db");
    let env = [
        ("TOPGG_INTEGRATION_SECRET", LONG_SECRET),
        ("TOPGG_BOT__DISCORD__DRY_RUN", "true"),
        ("DATABASE_URL", app.database_url.as_str()),
    ];
    let output = run(&["backup", backup.to_str().unwrap()], &env).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(mode(&backup), 0o600);
    app.stop().await;
}

#[tokio::test]
async fn start_up_warns_when_the_config_file_is_readable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let db = format!("sqlite://{}", dir.path().join("w.db").display());
    let toml = format!(
        "[discord]\ndry_run = true\n[topgg]\nintegration_secret = \"{LONG_SECRET}\"\n\
         [database]\nurl = \"{db}\"\n"
    );
    std::fs::write(&config, toml).unwrap();
    let args = ["--config", config.to_str().unwrap(), "migrate"];
    // The file's group is the test's own group, which the bot runs as: 0640 is fine.
    for (mode, warned) in [(0o644, true), (0o604, true), (0o640, false), (0o600, false)] {
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(mode)).unwrap();
        let output = run(&args, &[]).await;
        assert!(output.status.success(), "{}", text(&output.stderr));
        let stderr = text(&output.stderr);
        let warning = stderr.contains("readable by other users");
        assert_eq!(warning, warned, "mode {mode:o}: {stderr}");
    }
}

#[tokio::test]
async fn the_database_password_is_absent_from_a_connection_error_and_from_check() {
    let unreachable = "postgres://bot:pw-never-shown@127.0.0.1:1/votes";
    let env = [
        ("TOPGG_INTEGRATION_SECRET", LONG_SECRET),
        ("TOPGG_BOT__DISCORD__DRY_RUN", "true"),
        ("DATABASE_URL", unreachable),
    ];
    let output = run(&["check"], &env).await;
    assert_eq!(output.status.code(), Some(1));
    let shown = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(!shown.contains("pw-never-shown"), "{shown}");
    assert!(
        shown.contains("postgres://bot:***@127.0.0.1:1/votes"),
        "{shown}"
    );

    // Postgres here trusts local users, so a URL with any password connects.
    let Some((url, name)) = topgg_testkit::postgres::fresh_postgres_database().await else {
        return;
    };
    let with_password = url.replacen("://postgres@", "://postgres:pw-never-shown@", 1);
    assert_ne!(with_password, url, "{url}");
    let env = [env[0], env[1], ("DATABASE_URL", with_password.as_str())];
    let output = run(&["check"], &env).await;
    let shown = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{shown}");
    assert!(
        shown.contains("database: ok (postgres://postgres:***@"),
        "{shown}"
    );
    assert!(!shown.contains("pw-never-shown"), "{shown}");
    topgg_testkit::postgres::drop_postgres_database(&name).await;
}

#[tokio::test]
async fn migrate_and_backup_need_only_the_database_settings() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("only.db").display());
    let backup = dir.path().join("only-backup.db");
    // No token, no dry run, no integration secret: what docs/operations.md's service has
    // outside its secrets.env.
    let env = [("DATABASE_URL", db.as_str())];
    let output = run(&["migrate"], &env).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = run(&["backup", backup.to_str().unwrap()], &env).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(backup.exists());
}
