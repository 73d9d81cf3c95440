//! The request loops: a fixed rate (open loop, spread over connections) or a fixed number of
//! closed-loop connections, for a set time and at most a set count.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::client::Conn;
use crate::server::{cpu_time, own_cpu_time};

/// Builds request number `i` (a complete HTTP/1.1 request).
pub type MakeRequest = Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>;

/// How requests are offered.
#[derive(Clone, Copy, Debug)]
pub enum Pace {
    /// This many requests per second, whatever the answers' speed, over `connections`.
    Rate { per_sec: u64, connections: usize },
    /// This many connections, each sending its next request when the last is answered.
    Concurrency(usize),
}

/// What one run offered and how it was answered.
pub struct Outcome {
    pub elapsed: Duration,
    /// Answers by HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no HTTP answer (connection errors).
    pub io_errors: u64,
    /// Requests sent more than 10 ms after their scheduled time (rate mode): the offered
    /// rate was not held while this is above zero.
    pub late: u64,
    /// Acknowledgement latency in microseconds, every answered request.
    pub latency_us: Histogram<u64>,
    /// When each request number got a 2xx answer.
    pub acked: Vec<(u64, Instant)>,
    /// CPU time the process under test used during the run (`None`: not measured).
    pub target_cpu: Option<Duration>,
    /// CPU time the load generator itself used during the run.
    pub own_cpu: Option<Duration>,
}

impl Outcome {
    pub fn answered(&self) -> u64 {
        self.statuses.values().sum()
    }

    pub fn ok(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| (200..300).contains(*s))
            .map(|(_, n)| n)
            .sum()
    }

    pub fn throughput(&self) -> f64 {
        self.answered() as f64 / self.elapsed.as_secs_f64()
    }

    fn merge(&mut self, other: Outcome) {
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.io_errors += other.io_errors;
        self.late += other.late;
        self.latency_us.add(other.latency_us).expect("same bounds");
        self.acked.extend(other.acked);
    }

    fn empty() -> Outcome {
        Outcome {
            elapsed: Duration::ZERO,
            statuses: BTreeMap::new(),
            io_errors: 0,
            late: 0,
            latency_us: Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"),
            acked: Vec::new(),
            target_cpu: None,
            own_cpu: None,
        }
    }
}

/// [`run`], with the CPU time process `pid` (the server or the peer) and the generator use
/// meanwhile.
pub async fn run_watched(
    pid: u32,
    addr: SocketAddr,
    pace: Pace,
    duration: Duration,
    max_requests: u64,
    make: MakeRequest,
) -> Outcome {
    let before = (cpu_time(pid), own_cpu_time());
    let mut outcome = run(addr, pace, duration, max_requests, make).await;
    let after = (cpu_time(pid), own_cpu_time());
    let spent = |a: Option<Duration>, b: Option<Duration>| Some(b?.saturating_sub(a?));
    outcome.target_cpu = spent(before.0, after.0);
    outcome.own_cpu = spent(before.1, after.1);
    outcome
}

/// Offers requests to `addr` at `pace` for `duration`, at most `max_requests`.
pub async fn run(
    addr: SocketAddr,
    pace: Pace,
    duration: Duration,
    max_requests: u64,
    make: MakeRequest,
) -> Outcome {
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let connections = match pace {
        Pace::Rate { connections, .. } => connections,
        Pace::Concurrency(n) => n,
    };
    let tasks: Vec<_> = (0..connections)
        .map(|index| {
            let lane = Lane {
                conn: Conn::new(addr),
                make: make.clone(),
                deadline: started + duration,
                max_requests,
                outcome: Outcome::empty(),
            };
            match pace {
                Pace::Rate { per_sec, .. } => {
                    let stride = connections as u64;
                    tokio::spawn(lane.paced(started, per_sec, index as u64, stride))
                }
                Pace::Concurrency(_) => tokio::spawn(lane.closed(next.clone())),
            }
        })
        .collect();
    let mut total = Outcome::empty();
    for task in tasks {
        total.merge(task.await.expect("load task panicked"));
    }
    total.elapsed = started.elapsed();
    total
}

/// One connection's share of a run.
struct Lane {
    conn: Conn,
    make: MakeRequest,
    deadline: Instant,
    max_requests: u64,
    outcome: Outcome,
}

impl Lane {
    /// Sends requests `first`, `first + stride`, ... each at its place in a `per_sec` schedule.
    async fn paced(mut self, started: Instant, per_sec: u64, first: u64, stride: u64) -> Outcome {
        let mut i = first;
        while i < self.max_requests {
            let due = started + Duration::from_secs_f64(i as f64 / per_sec as f64);
            if due >= self.deadline {
                break;
            }
            tokio::time::sleep_until(due.into()).await;
            if due.elapsed() > Duration::from_millis(10) {
                self.outcome.late += 1;
            }
            self.one(i).await;
            i += stride;
        }
        self.outcome
    }

    /// Sends the next unclaimed request number as soon as the last one is answered.
    async fn closed(mut self, next: Arc<AtomicU64>) -> Outcome {
        while Instant::now() < self.deadline {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= self.max_requests {
                break;
            }
            self.one(i).await;
        }
        self.outcome
    }

    async fn one(&mut self, i: u64) {
        let request = (self.make)(i);
        let sent = Instant::now();
        match self.conn.send(&request).await {
            Ok(status) => {
                let done = Instant::now();
                let micros = (done - sent).as_micros().max(1) as u64;
                self.outcome.latency_us.saturating_record(micros);
                *self.outcome.statuses.entry(status).or_default() += 1;
                if (200..300).contains(&status) {
                    self.outcome.acked.push((i, done));
                }
            }
            Err(_) => self.outcome.io_errors += 1,
        }
    }
}
