//! A Discord stand-in for integration tests: REST under `/api/v10` and a gateway at
//! `/gateway`, on one axum server bound to 127.0.0.1:0.
//!
//! Point serenity at it with [`DiscordStandIn::http`] (or
//! `HttpBuilder::new(FAKE_TOKEN).proxy(standin.url()).ratelimiter_disabled(true)`): serenity
//! ignores the proxy while its ratelimiter is on. Recorded paths have `/api/v10` removed.
//!
//! Interactions are built from what the bot registered ([`DiscordStandIn::invocation`]), and
//! a change to the guild ([`DiscordStandIn::update_guild`]) reaches the bot as the gateway
//! events Discord sends for it.

mod bodies;
pub mod components;
pub mod dms;
pub mod faults;
pub mod fixtures;
pub mod gateway;
pub mod guild_events;
pub mod interactions;
mod invocations;
pub mod json;
mod limits;
pub mod many_guilds;
pub mod moderation;
pub mod nonces;
pub mod parsed;

mod opt;
mod option_values;
mod positions;
mod rates;
mod registered;
mod registrations;
pub mod reply;
mod rest;
mod role_routes;
mod roles;
pub mod sessions;
mod state;
mod waits;
mod writes;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use poise::serenity_prelude as serenity;
use serde_json::Value;
use tokio::task::JoinHandle;

pub use faults::{Fault, FaultRule, RateLimitStats};
pub use fixtures::*;
pub use interactions::{InteractionPayload, autocomplete, slash_command};
pub use opt::Opt;
pub use reply::Reply;
pub use state::RecordedRequest;
pub use writes::INTERACTION_DEADLINE;

use limits::ChannelLimiter;
use state::{Inner, State};

pub struct StandInBuilder {
    model: GuildModel,
    token: String,
}

impl StandInBuilder {
    /// Replaces the default guild (see [`GuildModel::default_guild`]).
    pub fn guild(mut self, model: GuildModel) -> Self {
        self.model = model;
        self
    }

    /// The token the gateway accepts in IDENTIFY (default [`FAKE_TOKEN`]).
    pub fn token(mut self, token: &str) -> Self {
        self.token = token.to_string();
        self
    }

    pub async fn start(self) -> DiscordStandIn {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind stand-in");
        let addr = listener.local_addr().expect("stand-in address");
        let state = State::new(Inner {
            model: self.model,
            token: self.token,
            base_url: format!("http://{addr}"),
            joined_at: json::now_timestamp(),
            requests: Vec::new(),
            messages: Vec::new(),
            nonces: Default::default(),
            clock_offset: Duration::ZERO,
            faults: Vec::new(),
            down: false,
            gateway_refused: false,
            token_revoked: false,
            removed_from_guild: false,
            limiter: None,
            global: Default::default(),
            backoff: Default::default(),
            commands: Default::default(),
            interactions: Default::default(),
            sessions: Vec::new(),
            identify_count: 0,
            identified_shards: Vec::new(),
            identify_times: Vec::new(),
            session_starts: Default::default(),
            ready_count: 0,
            dms: Default::default(),
            automod_mentions: None,
        });
        let app = Router::new()
            .route("/gateway", get(gateway::upgrade))
            .fallback(rest::handle)
            .with_state(Arc::clone(&state));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        DiscordStandIn {
            state,
            addr,
            server,
        }
    }
}

/// The running stand-in. Dropping it stops the server and ends gateway sessions.
pub struct DiscordStandIn {
    state: Arc<State>,
    addr: SocketAddr,
    server: JoinHandle<()>,
}

impl Drop for DiscordStandIn {
    fn drop(&mut self) {
        self.state.shut_down();
        self.server.abort();
    }
}

impl DiscordStandIn {
    /// The default guild and [`FAKE_TOKEN`].
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    pub fn builder() -> StandInBuilder {
        StandInBuilder {
            model: GuildModel::default_guild(),
            token: FAKE_TOKEN.to_string(),
        }
    }

