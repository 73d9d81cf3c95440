//! One HTTP/1 connection, watched: where its client is in the exchange (sending headers,
//! sending a body, waiting for the answer, idle) and how long it may stay there. A client that
//! overstays is cut off by closing the socket.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::response::Response;
use http_body::{Body as _, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower_service::Service;

use super::serve::ServeLimits;
use crate::metrics::Metrics;

/// Where a connection's client is, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Sending a request's headers: since the connection opened, or since the first byte of
    /// a later request.
    Headers(Instant),
    /// Headers in, sending the body since then.
    Body(Instant),
    /// The request is complete and the application works on it.
    Processing,
    /// Answered (hyper writes the answer) and idle since then.
    Idle(Instant),
}

type PhaseTx = Arc<watch::Sender<Phase>>;

/// Read buffer per connection: hyper's minimum, enough for the few KiB of headers Top.gg and
/// a proxy send (a body streams through it), so thousands of connections stay small.
const MAX_BUF_BYTES: usize = 8 * 1024;
/// Headers per request; more is answered 431.
const MAX_HEADERS: usize = 64;

/// The accept loop's view of one connection: whether it is idle between requests, and a way
/// to close it.
#[derive(Debug, Clone)]
pub struct Handle {
    phase: PhaseTx,
    close: CancellationToken,
}

impl Handle {
    /// A connection just opened, closed when `stop` is cancelled too.
    pub fn new(stop: &CancellationToken) -> Self {
        Self {
            phase: Arc::new(watch::channel(Phase::Headers(Instant::now())).0),
            close: stop.child_token(),
        }
    }

    /// Closes the connection as shutdown does: a request being worked on is answered first,
    /// anything else is closed at once.
    pub fn close(&self) {
        self.close.cancel();
    }
}

impl super::crowd::Held for Handle {
    fn idle_since(&self) -> Option<Instant> {
        match *self.phase.borrow() {
            Phase::Idle(since) => Some(since),
            _ => None,
        }
    }
}

/// Serves `stream` until it closes, a limit of `limits` is overstayed, or `handle` is closed
/// (by shutdown, or to make room): then a request the application is working on is finished
/// and answered, and anything else is closed at once.
pub async fn run(
    stream: TcpStream,
    router: Router,
    limits: Arc<ServeLimits>,
    metrics: Metrics,
    handle: Handle,
) {
    let _ = stream.set_nodelay(true);
    let Handle { phase, close } = handle;
    let io = TokioIo::new(Watched {
        inner: stream,
        phase: phase.clone(),
    });
    let conn = http1::Builder::new()
        .header_read_timeout(None)
        .max_buf_size(MAX_BUF_BYTES)
        .max_headers(MAX_HEADERS)
        .serve_connection(
            io,
            AppService {
                router,
                phase: phase.clone(),
            },
        );
    tokio::pin!(conn);
    let mut seen = phase.subscribe();
    let mut draining = false;
    loop {
        let current = *seen.borrow_and_update();
        if draining {
            match current {
                Phase::Headers(_) | Phase::Body(_) => return,
                Phase::Processing | Phase::Idle(_) => conn.as_mut().graceful_shutdown(),
            }
        }
        let deadline = deadline(current, &limits);
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = seen.changed() => {}
            () = close.cancelled(), if !draining => draining = true,
            () = sleep_until(deadline) => {
                if let Some((_, phase)) = deadline {
                    metrics.http_connection_timed_out(phase);
                }
                return;
            }
        }
    }
}

/// When a client in `phase` has overstayed, and the phase's name for `/metrics`.
fn deadline(phase: Phase, limits: &ServeLimits) -> Option<(Instant, &'static str)> {
    match phase {
        Phase::Headers(since) => Some((since + limits.header_timeout, "headers")),
        Phase::Body(since) => Some((since + limits.body_timeout, "body")),
        Phase::Idle(since) => Some((since + limits.idle_timeout, "idle")),
        Phase::Processing => None,
    }
}

async fn sleep_until(deadline: Option<(Instant, &'static str)>) {
    match deadline {
        Some((at, _)) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The router as hyper's service, moving the phase along as requests come and go.
#[derive(Clone)]
struct AppService {
    router: Router,
    phase: PhaseTx,
}

impl hyper::service::Service<hyper::Request<Incoming>> for AppService {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        let (mut router, phase) = (self.router.clone(), self.phase.clone());
        Box::pin(async move {
            phase.send_replace(if request.body().is_end_stream() {
                Phase::Processing
            } else {
                Phase::Body(Instant::now())
            });
            let request = request.map(|inner| {
                let phase = phase.clone();
                Body::new(WatchedBody { inner, phase })
            });
            let response = router.call(request).await;
            phase.send_replace(Phase::Idle(Instant::now()));
            response
        })
    }
}

/// The socket, noting the first byte of each new request.
struct Watched {
    inner: TcpStream,
    phase: PhaseTx,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.phase.send_if_modified(|phase| match phase {
                Phase::Idle(_) => {
                    *phase = Phase::Headers(Instant::now());
                    true
                }
                _ => false,
            });
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A request body, noting when it has been received in full.
struct WatchedBody {
    inner: Incoming,
    phase: PhaseTx,
}

impl http_body::Body for WatchedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        let ended = match &polled {
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => true,
            Poll::Ready(Some(Ok(_))) => self.inner.is_end_stream(),
            Poll::Pending => false,
        };
        if ended {
            self.phase.send_if_modified(|phase| match phase {
                Phase::Body(_) => {
                    *phase = Phase::Processing;
                    true
                }
                _ => false,
            });
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
