//! Discord's session start limit: every IDENTIFY spends one of about 1,000 session starts a
//! day, and a bot that runs out has its token reset. Before starting shards the bot reads
//! `GET /gateway/bot` and, when fewer starts remain than it has shards to start, waits for
//! `reset_after` instead (one log line, `/readyz` 503 saying why; webhooks are served).
//!
//! `max_concurrency` (IDENTIFYs per 5 s) needs nothing here: serenity's shard queuer starts
//! one shard at a time, 5 s apart, which is within any `max_concurrency` (at least 1).

use std::time::Duration;

use anyhow::Context as _;
use poise::serenity_prelude as serenity;
use tokio_util::sync::CancellationToken;

use super::readiness::GatewayStatus;

/// The shortest wait for the limit to reset (Discord may answer `reset_after: 0`).
const MIN_WAIT: Duration = Duration::from_secs(1);

/// The gateway's recommended shard count and session start limit once `needed` sessions may
/// start (`None`: the recommended count); `None` when stopped meanwhile.
pub async fn wait_for_session_starts(
    http: &serenity::Http,
    needed: Option<u32>,
    status: &GatewayStatus,
    stop: &CancellationToken,
) -> anyhow::Result<Option<serenity::BotGateway>> {
    let mut told = false;
    loop {
        let gateway = http
            .get_bot_gateway()
            .await
            .context("cannot ask Discord for the gateway's limits (GET /gateway/bot)")?;
        let needed = needed.unwrap_or(gateway.shards);
        let limit = &gateway.session_start_limit;
        if limit.remaining >= u64::from(needed) {
            status.hold(None);
            return Ok(Some(gateway));
        }
        let wait = Duration::from_millis(limit.reset_after).max(MIN_WAIT);
        let why = held_reason(limit, needed, wait);
        if !told {
            tracing::error!(
                remaining = limit.remaining,
                total = limit.total,
                needed,
                reset_after_secs = wait.as_secs(),
                "Discord's session start limit is spent: not identifying until it resets"
            );
            told = true;
        }
        status.hold(Some(why));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.cancelled() => return Ok(None),
        }
    }
}

/// What `/readyz` says while the limit holds the gateway back.
fn held_reason(limit: &serenity::SessionStartLimit, needed: u32, wait: Duration) -> String {
    format!(
        "waiting for Discord's session start limit: {} of {} left, {needed} needed, resets in {} s",
        limit.remaining,
        limit.total,
        wait.as_secs()
    )
}
