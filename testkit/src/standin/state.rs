//! Shared state of one stand-in: the model, what was recorded, faults and gateway sessions.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::extract::ws::Message as WsMessage;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use super::faults::{Backoff, FaultRule};
use super::fixtures::GuildModel;
use super::limits::{ChannelLimiter, GlobalLimit};

/// One REST request as the stand-in saw it, with the answer it gave.
///
/// `path` has the `/api/v10` prefix removed (`/channels/1/messages`); a request outside
/// `/api/v10` keeps its full path. `query` is the raw query string without `?` (serenity
/// sends e.g. `&limit=50`). Header names are lower-case.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub seq: usize,
    pub at: Instant,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON; `Value::String(raw)` when it is not JSON, `Null` when empty.
    pub body: Value,
    pub status: u16,
    pub response: Value,
    /// The answer's headers (lower-case names), e.g. `x-ratelimit-remaining`.
    pub response_headers: Vec<(String, String)>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header of the stand-in's answer (`name` in any case).
    pub fn response_header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        let found = self.response_headers.iter().find(|(k, _)| *k == name);
        found.map(|(_, v)| v.as_str())
    }

    pub fn is(&self, method: &str, path_prefix: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && self.path.starts_with(path_prefix)
    }
}

/// An interaction pushed through the gateway, for validating its callback.
#[derive(Clone, Debug)]
pub struct InteractionRecord {
    pub token: String,
    pub channel_id: u64,
    pub sent_at: Instant,
    pub acknowledged: bool,
    pub original: Option<Value>,
    /// The interaction's `type`: 2 command, 3 component, 4 autocomplete, 5 modal submit.
    pub kind: u64,
    /// The message a component or modal submit interaction came from.
    pub message: Option<Value>,
    /// The modal (callback type 9 `data`: `custom_id`, `title`, `components`) it was answered with.
    pub modal: Option<Value>,
}

/// A live gateway session (after IDENTIFY).
pub struct Session {
    pub id: u64,
    pub tx: mpsc::UnboundedSender<WsMessage>,
    pub seq: Arc<AtomicU64>,
    /// The `intents` of its IDENTIFY.
    pub intents: u64,
}

impl Session {
    /// Sends a dispatch (op 0) with the session's next sequence number.
    pub fn dispatch(&self, event: &str, d: &Value) -> bool {
        let s = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let frame = json!({ "op": 0, "s": s, "t": event, "d": d });
        self.tx
            .send(WsMessage::Text(frame.to_string().into()))
            .is_ok()
    }
}

pub struct Inner {
    pub model: GuildModel,
    pub token: String,
    pub base_url: String,
    pub joined_at: String,
    pub requests: Vec<RecordedRequest>,
    /// Successfully created channel messages, in order: (channel id, message object).
    pub messages: Vec<(u64, Value)>,
    /// `enforce_nonce` nonces per channel: the message they created and when.
    pub nonces: HashMap<(u64, String), (Value, Instant)>,
    /// How far the stand-in's clock is ahead of real time (nonce expiry reads it).
    pub clock_offset: std::time::Duration,
    pub faults: Vec<FaultRule>,
    pub down: bool,
    /// While set, the gateway refuses upgrades (503).
    pub gateway_refused: bool,
    /// While set, every REST call answers 401 (a revoked token).
    pub token_revoked: bool,
    /// While set, the bot is no longer in the guild: READY does not list it and no
    /// GUILD_CREATE follows (what a bot removed while offline sees).
    pub removed_from_guild: bool,
    /// The channel-message bucket, once a test sets one (Discord's is about 5 per 5 s).
    pub limiter: Option<ChannelLimiter>,
    /// Discord's 50 requests a second for the token, across every client.
    pub global: GlobalLimit,
    pub backoff: Backoff,
    pub commands: HashMap<Option<u64>, Vec<Value>>,
    pub interactions: HashMap<u64, InteractionRecord>,
    pub sessions: Vec<Session>,
    pub identify_count: usize,
    /// The `shard` ([id, total]) of every IDENTIFY received, in order.
    pub identified_shards: Vec<[u64; 2]>,
    /// When each IDENTIFY was received.
    pub identify_times: Vec<Instant>,
    /// `session_start_limit`, the recommended shard count and IDENTIFYs refused with a code.
    pub session_starts: super::sessions::Sessions,
    pub ready_count: usize,
    pub dms: super::dms::Dms,
    /// AutoMod's mention limit for the guild's messages, when a rule is set.
    pub automod_mentions: Option<usize>,
}

/// `Inner` behind a mutex, plus a counter bumped on every change waiters care about.
pub struct State {
    inner: Mutex<Inner>,
    changed: watch::Sender<u64>,
    shutdown: watch::Sender<bool>,
}

impl State {
    pub fn new(inner: Inner) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(inner),
            changed: watch::channel(0).0,
            shutdown: watch::channel(false).0,
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Tells gateway sessions to end (the stand-in is being dropped).
    pub fn shut_down(&self) {
        self.shutdown.send_replace(true);
    }

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// A receiver that sees every [`State::notify`] from now on.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    pub fn notify(&self) {
        self.changed.send_modify(|n| *n += 1);
    }
}
