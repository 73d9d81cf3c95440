//! Seeing the gateway close codes serenity 0.12.5 would retry for ever (4010-4014), and
//! stopping the shard before it loops.
//!
//! serenity's shard runner treats 4010 (invalid shard) and 4011 (sharding required) as
//! non-fatal: it keeps polling the closed socket, a busy loop that never yields (a full core
//! and a tokio worker lost), and re-identifies at the next heartbeat; an unknown code such as
//! 4012 (invalid API version) re-identifies every few seconds. Its API reports none of these:
//! the runner's stage stays `Identifying` as while waiting for READY, and the code is only in
//! the line serenity logs for the close, on the runner's own thread, right as it reads the
//! frame. So a tracing layer reads that line (it names the shard, `ShardId(N)`) and, still on
//! that thread and before the runner loops again, queues a presence update for the runner:
//! sending it on the closed socket fails, which ends the runner cleanly, without a restart.
//! The gateway task is then told which shard closed with which code.
//!
//! The lines are serenity 0.12.5's (`Shard::handle_gateway_closed`; the version is locked);
//! `tests/discord_faults/close_codes.rs` fails if they change. One bot runs per process, so
//! the layer serves whichever client is [`watch`]ed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use poise::serenity_prelude as serenity;
use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;

/// A shard Discord closed with a code that must not be retried as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FatalClose {
    pub shard: u32,
    pub code: u16,
}

impl FatalClose {
    /// Reads serenity's log line for a closed shard: `[ShardInfo { id: ShardId(0), total: 1 }]
    /// Sent invalid shard data.` and the like.
    pub fn parse(message: &str) -> Option<FatalClose> {
        let code = close_code(message)?;
        let after = message.split_once("ShardId(")?.1;
        let shard = after.split_once(')')?.0.parse().ok()?;
        Some(FatalClose { shard, code })
    }

    /// What Discord means by the code.
    pub fn meaning(&self) -> &'static str {
        match self.code {
            4010 => "invalid shard: the shard id is not below the shard count",
            4011 => "sharding required: too many guilds for this shard count",
            4012 => "invalid API version",
            4013 => "invalid intents",
            _ => "disallowed intents: a privileged intent is not enabled for the application",
        }
    }
}

/// The close code serenity's line reports, when it is one of 4010-4014.
fn close_code(message: &str) -> Option<u16> {
    const LINES: [(&str, u16); 4] = [
        ("Sent invalid shard data.", 4010),
        ("Shard has too many guilds.", 4011),
        ("Invalid gateway intents have been provided.", 4013),
        ("Disallowed gateway intents have been provided.", 4014),
    ];
    if let Some((_, code)) = LINES.iter().find(|(line, _)| message.ends_with(line)) {
        return Some(*code);
    }
    let unknown = message.split_once("Unknown unclean close ")?.1;
    let code: u16 = unknown.split(':').next()?.trim().parse().ok()?;
    (4010..=4014).contains(&code).then_some(code)
}

struct Watched {
    manager: Arc<serenity::ShardManager>,
    closes: mpsc::UnboundedSender<FatalClose>,
}

static WATCHED: Mutex<Option<Watched>> = Mutex::new(None);

fn watched() -> std::sync::MutexGuard<'static, Option<Watched>> {
    WATCHED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Stops watching when dropped.
pub struct WatchGuard(Arc<serenity::ShardManager>);

impl Drop for WatchGuard {
    fn drop(&mut self) {
        let mut current = watched();
        if current
            .as_ref()
            .is_some_and(|w| Arc::ptr_eq(&w.manager, &self.0))
        {
            *current = None;
        }
    }
}

/// While the guard lives, a shard of `manager` closed with 4010-4014 is stopped and reported
/// on the receiver.
pub fn watch(
    manager: Arc<serenity::ShardManager>,
) -> (WatchGuard, mpsc::UnboundedReceiver<FatalClose>) {
    let (closes, received) = mpsc::unbounded_channel();
    *watched() = Some(Watched {
        manager: manager.clone(),
        closes,
    });
    (WatchGuard(manager), received)
}

/// The layer that reads serenity's close lines (only those: warnings and errors of
/// `serenity::gateway`, whatever `RUST_LOG` says).
pub fn layer<S>() -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    let serenity_gateway = Targets::new().with_target("serenity::gateway", tracing::Level::WARN);
    CloseLayer.with_filter(serenity_gateway)
}

struct CloseLayer;

impl<S: tracing::Subscriber> Layer<S> for CloseLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut message = MessageText::default();
        event.record(&mut message);
        if let Some(close) = FatalClose::parse(&message.0) {
            report(close);
        }
    }
}

#[derive(Default)]
struct MessageText(String);

impl Visit for MessageText {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

/// Stops the shard's runner and tells the gateway task.
fn report(close: FatalClose) {
    let current = watched();
    let Some(watched) = current.as_ref() else {
        return;
    };
    stop_runner(&watched.manager, serenity::ShardId(close.shard));
    let _ = watched.closes.send(close);
}

/// Queues a presence update for the shard's runner: on its closed socket the send fails and
/// the runner ends (serenity's `ShardRunner::recv`), instead of polling the socket. On the
/// runner's thread the runners' map is free; if not, a thread of its own waits for it (the
/// runner's busy loop holds a tokio worker, so no task is asked to).
fn stop_runner(manager: &Arc<serenity::ShardManager>, shard: serenity::ShardId) {
    let stop = move |runners: &std::collections::HashMap<_, serenity::ShardRunnerInfo>| {
        runners
            .get(&shard)
            .map(|r| r.runner_tx.set_status(serenity::OnlineStatus::Online))
            .is_some()
    };
    if manager.runners.try_lock().is_ok_and(|r| stop(&r)) {
        return;
    }
    let manager = manager.clone();
    std::thread::spawn(move || {
        for _ in 0..50 {
            if stop(&manager.runners.blocking_lock()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHARD: &str = "[ShardInfo { id: ShardId(3), total: 4 }]";

    #[test]
    fn serenity_close_lines_name_the_shard_and_the_code() {
        let cases = [
            ("Sent invalid shard data.", 4010),
            ("Shard has too many guilds.", 4011),
            (
                "Unknown unclean close 4012: Some(\"Invalid API version.\")",
                4012,
            ),
            ("Invalid gateway intents have been provided.", 4013),
            ("Disallowed gateway intents have been provided.", 4014),
        ];
        for (line, code) in cases {
            let parsed = FatalClose::parse(&format!("{SHARD} {line}"));
            assert_eq!(parsed, Some(FatalClose { shard: 3, code }), "{line}");
        }
    }

    #[test]
    fn other_closes_and_lines_are_not_fatal() {
        for line in [
            "Unknown unclean close 4000: Some(\"\")",
            "Gateway ratelimited.",
            "Sent invalid seq: 4.",
        ] {
            assert_eq!(FatalClose::parse(&format!("{SHARD} {line}")), None);
        }
        assert_eq!(FatalClose::parse("Shard has too many guilds."), None);
    }
}
