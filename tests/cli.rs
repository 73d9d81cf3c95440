//! The binary's commands, run as a user would run them.

use topgg_testkit::process::{BotProcess, Settings, run_to_end as run};
use topgg_testkit::standin::{self, FAKE_TOKEN};
use topgg_testkit::{Backend, TestApp, bot_project};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn a_missing_setting_stops_start_up_with_one_line_naming_the_key_and_no_secret() {
    let output = run(&["check"], &[("DISCORD_TOKEN", "super-secret-token-value")]).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("topgg.integration_secret"), "{stderr}");
    assert!(!stderr.contains("super-secret-token-value"));
}

#[tokio::test]
async fn an_invalid_value_is_named_by_its_key() {
    let env = [
        ("DISCORD_TOKEN", "t"),
        ("TOPGG_INTEGRATION_SECRET", "s"),
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
        ("TOPGG_INTEGRATION_SECRET", "s"),
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
    let output = run(&["send-test", "--url", &url, "--secret", "whs_cli"], &[]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("-> 204"));
    assert_eq!(
        app.db
            .vote_count(&"conn-cli".parse().unwrap())
            .await
            .unwrap(),
        1
    );

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
