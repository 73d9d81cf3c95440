//! The gateway's state for `/readyz`, read from serenity's shard manager.
//!
//! poise's framework never sees `ShardStageUpdate` (serenity dispatches it to `EventHandler`s
//! only), so readiness is not tracked from events: each `/readyz` reads the stage serenity
//! keeps for every shard runner. A shard whose connection closed or broke is restarted by
//! serenity: while it reconnects it is missing from the runners or not `Connected`.

use std::sync::{Arc, Mutex};

use poise::serenity_prelude as serenity;

/// Whether every shard this instance runs is connected. Cheap to clone; shared with `/readyz`.
#[derive(Clone, Default)]
pub struct GatewayStatus {
    running: Arc<Mutex<Option<Running>>>,
}

struct Running {
    manager: Arc<serenity::ShardManager>,
    shards: Vec<u32>,
}

impl GatewayStatus {
    /// A client is (re)starting these shards under `manager`.
    pub(super) fn start(&self, manager: Arc<serenity::ShardManager>, shards: Vec<u32>) {
        *self.lock() = Some(Running { manager, shards });
    }

    /// The client stopped: nothing is connected until the next [`GatewayStatus::start`].
    pub(super) fn stop(&self) {
        *self.lock() = None;
    }

    /// `Ok` when every shard this instance runs is `Connected`; else which one is not and why.
    pub async fn check(&self) -> Result<(), String> {
        let (manager, shards) = match self.lock().as_ref() {
            Some(r) => (r.manager.clone(), r.shards.clone()),
            None => return Err("not connected".into()),
        };
        let runners = manager.runners.lock().await;
        for id in shards {
            match runners.get(&serenity::ShardId(id)) {
                Some(runner) if runner.stage == serenity::ConnectionStage::Connected => {}
                Some(runner) => return Err(format!("shard {id} {}", runner.stage)),
                None => return Err(format!("shard {id} reconnecting")),
            }
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Running>> {
        self.running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
