//! A flood of bad signatures, on both POST routes, is counted in full in /metrics but
//! logged only a few lines.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::Value;

use crate::exposed::{sample, scrape};
use topgg_testkit::process::{BotProcess, Settings};
use topgg_testkit::{INTEGRATION_SECRET, OWNER_ID, integration_create, server_project, vote};
use topgg_testkit::{bounded, post_signed};

const CONNECTION: &str = "conn-exposed";
const SECRET: &str = "whs_exposed";
const PER_ROUTE: usize = 500;

/// POSTs `body` to `url` signed with `secret`; the status.
async fn post(client: &reqwest::Client, url: &str, secret: &str, body: &Value) -> u16 {
    let (status, _) = post_signed(client, url, secret, body).await.expect("send");
    status
}

fn rejections(metrics: &str, route: &str) -> f64 {
    let series = format!(
        "topgg_bot_http_rejections_total{{route=\"{route}\",reason=\"signature_mismatch\"}}"
    );
    sample(metrics, &series)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_bad_signatures_are_all_counted_but_logged_only_a_few_lines() {
    bounded(Duration::from_secs(120), async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("rej.db").display());
        let bot = BotProcess::start(&Settings::new("rej", &url, "http://127.0.0.1:9")).await;
        let client = reqwest::Client::new();
        let project = server_project("1100000000000000001");
        let create = integration_create(CONNECTION, SECRET, &project, OWNER_ID);
        let config_url = format!("{}/topgg/integration", bot.base);
        let status = post(&client, &config_url, INTEGRATION_SECRET, &create).await;
        assert_eq!(status, 200);
        let hook = format!("{}/topgg/webhooks/{CONNECTION}", bot.base);
        let body = vote("bad-1", &project, "1");
        let started = Instant::now();
        let targets = (0..PER_ROUTE).flat_map(|_| [&hook, &config_url]);
        let statuses: Vec<u16> = futures_util::stream::iter(targets)
            .map(|target| post(&client, target, "whs_wrong", &body))
            .buffer_unordered(8)
            .collect()
            .await;
        let took = started.elapsed();
        assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
        let metrics = scrape(&bot.base).await;
        let webhook_route = "/topgg/webhooks/{connection_id}";
        assert_eq!(
            rejections(&metrics, webhook_route),
            PER_ROUTE as f64,
            "{metrics}"
        );
        assert_eq!(rejections(&metrics, "/topgg/integration"), PER_ROUTE as f64);
        let lines = bot.logs();
        let logged = lines
            .lines()
            .filter(|l| l.contains("request rejected"))
            .count();
        // One line per route and reason every 10 s, for the two routes.
        let allowed = 2 * (2 + took.as_secs() as usize / 10);
        assert!(logged >= 2, "each kind is logged once: {logged}");
        assert!(logged <= allowed, "{logged} lines in {took:?}:\n{lines}");
    })
    .await;
}
