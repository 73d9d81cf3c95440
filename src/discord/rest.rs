//! The few Discord REST calls delivery makes, over the same reqwest client serenity uses.
//!
//! Delivery calls Discord directly rather than through serenity's `Http` because serenity's
//! error type drops the 429 `retry_after` and the rate-limit headers, which delivery must
//! honour itself whenever `discord.api_url` points at a proxy (serenity's limiter is off then).

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};

use super::answers::UserAnswer;
use super::dm_channels::DmChannels;
use super::edge::{EdgeGuard, InvalidBudget, counts_as_invalid, is_edge_block};
use super::embed_links::ChannelsWithoutEmbeds;
use super::error::{DiscordError, classify, exhausted_bucket_wait, is_global_limit};
use super::limiter::GlobalLimiter;
use super::payload::create_message;
use super::token_state::{Admission, RECHECK_EVERY, TokenState};
use crate::domain::ids::{ChannelId, GuildId, RoleId, UserId};
use crate::domain::message::OutgoingMessage;
use crate::domain::time::SharedClock;

/// Whether a member's reward role is given or taken away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleChange {
    Add,
    Remove,
}

/// What a call to Discord answered.
pub type Answer = Result<Sent, DiscordError>;

/// A successful call, and how long its rate-limit bucket now needs to rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sent {
    pub bucket_wait: Option<Duration>,
}

/// Discord asks every bot to send `DiscordBot ($url, $version)`; the URL is the package's
/// `repository` (its name while none is set).
static USER_AGENT: LazyLock<String> = LazyLock::new(|| {
    let url = match env!("CARGO_PKG_REPOSITORY") {
        "" => env!("CARGO_PKG_NAME"),
        url => url,
    };
    format!("DiscordBot ({url}, {})", env!("CARGO_PKG_VERSION"))
});

/// How long one call may take before it counts as failed (Discord may still have acted).
const CALL_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Clone)]
pub struct DiscordRest {
    pub(super) client: reqwest::Client,
    pub(super) base: String,
    token: SecretString,
    /// Shared by every clone: this instance's token state and global limits.
    pub(super) limits: Arc<Limits>,
}

pub(super) struct Limits {
    token: TokenState,
    /// This instance's share of Discord's global budget, and global pauses.
    pub(super) global: GlobalLimiter,
    edge: EdgeGuard,
    pub(super) dms: DmChannels,
    /// Where Embed Links is missing (filled from the gateway).
    pub(super) embeds: ChannelsWithoutEmbeds,
}

impl Limits {
    fn new(recheck_every: Duration, budget: InvalidBudget, clock: SharedClock) -> Arc<Self> {
        Arc::new(Limits {
            token: TokenState::new(recheck_every, clock),
            global: GlobalLimiter::default(),
            edge: EdgeGuard::new(budget),
            dms: DmChannels::default(),
            embeds: ChannelsWithoutEmbeds::default(),
        })
    }
}

/// Whether a call is an ordinary one or the check of a rejected token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    Call,
    TokenCheck,
}

impl DiscordRest {
    /// `api_url` is `https://discord.com` or a proxy/stand-in base; `clock` is the app's
    /// (it tells when the token was rejected).
    pub fn new(
        client: reqwest::Client,
        api_url: &str,
        token: SecretString,
        clock: SharedClock,
    ) -> Self {
        Self {
            client,
            base: format!("{}/api/v10", api_url.trim_end_matches('/')),
            token,
            limits: Limits::new(RECHECK_EVERY, InvalidBudget::default(), clock),
        }
    }

    /// Checks a rejected token every `every` instead of every minute, and spends invalid
    /// requests within `budget` (Discord's: [`InvalidBudget::default`]). Call before cloning.
    pub fn with_limits(mut self, every: Duration, budget: InvalidBudget) -> Self {
        self.limits = Limits::new(every, budget, self.limits.token.clock());
        self
    }

    /// `Ok` when delivery may call Discord. While the token is rejected, checks it
    /// (`GET /users/@me`) when a check is due, and otherwise says how long to wait.
    pub async fn usable(&self) -> Result<(), Duration> {
        if let Some(left) = self.limits.edge.pause_left() {
            return Err(left);
        }
        let every = self.limits.token.recheck_every();
        match self.limits.token.claim_check() {
            Ok(false) => Ok(()),
            Err(wait) => Err(wait),
            Ok(true) => match self.current_user(Purpose::TokenCheck).await {
                Ok(_) => Ok(()),
                Err(error) => {
                    tracing::error!(%error, next_check_in = ?every, "Discord still does not accept the bot token: delivery stays stopped, jobs stay queued");
                    Err(every)
                }
            },
        }
    }

    /// Discord rejected the token elsewhere (the gateway): stop as after a 401 here.
    pub fn token_rejected(&self) {
        if self.limits.token.rejected() {
            tracing::error!(next_check_in = ?self.limits.token.recheck_every(), "Discord rejected the bot token: all delivery stopped, jobs stay queued until it works again");
        }
    }

    /// Why Discord cannot be used now (a rejected token, the edge's block, the invalid-request
    /// budget spent), for `/readyz`.
    pub fn problem(&self) -> Option<String> {
        self.limits
            .token
            .problem()
            .or_else(|| self.limits.edge.problem())
    }

    /// Discord's 401/403/429 answers of the last 10 minutes.
    pub fn invalid_requests(&self) -> usize {
        self.limits.edge.invalid_count()
    }