    /// `http://127.0.0.1:PORT`, the value for serenity's `HttpBuilder::proxy`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn gateway_url(&self) -> String {
        format!("ws://{}/gateway", self.addr)
    }

    pub fn token(&self) -> String {
        self.state.lock().token.clone()
    }

    /// serenity's `Http` aimed at the stand-in: proxy, ratelimiter off, application id set.
    pub fn http(&self) -> serenity::Http {
        serenity::HttpBuilder::new(self.token())
            .proxy(self.url())
            .ratelimiter_disabled(true)
            .application_id(serenity::ApplicationId::new(APPLICATION_ID))
            .build()
    }

    // ---- recording ----

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().requests.clone()
    }

    /// Requests with this method (any case; `*` for all) whose path (no `/api/v10`) starts with
    /// `path_prefix`.
    pub fn requests_matching(&self, method: &str, path_prefix: &str) -> Vec<RecordedRequest> {
        let inner = self.state.lock();
        let hit = |r: &&RecordedRequest| {
            (method == "*" || r.method.eq_ignore_ascii_case(method))
                && r.path.starts_with(path_prefix)
        };
        inner.requests.iter().filter(hit).cloned().collect()
    }

    /// Messages created by `POST /channels/{id}/messages` (not interaction replies), in order.
    pub fn messages_in(&self, channel_id: u64) -> Vec<Value> {
        let inner = self.state.lock();
        inner
            .messages
            .iter()
            .filter(|(c, _)| *c == channel_id)
            .map(|(_, m)| m.clone())
            .collect()
    }

    /// The first recorded request (earlier ones included) matching `predicate`, waiting up to
    /// `timeout` for one to arrive.
    pub async fn wait_for(
        &self,
        predicate: impl Fn(&RecordedRequest) -> bool,
        timeout: Duration,
    ) -> Option<RecordedRequest> {
        let found = |s: &Self| {
            let inner = s.state.lock();
            inner.requests.iter().find(|r| predicate(r)).cloned()
        };
        self.wait_until(timeout, found).await
    }

    pub fn clear_requests(&self) {
        self.state.lock().requests.clear();
    }

    // ---- guild model ----

    /// The member's role ids (without @everyone), sorted; `None` for an unknown guild or member.
    pub fn member_roles(&self, guild_id: u64, user_id: u64) -> Option<Vec<u64>> {
        let inner = self.state.lock();
        if inner.model.id != guild_id {
            return None;
        }
        let mut roles = inner.model.member(user_id)?.roles.clone();
        roles.sort_unstable();
        Some(roles)
    }

    pub fn guild(&self) -> GuildModel {
        self.state.lock().model.clone()
    }

    // ---- faults ----

    /// The next `n` requests with `method` (`*` for any) and a path (no `/api/v10`) starting
    /// with `path_prefix` get `fault` instead of their answer.
    pub fn fail_next(&self, method: &str, path_prefix: &str, n: usize, fault: Fault) {
        let rule = FaultRule {
            method: method.to_string(),
            path_prefix: path_prefix.to_string(),
            remaining: n,
            fault,
        };
        self.state.lock().faults.push(rule);
    }

    /// Drops every injected fault still pending (Discord answers as usual again).
    pub fn clear_faults(&self) {
        self.state.lock().faults.clear();
    }

    /// While down, every REST call answers 503 (the gateway is unaffected).
    pub fn set_down(&self, down: bool) {
        self.state.lock().down = down;
    }

    /// While revoked, every REST call answers 401 `{"message": "401: Unauthorized", "code": 0}`
    /// and IDENTIFY is refused with close code 4004, as Discord does for a reset or revoked bot
    /// token. Live gateway sessions stay until they reconnect.
    pub fn revoke_token(&self, revoked: bool) {
        self.state.lock().token_revoked = revoked;
    }

    /// The most requests matching `method` and `path_prefix` (as [`Self::requests_matching`])
    /// that arrived within any span of `window`.
    pub fn busiest_window(&self, method: &str, path_prefix: &str, window: Duration) -> usize {
        let times: Vec<_> = self
            .requests_matching(method, path_prefix)
            .iter()
            .map(|r| r.at)
            .collect();
        let mut most = 0;
        for (i, start) in times.iter().enumerate() {
            let within = times[i..]
                .iter()
                .take_while(|t| t.duration_since(*start) < window)
                .count();
            most = most.max(within);
        }
        most
    }

    /// At most `max` messages per channel per `per` (Discord's is about 5 per 5 s): from now
    /// on every answer to `POST /channels/{id}/messages` carries the bucket's `X-RateLimit-*`
    /// headers (Remaining counting down), and past the limit comes a 429 with the time left.
    pub fn limit_channel_messages(&self, max: usize, per: Duration) {
        self.state.lock().limiter = Some(ChannelLimiter::new(max, per));
    }

    pub fn rate_limit_stats(&self) -> RateLimitStats {
        self.state.lock().backoff.stats
    }

    /// Requests that arrived before the `retry_after` of a 429 on the same method and path.
    pub fn rate_limit_violations(&self) -> usize {
        self.rate_limit_stats().violations
    }

    /// 429s sent (injected or from the channel limit).
    pub fn rate_limits_issued(&self) -> usize {
        self.rate_limit_stats().issued
    }

    // ---- direct messages ----

    /// While `refusing`, messages to `user_id`'s DM channel answer 403 code 50007 (the user
    /// accepts no DMs), as Discord does.
    pub fn refuse_dms(&self, user_id: u64, refusing: bool) {
        let mut inner = self.state.lock();
        if refusing {
            inner.dms.refusing.insert(user_id);
        } else {
            inner.dms.refusing.remove(&user_id);
        }
    }

    /// Past `per_second` opens of DM channels in a rolling second, `POST /users/@me/channels`
    /// answers 403 code 40003 ("opening direct messages too fast"), as Discord does.
    pub fn limit_dm_opens(&self, per_second: usize) {
        self.state.lock().dms.opens_per_second = Some(per_second);
    }

    /// Messages posted in the DM channel with `user_id`, in order.
    pub fn dms_to(&self, user_id: u64) -> Vec<Value> {
        let inner = self.state.lock();
        let Some(channel) = inner.dms.channels.get(&user_id).copied() else {
            return Vec::new();
        };
        inner
            .messages
            .iter()
            .filter(|(c, _)| *c == channel)
            .map(|(_, m)| m.clone())
            .collect()
    }
}
