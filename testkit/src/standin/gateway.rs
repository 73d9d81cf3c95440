//! The gateway half: HELLO, IDENTIFY, READY, GUILD_CREATE, heartbeats and dispatches.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use axum::extract::State as AxumState;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::DiscordStandIn;
use super::guild_events::INTENT_GUILDS;
use super::json;
use super::state::{Inner, InteractionRecord, Session, State};

/// Sent in HELLO. Long enough that serenity sends no heartbeat during a short test.
pub const HEARTBEAT_INTERVAL_MS: u64 = 41_250;

pub async fn upgrade(ws: WebSocketUpgrade, AxumState(state): AxumState<Arc<State>>) -> Response {
    if state.lock().gateway_refused {
        return Response::builder()
            .status(503)
            .body(axum::body::Body::empty())
            .unwrap_or_default();
    }
    ws.on_upgrade(move |socket| run(socket, state))
}

fn text(v: &Value) -> WsMessage {
    WsMessage::Text(v.to_string().into())
}

pub fn close_frame(code: u16, reason: &str) -> WsMessage {
    WsMessage::Close(Some(CloseFrame {
        code,
        reason: reason.to_string().into(),
    }))
}

async fn run(socket: WebSocket, state: Arc<State>) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<WsMessage>();
    let writer = tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            let closing = matches!(msg, WsMessage::Close(_));
            if sink.send(msg).await.is_err() || closing {
                break;
            }
        }
    });
    let session_id = json::snowflake();
    let _ = tx.send(text(&json!({ "op": 10, "s": null, "t": null,
                                  "d": { "heartbeat_interval": HEARTBEAT_INTERVAL_MS } })));
    let mut shutdown = state.shutdown_signal();
    loop {
        let msg = tokio::select! {
            msg = stream.next() => msg,
            _ = shutdown.wait_for(|down| *down) => break,
        };
        let Some(Ok(msg)) = msg else { break };
        match msg {
            WsMessage::Text(t) => {
                if let Ok(frame) = serde_json::from_str::<Value>(t.as_str()) {
                    on_frame(&state, &frame, &tx, session_id);
                }
            }
            WsMessage::Close(_) => break,
            _ => {}
        }
    }
    state.lock().sessions.retain(|s| s.id != session_id);
    state.notify();
    drop(tx);
    writer.abort();
}

fn on_frame(state: &State, frame: &Value, tx: &mpsc::UnboundedSender<WsMessage>, session_id: u64) {
    match frame["op"].as_u64() {
        Some(1) => {
            let _ = tx.send(text(&json!({ "op": 11, "s": null, "t": null, "d": null })));
        }
        Some(2) => {
            identify(&mut state.lock(), &frame["d"], tx, session_id);
            state.notify();
        }
        // RESUME: sessions are not kept, so answer INVALID_SESSION (not resumable).
        Some(6) => {
            let _ = tx.send(text(&json!({ "op": 9, "s": null, "t": null, "d": false })));
        }
        _ => {}
    }
}

fn identify(inner: &mut Inner, d: &Value, tx: &mpsc::UnboundedSender<WsMessage>, session_id: u64) {
    inner.identify_count += 1;
    let shard = [
        d["shard"][0].as_u64().unwrap_or(0),
        d["shard"][1].as_u64().unwrap_or(1),
    ];
    inner.identified_shards.push(shard);
    let now = Instant::now();
    inner.identify_times.push(now);
    if shard[0] >= shard[1] {
        let _ = tx.send(close_frame(4010, "Invalid shard."));
        return;
    }
    if let Some((code, reason)) = inner.session_starts.identify(shard, now) {
        let _ = tx.send(close_frame(code, reason));
        return;
    }
    let token = d["token"].as_str().unwrap_or_default();
    if token.trim_start_matches("Bot ") != inner.token || inner.token_revoked {
        let _ = tx.send(close_frame(4004, "Authentication failed."));
        return;
    }
    if inner.sessions.iter().any(|s| s.id == session_id) {
        let _ = tx.send(close_frame(4005, "Already authenticated."));
        return;
    }
    let session = Session {
        id: session_id,
        tx: tx.clone(),
        seq: Arc::new(AtomicU64::new(0)),
        intents: d["intents"].as_u64().unwrap_or(0),
    };
    session.dispatch("READY", &ready(inner, d, session_id));
    if session.intents & INTENT_GUILDS != 0 && !inner.removed_from_guild {
        session.dispatch(
            "GUILD_CREATE",
            &json::guild_create(&inner.model, &inner.joined_at),
        );
    }
    inner.sessions.push(session);
    inner.ready_count += 1;
}