    /// Posts `content` that may mention only `allowed_users`; `nonce` makes a retry post once.
    pub async fn create_message(
        &self,
        channel_id: &ChannelId,
        content: &str,
        allowed_users: &[UserId],
        nonce: Option<&str>,
    ) -> Result<Sent, DiscordError> {
        let message = OutgoingMessage {
            content: content.to_string(),
            allowed_users: allowed_users.to_vec(),
            ..OutgoingMessage::default()
        };
        self.post(channel_id, &create_message(&message, nonce))
            .await
    }

    /// Gives the member the role ([`DiscordRest::change_role`]).
    pub async fn add_role(&self, guild: &GuildId, user: &UserId, role: &RoleId) -> Answer {
        self.change_role(RoleChange::Add, (guild, user, role)).await
    }

    /// Takes the role away from the member ([`DiscordRest::change_role`]).
    pub async fn remove_role(&self, guild: &GuildId, user: &UserId, role: &RoleId) -> Answer {
        self.change_role(RoleChange::Remove, (guild, user, role))
            .await
    }

    /// Gives the member the role (`PUT`) or takes it away (`DELETE`), saying why in the audit log.
    pub async fn change_role(
        &self,
        change: RoleChange,
        (guild_id, user_id, role_id): (&GuildId, &UserId, &RoleId),
    ) -> Result<Sent, DiscordError> {
        let base = &self.base;
        let url = format!("{base}/guilds/{guild_id}/members/{user_id}/roles/{role_id}");
        let (request, reason) = match change {
            RoleChange::Add => (self.client.put(url), "Top.gg vote reward"),
            RoleChange::Remove => (self.client.delete(url), "Top.gg vote reward expired"),
        };
        self.send(request.header("x-audit-log-reason", reason))
            .await
    }

    /// The bot's own user name: proves the token works.
    pub async fn current_user_name(&self) -> Result<String, DiscordError> {
        self.current_user(Purpose::Call).await
    }

    async fn current_user(&self, purpose: Purpose) -> Result<String, DiscordError> {
        let url = format!("{}/users/@me", self.base);
        let (_, body) = self.execute(self.client.get(url), purpose).await?;
        let user = UserAnswer::read(&body);
        Ok(user.username().unwrap_or("unknown").to_string())
    }

    pub(super) async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Sent, DiscordError> {
        let (headers, _) = self.execute(request, Purpose::Call).await?;
        Ok(Sent {
            bucket_wait: exhausted_bucket_wait(&headers),
        })
    }

    /// Sends with the bot's token and User-Agent once the token state and the global limits
    /// allow; a non-2xx answer becomes a classified [`DiscordError`].
    pub(super) async fn execute(
        &self,
        request: reqwest::RequestBuilder,
        purpose: Purpose,
    ) -> Result<(HeaderMap, axum::body::Bytes), DiscordError> {
        let _probe = match self.limits.token.admit().await {
            Admission::Go(guard) => guard,
            Admission::Rejected if purpose == Purpose::TokenCheck => None,
            Admission::Rejected => return Err(DiscordError::Unauthorized),
        };
        if let Some(retry_after) = self.limits.edge.pause_left() {
            return Err(DiscordError::RateLimited { retry_after });
        }
        let _room = self
            .limits
            .global
            .acquire()
            .await
            .map_err(|retry_after| DiscordError::RateLimited { retry_after })?;
        let response = request
            .header(
                "authorization",
                format!("Bot {}", self.token.expose_secret()),
            )
            .header(reqwest::header::USER_AGENT, USER_AGENT.as_str())
            .timeout(CALL_TIMEOUT)
            .send()
            .await
            .map_err(|e| DiscordError::NoAnswer(describe_transport_error(&e)))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| DiscordError::NoAnswer(describe_transport_error(&e)))?;
        if let Some(retry_after) = self.watch_edge(status, &headers, &body) {
            return Err(DiscordError::RateLimited { retry_after });
        }
        self.observe(status, &headers, &body);
        if (200..300).contains(&status) {
            return Ok((headers, body));
        }
        Err(classify(status, &headers, &String::from_utf8_lossy(&body)))
    }

    /// Counts an invalid answer and pauses every call when the edge blocks the address;
    /// returns the pause then.
    fn watch_edge(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> Option<Duration> {
        if counts_as_invalid(status, headers) && self.limits.edge.invalid() {
            tracing::error!(
                budget = self.limits.edge.budget(),
                "Discord answered too many 401/403/429 in 10 minutes: no call is made until the count falls"
            );
        }
        if !is_edge_block(status, headers, body) {
            return None;
        }
        let pause = self.limits.edge.blocked();
        tracing::error!(
            ?pause,
            "Discord's edge blocks this address (a 429 without rate-limit headers): every call paused"
        );
        Some(pause)
    }

    /// What an answer says about the token and the global limit.
    fn observe(&self, status: u16, headers: &HeaderMap, body: &[u8]) {
        match status {
            401 => self.token_rejected(),
            429 => {
                let body = String::from_utf8_lossy(body);
                if is_global_limit(headers, &body)
                    && let DiscordError::RateLimited { retry_after } =
                        classify(status, headers, &body)
                {
                    tracing::warn!(
                        ?retry_after,
                        "Discord's global rate limit: every call paused"
                    );
                    self.limits.global.pause(retry_after);
                }
            }
            s if s < 500 && s != 401 && self.limits.token.accepted() => {
                tracing::info!("Discord accepts the bot token again: delivery resumes");
            }
            _ => {}
        }
    }
}

/// A transport failure without the URL (it may carry ids, never secrets, but stays short).
fn describe_transport_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "Discord did not answer in time".into()
    } else if error.is_connect() {
        "cannot connect to Discord".into()
    } else {
        "request to Discord failed".into()
    }
}
