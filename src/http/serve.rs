//! The accept loop of a server exposed to the internet without a proxy in front: bounded
//! connections, timeouts on slow and silent clients, accept errors survived, and a shutdown
//! that answers what is being worked on and closes everything else at once.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{self, JoinSet};
use tokio_util::sync::CancellationToken;

use super::conn::{self, Handle};
use super::crowd::{Admission, Client, Crowd, Limit};
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
    /// Connections one client address may hold; 0: no limit.
    pub max_connections_per_ip: usize,
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
            max_connections_per_ip: http.max_connections_per_ip,
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
    crowd: Crowd<task::Id, Handle>,
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
        crowd: Crowd::new(limits.max_connections, limits.max_connections_per_ip),
        limits: Arc::new(limits),
        metrics,
        stop: stop.clone(),
        log: LogLimiter::new(LOG_PERIOD),
        connections: JoinSet::new(),
    };
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            Some(ended) = acceptor.connections.join_next_with_id() => acceptor.ended(ended),
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => acceptor.admit(stream, peer),
                Err(e) => acceptor.accept_failed(e).await,
            },
        }
    }
    drop(listener);
    acceptor.drain().await;
    Ok(())
}

impl Acceptor {
    /// Serves `stream` if there is room (made by closing an idle connection if need be),
    /// else closes it at once.
    fn admit(&mut self, stream: TcpStream, peer: SocketAddr) {
        let client = Client::of(peer.ip());
        match self.crowd.admit(client) {
            Admission::Admit => {}
            Admission::AdmitClosing(idle, limit) => {
                idle.close();
                self.metrics.http_idle_connection_closed(limit.label());
                self.log_limit(limit, peer);
            }
            Admission::Refuse(limit) => {
                drop(stream);
                match limit {
                    Limit::Total => self.metrics.http_connection_refused(),
                    Limit::PerClient => self.metrics.http_connection_refused_per_ip(),
                }
                self.log_limit(limit, peer);
                return;
            }
        }
        let handle = Handle::new(&self.stop);
        let served = conn::run(
            stream,
            self.router.clone(),
            Arc::clone(&self.limits),
            self.metrics.clone(),
            handle.clone(),
        );
        let id = self.connections.spawn(served).id();
        self.crowd.insert(id, client, handle);
        self.count_open();
    }

    /// Forgets a connection that ended, however it ended.
    fn ended(&mut self, ended: Result<(task::Id, ()), task::JoinError>) {
        let id = match ended {
            Ok((id, ())) => id,
            Err(e) => e.id(),
        };
        self.crowd.remove(&id);
        self.count_open();
    }

    /// One line a minute per limit: a crowd can cause these.
    fn log_limit(&self, limit: Limit, peer: SocketAddr) {
        let Some(suppressed) = self.log.admit(limit.label()) else {
            return;
        };
        match limit {
            Limit::Total => tracing::warn!(
                max_connections = self.limits.max_connections,
                suppressed,
                "http.max_connections connections open: closing idle keep-alive ones to make \
                 room, else new ones at once (one line a minute; all counted in /metrics)"
            ),
            Limit::PerClient => tracing::warn!(
                max_connections_per_ip = self.limits.max_connections_per_ip,
                client = %peer.ip(),
                suppressed,
                "http.max_connections_per_ip connections open from one address: closing its \
                 idle keep-alive ones to make room, else new ones at once (behind a proxy, \
                 raise it or set 0; one line a minute; all counted in /metrics)"
            ),
        }
    }

    fn count_open(&self) {
        self.metrics.http_connections_open(self.crowd.len());
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