fn ready(inner: &Inner, identify: &Value, session_id: u64) -> Value {
    let model = &inner.model;
    let mut user = json::user(&model.bot);
    user["verified"] = json!(true);
    user["mfa_enabled"] = json!(false);
    let shard = identify
        .get("shard")
        .cloned()
        .unwrap_or_else(|| json!([0, 1]));
    let guilds = match inner.removed_from_guild {
        true => json!([]),
        false => json!([{ "id": model.id.to_string(), "unavailable": true }]),
    };
    json!({
        "v": 10, "user": user, "guilds": guilds,
        "session_id": format!("standin-{session_id}"),
        "resume_gateway_url": format!("{}/gateway", inner.base_url.replacen("http://", "ws://", 1)),
        "shard": shard, "application": { "id": model.bot.id.to_string(), "flags": 0 },
        "private_channels": [], "relationships": [], "presences": [], "user_settings": {},
        "guild_join_requests": [], "geo_ordered_rtc_regions": [],
    })
}

impl DiscordStandIn {
    pub fn gateway_connected(&self) -> bool {
        !self.state.lock().sessions.is_empty()
    }

    /// IDENTIFY frames received (accepted or not).
    pub fn identify_count(&self) -> usize {
        self.state.lock().identify_count
    }

    /// The `[shard id, total]` of every IDENTIFY received (Discord closes a session whose id
    /// is not below the total with 4010 Invalid shard; so does the stand-in).
    pub fn identified_shards(&self) -> Vec<[u64; 2]> {
        self.state.lock().identified_shards.clone()
    }

    /// Waits until a session has been sent READY (and GUILD_CREATE).
    pub async fn wait_for_ready(&self, timeout: Duration) -> bool {
        let ready = |s: &Self| (!s.state.lock().sessions.is_empty()).then_some(());
        self.wait_until(timeout, ready).await.is_some()
    }

    /// Sends a dispatch to every session (waiting up to 5 s for one); returns how many got it.
    pub async fn send_dispatch(&self, event: &str, d: &Value) -> usize {
        self.wait_for_ready(Duration::from_secs(5)).await;
        let inner = self.state.lock();
        inner
            .sessions
            .iter()
            .filter(|s| s.dispatch(event, d))
            .count()
    }

    /// INTERACTION_CREATE with `payload` as `d` (waiting up to 5 s for a session); the
    /// interaction can then be answered for 3 s. Returns how many sessions got it.
    pub async fn send_interaction(&self, payload: &Value) -> usize {
        self.wait_for_ready(Duration::from_secs(5)).await;
        self.assert_registered(payload, Duration::from_secs(5))
            .await;
        let id = payload["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_default();
        let record = InteractionRecord {
            token: payload["token"].as_str().unwrap_or_default().to_string(),
            channel_id: payload["channel_id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or_default(),
            sent_at: Instant::now(),
            acknowledged: false,
            original: None,
            kind: payload["type"].as_u64().unwrap_or_default(),
            message: payload.get("message").cloned(),
            modal: None,
        };
        self.state.lock().interactions.insert(id, record);
        self.send_dispatch("INTERACTION_CREATE", payload).await
    }

    /// Closes every gateway session with `code` (serenity then reconnects and re-identifies).
    pub fn disconnect_gateway(&self, code: u16) {
        for s in &self.state.lock().sessions {
            let _ = s.tx.send(close_frame(code, "stand-in closed the session"));
        }
    }

    /// While refused, the gateway closes every session (code 4000, which serenity resumes) and
    /// answers new connections 503, as when Discord's gateway is unreachable.
    pub fn refuse_gateway(&self, refused: bool) {
        self.state.lock().gateway_refused = refused;
        if refused {
            self.disconnect_gateway(4000);
        }
    }

    /// Takes the bot out of (or back into) the guild for the next sessions: READY then lists
    /// no guild and no GUILD_CREATE follows, as for a bot removed while it was offline.
    pub fn set_removed_from_guild(&self, removed: bool) {
        self.state.lock().removed_from_guild = removed;
    }

    /// Waits until `n` IDENTIFYs were received and a session is live.
    pub async fn wait_for_identify(&self, n: usize, timeout: Duration) -> bool {
        let done = |s: &Self| {
            let i = s.state.lock();
            (i.identify_count >= n && !i.sessions.is_empty()).then_some(())
        };
        self.wait_until(timeout, done).await.is_some()
    }
}
