//! Printing the figures.

use hdrhistogram::Histogram;

use crate::discord::{Burst, Probe};
use crate::load::Outcome;

/// `p50 / p90 / p99 / max` of a microsecond histogram, in milliseconds.
pub fn percentiles(h: &Histogram<u64>) -> String {
    let ms = |v: u64| v as f64 / 1000.0;
    format!(
        "p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        ms(h.value_at_quantile(0.50)),
        ms(h.value_at_quantile(0.90)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max())
    )
}

/// One run's throughput, latency and answers.
pub fn outcome(title: &str, o: &Outcome) {
    println!("{title}");
    println!(
        "  answered {} in {:.2} s: {:.0} req/s ({} ok)",
        o.answered(),
        o.elapsed.as_secs_f64(),
        o.throughput(),
        o.ok()
    );
    println!("  ack latency  {}", percentiles(&o.latency_us));
    if let (Some(target), Some(own)) = (o.target_cpu, o.own_cpu) {
        let per = |cpu: std::time::Duration| cpu.as_secs_f64() * 1e6 / o.answered().max(1) as f64;
        println!(
            "  CPU per request: {:.1} us in the process under test, {:.1} us in the generator",
            per(target),
            per(own)
        );
    }
    let statuses: Vec<String> = o
        .statuses
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    println!(
        "  answers by status  {}  connection errors: {}  sent >10 ms late: {}",
        statuses.join(", "),
        o.io_errors,
        o.late
    );
}

/// The vote run against the `/healthz` baseline.
pub fn ratio(votes: &Outcome, health: &Outcome) {
    let p = |o: &Outcome, q: f64| o.latency_us.value_at_quantile(q) as f64;
    println!(
        "votes vs /healthz: throughput {:.2}x (goal >= 0.25x), p50 latency {:.2}x, p99 latency {:.2}x",
        votes.throughput() / health.throughput(),
        p(votes, 0.5) / p(health, 0.5),
        p(votes, 0.99) / p(health, 0.99)
    );
}

pub fn probe(p: &Probe) {
    println!(
        "vote -> Discord call (idle queue): {} of {} acknowledged votes reached the stand-in",
        p.delivered, p.acked
    );
    println!("  latency from 204  {}", percentiles(&p.latency_us));
    println!(
        "  recorded before the 204 reached the client: {}",
        p.before_ack
    );
}

pub fn burst(b: &Burst) {
    println!(
        "burst: {} votes for one channel ({} acknowledged), stand-in limit 5 messages / 5 s",
        b.sent, b.acked
    );
    println!(
        "  {} of {} voters announced after {:.1} s in {} messages; 429s issued {}, unhonoured {}",
        b.announced,
        b.acked,
        b.elapsed.as_secs_f64(),
        b.messages,
        b.rate_limits,
        b.violations
    );
}

/// KiB as MB (10^6 bytes, as the targets are stated).
pub fn mb(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 * 1024.0 / 1e6)
}

/// Our durable ingest against the SDK's listener under the same load.
pub fn versus_peer(votes: &Outcome, peer: &Outcome, peer_peak_kib: u64) {
    let ratio = votes.throughput() / peer.throughput().max(1.0);
    println!(
        "votes/s: topgg-bot {:.0} vs peer {:.0}: {ratio:.2}x (goal >= 1.5x); p99 {:.2} ms vs {:.2} ms; peer peak RSS {}",
        votes.throughput(),
        peer.throughput(),
        votes.latency_us.value_at_quantile(0.99) as f64 / 1000.0,
        peer.latency_us.value_at_quantile(0.99) as f64 / 1000.0,
        mb(peer_peak_kib)
    );
}
