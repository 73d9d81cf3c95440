//! One run's figures as a tab-separated line appended to `--summary FILE`, so that
//! `bench/side-by-side.sh` can print every run of one invocation as one table at the end.

use std::io::Write;
use std::path::Path;

use crate::load::Outcome;
use crate::report::mb;

/// The columns, in order: the first line of a new summary file.
const HEADER: &str = "run\treq/s\tp50 ms\tp99 ms\t/healthz req/s\tvs /healthz\tvs peer\tCPU us/req\tidle RSS\tpeak RSS";

/// What one loadgen invocation measured, for its summary line.
pub struct Figures<'a> {
    pub label: &'a str,
    pub votes: &'a Outcome,
    pub health: &'a Outcome,
    pub peer: Option<(&'a Outcome, u64)>,
    pub idle_kib: u64,
    pub peak_kib: u64,
}

/// Appends the server's line (and the peer's, when it ran) to `path`, after [`HEADER`] when
/// the file is new or empty.
pub fn append(path: &Path, f: &Figures) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    if file.metadata()?.len() == 0 {
        writeln!(file, "{HEADER}")?;
    }
    if let Some((peer, peak)) = f.peer {
        let cells = [
            format!("{}: the peer", f.label),
            format!("{:.0}", peer.throughput()),
            ms(peer, 0.50),
            ms(peer, 0.99),
            String::from("-"),
            String::from("-"),
            String::from("1.00x"),
            cpu_per_request(peer),
            String::from("-"),
            mb(peak),
        ];
        writeln!(file, "{}", cells.join("\t"))?;
    }
    let versus_peer = f.peer.map_or(String::from("-"), |(peer, _)| {
        format!("{:.2}x", f.votes.throughput() / peer.throughput().max(1.0))
    });
    let cells = [
        f.label.to_string(),
        format!("{:.0}", f.votes.throughput()),
        ms(f.votes, 0.50),
        ms(f.votes, 0.99),
        format!("{:.0}", f.health.throughput()),
        format!(
            "{:.2}x",
            f.votes.throughput() / f.health.throughput().max(1.0)
        ),
        versus_peer,
        cpu_per_request(f.votes),
        mb(f.idle_kib),
        mb(f.peak_kib),
    ];
    writeln!(file, "{}", cells.join("\t"))
}

fn ms(o: &Outcome, quantile: f64) -> String {
    format!(
        "{:.2}",
        o.latency_us.value_at_quantile(quantile) as f64 / 1000.0
    )
}

fn cpu_per_request(o: &Outcome) -> String {
    o.target_cpu.map_or(String::from("-"), |cpu| {
        format!(
            "{:.1}",
            cpu.as_secs_f64() * 1e6 / o.answered().max(1) as f64
        )
    })
}
