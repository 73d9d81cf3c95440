//! `/metrics` of a real instance: well-formed Prometheus text whose figures match the traffic.

use std::time::Duration;

use serde_json::json;

use crate::operations::prometheus::{self, Exposition};
use crate::operations::{CONNECTION, SECRET, Site};
use topgg_testkit::process::BotProcess;
use topgg_testkit::{bounded, eventually};

const WEBHOOKS: &str = "/topgg/webhooks/{connection_id}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_as_prometheus_text_and_count_what_was_sent() {
    let Some(site) = Site::start().await else {
        return;
    };
    bounded(Duration::from_secs(90), async {
        let bot = BotProcess::start(&site.settings("metrics")).await;
        site.connect(&bot).await;
        send_mixed_traffic(&site, &bot.base).await;
        let done = [("kind", "announce"), ("outcome", "done")];
        // The action is counted just before the job is settled in the database.
        let m = scrape_until(&site, &bot.base, |m| {
            m.value("topgg_bot_discord_actions_total", &done) == Some(5.0)
                && m.value("topgg_bot_queue_depth", &[]) == Some(0.0)
        })
        .await;

        let webhook = |outcome| {
            m.value(
                "topgg_bot_webhook_requests_total",
                &[("route", WEBHOOKS), ("outcome", outcome)],
            )
        };
        let accepted = "5 votes, 2 duplicates and a dead letter";
        assert_eq!(webhook("accepted"), Some(8.0), "{accepted}");
        assert_eq!(webhook("unauthorized"), Some(3.0));
        let dead = [("source", "webhook")];
        assert_eq!(m.value("topgg_bot_dead_letters_total", &dead), Some(1.0));
        assert_eq!(webhook("not_found"), Some(1.0));
        let handshake = [("route", "/topgg/integration"), ("outcome", "accepted")];
        assert_eq!(
            m.value("topgg_bot_webhook_requests_total", &handshake),
            Some(1.0)
        );
        assert_eq!(m.value("topgg_bot_votes_stored_total", &[]), Some(5.0));
        assert_eq!(m.value("topgg_bot_votes_duplicate_total", &[]), Some(2.0));
        assert_eq!(m.value("topgg_bot_queue_depth", &[]), Some(0.0));
        assert_eq!(m.value("topgg_bot_queue_failed_jobs", &[]), Some(0.0));
        assert_eq!(
            m.value("topgg_bot_queue_oldest_due_age_seconds", &[]),
            Some(0.0)
        );
        let latency = "topgg_bot_http_request_duration_seconds";
        assert_eq!(m.types.get(latency).map(String::as_str), Some("histogram"));
        let count = m.value(&format!("{latency}_count"), &[("route", WEBHOOKS)]);
        let inf = m.value(
            &format!("{latency}_bucket"),
            &[("route", WEBHOOKS), ("le", "+Inf")],
        );
        assert_eq!((count, inf), (Some(12.0), Some(12.0)));

        // Discord down: the queue gauges show the waiting announcement.
        site.standin.set_down(true);
        assert_eq!(site.vote(&bot.base, "m-late", "1").await.unwrap(), 204);
        let retry = [("kind", "announce"), ("outcome", "retry")];
        // The queue gauges are read in the background every few seconds.
        let m = scrape_until(&site, &bot.base, |m| {
            m.value("topgg_bot_discord_actions_total", &retry).is_some()
                && m.value("topgg_bot_queue_depth", &[]) == Some(1.0)
        })
        .await;
        assert_eq!(m.value("topgg_bot_queue_depth", &[]), Some(1.0));
        assert_eq!(m.value("topgg_bot_votes_stored_total", &[]), Some(6.0));
        site.standin.set_down(false);
    })
    .await;
    site.finish().await;
}

/// 5 votes, 2 of them again, 3 bad signatures, 1 malformed event, 1 unknown connection.
async fn send_mixed_traffic(site: &Site, base: &str) {
    for i in 0..5 {
        assert_eq!(site.vote(base, &format!("m-{i}"), "1").await.unwrap(), 204);
    }
    for i in 0..2 {
        assert_eq!(site.vote(base, &format!("m-{i}"), "1").await.unwrap(), 204);
    }
    let path = format!("/topgg/webhooks/{CONNECTION}");
    let vote = crate::operations::vote_body("m-x", "1");
    for _ in 0..3 {
        let status = site.post(base, &path, "whs_wrong", &vote).await.unwrap();
        assert_eq!(status, 401);
    }
    let malformed = json!({"type": "vote.create", "data": {}});
    assert_eq!(site.webhook(base, &malformed).await.unwrap(), 202);
    let unknown = site.post(base, "/topgg/webhooks/nope", SECRET, &vote);
    assert_eq!(unknown.await.unwrap(), 404);
}

/// Scrapes `/metrics` (checking it parses every time) until `done` holds.
async fn scrape_until(site: &Site, base: &str, done: impl Fn(&Exposition) -> bool) -> Exposition {
    let shown = eventually(Duration::from_secs(20), || async {
        let (parsed, _) = scrape(site, base).await;
        done(&parsed).then_some(parsed)
    })
    .await;
    match shown {
        Some(parsed) => parsed,
        None => panic!("metrics never showed it:\n{}", scrape(site, base).await.1),
    }
}

/// One scrape of `/metrics`, checked to be Prometheus' text format: parsed, and as sent.
async fn scrape(site: &Site, base: &str) -> (Exposition, String) {
    let url = format!("{base}/metrics");
    let response = site.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    let parsed = prometheus::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (parsed, text)
}
