//! Phases measured at the Discord stand-in: vote-to-Discord-call latency with an idle queue,
//! and how long a burst for one channel takes to be announced under Discord's channel limit.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use topgg_bot::domain::ids::{GuildId, VoteId};
use topgg_bot::domain::nonce::announcement_nonce;

use crate::load::{self, Pace};
use crate::standin::DiscordStandIn;
use crate::votes::{Connection, vote_id, vote_requests, voter_id};

/// Vote-to-Discord-call latency of a paced probe.
pub struct Probe {
    pub acked: usize,
    pub delivered: usize,
    /// Microseconds from the client receiving 204 to the stand-in recording the message
    /// (0 when the message was recorded first).
    pub latency_us: Histogram<u64>,
    /// Messages the stand-in recorded before the 204 reached the client.
    pub before_ack: usize,
}

/// Sends `count` votes at `rate`/s on `connection` (announced in `channel`) and times each
/// from its 204 to the stand-in's record of its message (matched by nonce).
pub async fn probe(
    addr: SocketAddr,
    standin: &DiscordStandIn,
    connection: &Connection,
    guild_id: &str,
    channel: u64,
    count: u64,
    rate: u64,
) -> Probe {
    let prefix = format!("probe-{}", std::process::id());
    let make = vote_requests(
        vec![connection.clone()],
        guild_id.into(),
        prefix.clone(),
        count,
    );
    let duration = Duration::from_secs_f64(count as f64 / rate as f64 + 1.0);
    let pace = Pace::Rate {
        per_sec: rate,
        connections: 1,
    };
    let outcome = load::run(addr, pace, duration, count, make).await;
    let guild = GuildId::parse(guild_id).expect("a guild id");
    let acked: HashMap<String, Instant> = outcome
        .acked
        .iter()
        .map(|(i, at)| {
            let vote = VoteId::parse(&vote_id(&prefix, *i)).expect("a vote id");
            (announcement_nonce(&vote, &guild), *at)
        })
        .collect();
    let path = format!("/channels/{channel}/messages");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut latency_us = Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds");
    let (mut delivered, mut before_ack) = (0, 0);
    loop {
        let recorded = standin.requests_matching("POST", &path);
        let seen: HashMap<&str, Instant> = recorded
            .iter()
            .filter(|r| r.status == 200)
            .filter_map(|r| Some((r.body["nonce"].as_str()?, r.at)))
            .collect();
        if seen.len() >= acked.len() || Instant::now() > deadline {
            for (nonce, acked_at) in &acked {
                let Some(at) = seen.get(nonce.as_str()) else {
                    continue;
                };
                delivered += 1;
                let micros = at.saturating_duration_since(*acked_at).as_micros() as u64;
                before_ack += usize::from(*at < *acked_at);
                latency_us.saturating_record(micros.max(1));
            }
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Probe {
        acked: acked.len(),
        delivered,
        latency_us,
        before_ack,
    }
}

/// How a burst for one channel was announced.
pub struct Burst {
    pub sent: u64,
    pub acked: u64,
    pub announced: usize,
    pub elapsed: Duration,
    pub messages: usize,
    pub rate_limits: usize,
    pub violations: usize,
}

/// Sends `count` votes from distinct voters for one channel with the stand-in limiting each
/// channel to 5 messages per 5 s; waits (at most `timeout`) until every voter is mentioned.
pub async fn burst(
    addr: SocketAddr,
    standin: &DiscordStandIn,
    connection: &Connection,
    guild_id: &str,
    channel: u64,
    count: u64,
    timeout: Duration,
) -> Burst {
    standin.limit_channel_messages(5, Duration::from_secs(5));
    let started = Instant::now();
    let prefix = format!("burst-{}", std::process::id());
    let make = vote_requests(vec![connection.clone()], guild_id.into(), prefix, count);
    let outcome = load::run(addr, Pace::Concurrency(16), timeout, count, make).await;
    let wanted: HashSet<String> = outcome
        .acked
        .iter()
        .map(|(i, _)| format!("<@{}>", voter_id(*i % count)))
        .collect();
    let mut announced = 0;
    while started.elapsed() < timeout {
        let seen = mentioned(&standin.messages_in(channel));
        announced = wanted.iter().filter(|m| seen.contains(m.as_str())).count();
        if announced == wanted.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Burst {
        sent: count,
        acked: outcome.ok(),
        announced,
        elapsed: started.elapsed(),
        messages: standin.messages_in(channel).len(),
        rate_limits: standin.rate_limits_issued(),
        violations: standin.rate_limit_violations(),
    }
}

/// Every `<@id>` mention in the messages' content.
fn mentioned(messages: &[serde_json::Value]) -> HashSet<String> {
    let mut found = HashSet::new();
    for content in messages.iter().filter_map(|m| m["content"].as_str()) {
        let mut rest = content;
        while let Some(start) = rest.find("<@") {
            let Some(len) = rest[start..].find('>') else {
                break;
            };
            found.insert(rest[start..start + len + 1].to_string());
            rest = &rest[start + len + 1..];
        }
    }
    found
}
