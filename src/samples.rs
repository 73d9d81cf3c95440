//! Sample Top.gg events, shaped and signed as Top.gg sends them: for `send-test`, the demo,
//! the load generator and the tests.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::domain::signature;

/// A sample `vote.create` body, cast now (each sample a millisecond after the one before at
/// the least: a vote is identified by its voter and `created_at` too, and one voter cannot
/// vote twice at one instant).
pub fn sample_vote(vote_id: &str, project: &Value, voter_id: &str, voter_name: &str) -> Value {
    let now = distinct_now();
    json!({"type": "vote.create", "data": {
        "id": vote_id,
        "weight": 1,
        "created_at": now.to_rfc3339(),
        "expires_at": (now + Duration::hours(12)).to_rfc3339(),
        "project": project,
        "query": {"ref": "send-test"},
        "user": {"id": format!("topgg-{voter_id}"), "platform_id": voter_id, "name": voter_name,
                 "avatar_url": "https://cdn.discordapp.com/embed/avatars/0.png"},
    }})
}

/// Now, to the millisecond, and later than every earlier call's answer.
fn distinct_now() -> DateTime<Utc> {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = Utc::now().timestamp_millis();
    let previous = LAST.fetch_max(now, Ordering::SeqCst);
    let at = match previous >= now {
        true => LAST.fetch_add(1, Ordering::SeqCst) + 1,
        false => now,
    };
    DateTime::from_timestamp_millis(at).unwrap_or_default()
}

/// A sample `webhook.test` body.
pub fn sample_webhook_test(project: &Value) -> Value {
    json!({"type": "webhook.test", "data": {
        "project": project,
        "user": {"id": "topgg-1", "platform_id": "1", "name": "topgg-bot send-test", "avatar_url": ""},
    }})
}

/// A sample `integration.create` body.
pub fn sample_integration_create(
    connection_id: &str,
    webhook_secret: &str,
    project: &Value,
    owner_id: &str,
) -> Value {
    json!({"type": "integration.create", "data": {
        "connection_id": connection_id,
        "webhook_secret": webhook_secret,
        "project": project,
        "user": {"id": format!("topgg-{owner_id}"), "platform_id": owner_id, "name": "owner", "avatar_url": ""},
    }})
}

/// A project object.
pub fn sample_project(id: &str, kind: &str, platform_id: &str) -> Value {
    json!({"id": id, "type": kind, "platform": "discord", "platform_id": platform_id})
}

/// POSTs `body` signed with `secret` now, as Top.gg does; returns the status and response
/// text, or the transport error.
pub async fn send_signed(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    body: &[u8],
) -> reqwest::Result<(u16, String)> {
    send_signed_at(client, url, secret, body, Utc::now().timestamp()).await
}

/// Like [`send_signed`], signed as if sent at `unix_secs` (a test's clock).
pub async fn send_signed_at(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    body: &[u8],
    unix_secs: i64,
) -> reqwest::Result<(u16, String)> {
    let header = signature::sign(secret, unix_secs, body);
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-topgg-signature", header)
        .header(
            "x-topgg-trace",
            format!("send-test-{}", Utc::now().timestamp_millis()),
        )
        .body(body.to_vec())
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.text().await.unwrap_or_default()))
}
