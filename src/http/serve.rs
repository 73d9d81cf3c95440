//! The accept loop of a server exposed to the internet without a proxy in front: bounded
//! connections, timeouts on slow and silent clients, accept errors survived, and a shutdown
//! that answers what is being worked on and closes everything else at once.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::conn;
use super::log_limit::LogLimiter;
use crate::config::HttpConfig;
use crate::metrics::Metrics;

/// How often the connection-limit and accept-error lines may be written.
const LOG_PERIOD: Duration = Duration::from_secs(60);
/// The pause after a failed accept (such as EMFILE), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What one connection may take, and how long shutdown waits for answers in progress.
#[derive(Debug, Clone)]
pub struct ServeLimits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    /// How long shutdown waits for requests being worked on before closing them.
    pub drain: Duration,
}

impl ServeLimits {
    /// The limits `http.*` sets, and a 5 s drain (within the 10 s SIGTERM bound).
    pub fn from_config(http: &HttpConfig) -> Self {
        Self {
            header_timeout: Duration::from_secs(http.header_timeout_secs),
            body_timeout: Duration::from_secs(http.body_timeout_secs),
            idle_timeout: Duration::from_secs(http.idle_timeout_secs),
            max_connections: http.max_connections,
            drain: Duration::from_secs(5),
        }
    }
}

/// The shared parts of the accept loop.
struct Acceptor {
    router: Router,
    limits: Arc<ServeLimits>,
    metrics: Metrics,
    stop: CancellationToken,
    permits: Arc<Semaphore>,
    log: LogLimiter,
    connections: JoinSet<()>,
}

/// Serves `router` on `listener` until `stop` is cancelled; then stops accepting, finishes
/// the requests being worked on (for at most `limits.drain`) and closes the rest.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    metrics: Metrics,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let mut acceptor = Acceptor {
        router,
        permits: Arc::new(Semaphore::new(limits.max_connections)),
        limits: Arc::new(limits),
        metrics,
        stop: stop.clone(),
        log: LogLimiter::new(LOG_PERIOD),
        connections: JoinSet::new(),
    };
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            Some(_) = acceptor.connections.join_next() => acceptor.count_open(),
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => acceptor.admit(stream),
                Err(e) => acceptor.accept_failed(e).await,
            },
        }
    }
    drop(listener);
    acceptor.drain().await;
    Ok(())
}

impl Acceptor {
    /// Serves `stream` if there is room, else closes it at once.
    fn admit(&mut self, stream: TcpStream) {
        match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => {
                self.connections.spawn(conn::run(
                    stream,
                    self.router.clone(),
                    Arc::clone(&self.limits),
                    self.metrics.clone(),
                    self.stop.clone(),
                    permit,
                ));
                self.count_open();
            }
            Err(_) => {
                drop(stream);
                self.metrics.http_connection_refused();
                if let Some(suppressed) = self.log.admit("over limit") {
                    tracing::warn!(
                        max_connections = self.limits.max_connections,
                        suppressed,
                        "http.max_connections connections open: closing new ones at once \
                         (one line a minute; all counted in /metrics)"
                    );
                }
            }
        }
    }

    fn count_open(&self) {
        let open = self.limits.max_connections - self.permits.available_permits();
        self.metrics.http_connections_open(open);
    }

    /// Logs (at a bounded rate) and pauses briefly: out of file descriptors, accepting again
    /// at once would fail again.
    async fn accept_failed(&mut self, error: io::Error) {
        let dropped_by_peer = matches!(
            error.kind(),
            io::ErrorKind::ConnectionAborted
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionRefused
        );
        if dropped_by_peer {
            return;
        }
        self.metrics.http_accept_error();
        if let Some(suppressed) = self.log.admit("accept") {
            tracing::error!(error = %error, suppressed,
                "cannot accept connections (one line a minute; all counted in /metrics)");
        }
        tokio::select! {
            () = tokio::time::sleep(ACCEPT_BACKOFF) => {}
            () = self.stop.cancelled() => {}
        }
    }

    /// Waits for the connections still answering, then closes whatever is left.
    async fn drain(mut self) {
        let drain = self.limits.drain;
        let all_done = async { while self.connections.join_next().await.is_some() {} };
        if tokio::time::timeout(drain, all_done).await.is_err() {
            tracing::warn!(
                left = self.connections.len(),
                "requests still unanswered {drain:?} after shutdown began; closing them"
            );
            self.connections.shutdown().await;
        }
        self.metrics.http_connections_open(0);
    }
}
