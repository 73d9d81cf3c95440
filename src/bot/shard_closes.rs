//! What the bot does with a shard Discord closed with 4010-4014 (seen by
//! [`close_watch`](super::close_watch), which has already stopped the shard's runner):
//! never IDENTIFY again as it was.
//!
//! - 4011 (sharding required) with the shard count not fixed (`discord.shards` unset), once:
//!   every shard is stopped and the gateway restarts with the count Discord recommends now.
//! - 4010, 4011 otherwise: that shard stays stopped (the others run on), one error line,
//!   `/readyz` 503 naming the code.
//! - 4012 (serenity itself restarts the shard): the whole client is stopped (the API version
//!   is every shard's), the gateway URL blanked first so that restart cannot connect.
//! - 4013, 4014: serenity ends the client with an error; the gateway task stops there.

use std::sync::{Arc, Mutex};

use poise::serenity_prelude as serenity;
use tokio::sync::mpsc;

use super::close_watch::FatalClose;
use super::readiness::GatewayStatus;

/// How a gateway session ended on a close code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloseEnd {
    /// Restart every shard with the count Discord recommends.
    Reshard,
    /// Stay disconnected, for this reason.
    Halted(String),
}

/// What a session may do about closes.
pub struct ClosePolicy {
    /// Whether a 4011 may restart the shards with a new count.
    pub may_reshard: bool,
    /// The client's gateway URL (blanked so serenity's own restart cannot connect).
    pub ws_url: Arc<tokio::sync::Mutex<String>>,
}

/// Acts on each close of the session until one ends the session; the decision is written
/// to `decided` before the client is ended.
pub async fn handle(
    mut closes: mpsc::UnboundedReceiver<FatalClose>,
    manager: Arc<serenity::ShardManager>,
    status: GatewayStatus,
    policy: ClosePolicy,
    decided: Arc<Mutex<Option<CloseEnd>>>,
) {
    while let Some(close) = closes.recv().await {
        let end = match close.code {
            // serenity is restarting this shard: shutting the client down waits for it.
            4012 => {
                *policy.ws_url.lock().await = String::new();
                tracing::error!(shard = close.shard, code = close.code, "{}", halted(close));
                CloseEnd::Halted(halted(close))
            }
            // serenity ends the client with the error itself.
            4013 | 4014 => continue,
            4011 if policy.may_reshard => {
                forget_runner(&manager, close.shard).await;
                tracing::warn!(
                    shard = close.shard,
                    code = close.code,
                    "Discord requires more shards (4011); restarting the gateway with the shard count it recommends now"
                );
                CloseEnd::Reshard
            }
            _ => {
                forget_runner(&manager, close.shard).await;
                stop_shard(&status, close);
                if !manager.runners.lock().await.is_empty() {
                    continue;
                }
                CloseEnd::Halted(halted(close))
            }
        };
        *decided.lock().unwrap_or_else(|p| p.into_inner()) = Some(end);
        end_client(&manager).await;
        return;
    }
}

/// Ends the client's `start_shard_range`. `shutdown_all` does nothing when no runner is left
/// (the stopped ones were forgotten): then the manager's return value is sent directly, and
/// serenity's shard queuer stays behind, idle (at most twice a process: a reshard, a halt).
async fn end_client(manager: &serenity::ShardManager) {
    if manager.runners.lock().await.is_empty() {
        manager.return_with_value(Ok(())).await;
    } else {
        manager.shutdown_all().await;
    }
}

/// The reason the gateway stays disconnected after `close`, for the log and `/readyz`.
pub fn halted(close: FatalClose) -> String {
    format!(
        "stopped: Discord closed shard {} with {} ({}); fix the configuration and restart",
        close.shard,
        close.code,
        close.meaning()
    )
}

/// One shard stays stopped; the others run on.
fn stop_shard(status: &GatewayStatus, close: FatalClose) {
    let why = format!(
        "stopped: Discord closed it with {} ({})",
        close.code,
        close.meaning()
    );
    tracing::error!(
        shard = close.shard,
        code = close.code,
        "Discord closed a gateway shard with {} ({}); the shard stays stopped (not identifying again) until the configuration (discord.shards) is fixed and the bot restarted",
        close.code,
        close.meaning()
    );
    status.shard_stopped(close.shard, why);
}

/// Drops the stopped runner's entry: nothing is sent to it any more (serenity's shutdown of a
/// runner on a closed socket would poll it for ever).
async fn forget_runner(manager: &serenity::ShardManager, shard: u32) {
    manager
        .runners
        .lock()
        .await
        .remove(&serenity::ShardId(shard));
}
