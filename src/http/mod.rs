//! The HTTP edge Top.gg talks to: the handshake, signed webhooks, health.

mod body;
mod conn;
mod crowd;
mod dead_letter;
mod error;
mod health;
pub mod integration;
mod line_window;
mod log_limit;
mod metrics;
mod probes;
mod serve;
mod vote_log;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use secrecy::SecretString;
use tokio::sync::Notify;

pub use body::MAX_BODY_BYTES;
pub use error::ApiError;
pub use integration::HandshakeReply;
pub use log_limit::LogLimiter;
pub use probes::{Probes, run as run_probes};
pub use serve::{ServeLimits, serve};
pub use vote_log::{VOTE_LOG_PERIOD, VoteLog};

use crate::config::Config;
use crate::metrics::Metrics;
use crate::storage::{ConnectionCache, Db, VoteWriter};

/// What every handler shares (behind one `Arc`: a request clones one pointer, not each field).
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    /// `None` without an approved integration: the configuration URL then answers 404.
    pub integration_secret: Option<Arc<SecretString>>,
    /// Woken whenever Discord work is queued.
    pub work_queued: Arc<Notify>,
    /// `Some` where this instance runs a gateway: its shards' connection state.
    pub gateway: Option<crate::bot::GatewayStatus>,
    /// Delivery's Discord client: whether it can be used (the token's state).
    pub discord: crate::discord::Discord,
    /// This application's figures, served on `/metrics`.
    pub metrics: Metrics,
    /// Stores votes with group commit (see [`VoteWriter`]).
    pub votes: VoteWriter,
    /// Connections looked up by the webhook route.
    pub connections: ConnectionCache,
    /// The bounded-rate info line about received votes.
    pub vote_log: Arc<VoteLog>,
    /// Where "now" comes from (the system clock, or a test's).
    pub clock: crate::domain::time::SharedClock,
    /// What `/readyz` shows, checked in the background (see [`run_probes`]).
    pub probes: Probes,
    /// When each connection's first signed event arrived (`/topgg webhook`, `/topgg status`).
    pub first_events: crate::storage::FirstEvents,
}

const INTEGRATION: &str = "/topgg/integration";
const WEBHOOKS: &str = "/topgg/webhooks/{connection_id}";
const HEALTHZ: &str = "/healthz";
const READYZ: &str = "/readyz";
const METRICS: &str = "/metrics";

/// Every route of the contract.
pub fn router(state: AppState) -> Router {
    let routes = [INTEGRATION, WEBHOOKS, HEALTHZ, READYZ, METRICS];
    let tracking = metrics::Tracking::new(state.metrics.clone(), &routes);
    Router::new()
        .route(INTEGRATION, post(integration::configure))
        .route(WEBHOOKS, post(webhooks::receive))
        .route(HEALTHZ, get(health::healthz))
        .route(READYZ, get(health::readyz))
        .route(METRICS, get(metrics::render))
        .fallback(|| async { ApiError::NotFound })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(from_fn_with_state(tracking, metrics::track))
        .with_state(Arc::new(state))
}
