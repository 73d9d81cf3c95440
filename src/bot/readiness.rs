//! The gateway's state for `/readyz`, read from serenity's shard manager.
//!
//! poise's framework never sees `ShardStageUpdate` (serenity dispatches it to `EventHandler`s
//! only), so readiness is not tracked from events: each `/readyz` reads the stage serenity
//! keeps for every shard runner. A shard whose connection closed or broke is restarted by
//! serenity: while it reconnects it is missing from the runners or not `Connected`. A shard
//! the bot stopped (a 4010-4014 close), or a gateway held back (the session start limit, a
//! fatal close), is reported with its reason.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use poise::serenity_prelude as serenity;

/// Whether every shard this instance runs is connected. Cheap to clone; shared with `/readyz`.
#[derive(Clone, Default)]
pub struct GatewayStatus {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    running: Option<Running>,
    /// Shards stopped after a close code, with why.
    stopped: BTreeMap<u32, String>,
    /// Why the gateway is not started (or was stopped altogether), when it is held back.
    held: Option<String>,
}

struct Running {
    manager: Arc<serenity::ShardManager>,
    shards: Vec<u32>,
}

impl GatewayStatus {
    /// A client is (re)starting these shards under `manager`.
    pub(super) fn start(&self, manager: Arc<serenity::ShardManager>, shards: Vec<u32>) {
        let mut state = self.lock();
        state.running = Some(Running { manager, shards });
        state.stopped.clear();
        state.held = None;
    }

    /// The client stopped: nothing is connected until the next [`GatewayStatus::start`].
    pub(super) fn stop(&self) {
        self.lock().running = None;
    }

    /// The shard was stopped (and stays stopped) for `why`.
    pub(super) fn shard_stopped(&self, shard: u32, why: String) {
        self.lock().stopped.insert(shard, why);
    }

    /// The gateway is held back for `why` (`None`: no longer).
    pub(super) fn hold(&self, why: Option<String>) {
        self.lock().held = why;
    }

    /// `Ok` when every shard this instance runs is `Connected`; else which one is not and why.
    pub async fn check(&self) -> Result<(), String> {
        let (manager, shards) = {
            let state = self.lock();
            if let Some(why) = &state.held {
                return Err(why.clone());
            }
            if let Some((shard, why)) = state.stopped.iter().next() {
                return Err(format!("shard {shard} {why}"));
            }
            match state.running.as_ref() {
                Some(r) => (r.manager.clone(), r.shards.clone()),
                None => return Err("not connected".into()),
            }
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

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
