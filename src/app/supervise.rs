//! Running the application's tasks as one: the first to end, or the shutdown signal, stops all.

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How long shutdown waits for in-flight work before giving up on it: the process must end
/// within 10 s of SIGTERM (the HTTP server itself gives answers in progress 5 s).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// Waits for the shutdown signal or the first task to end, then stops the rest.
pub(super) async fn supervise(
    tasks: &mut JoinSet<(&'static str, anyhow::Result<()>)>,
    stop: &CancellationToken,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut result = Ok(());
    tokio::select! {
        _ = shutdown => {}
        Some(ended) = tasks.join_next() => {
            let (name, outcome) = ended.context("a task panicked")?;
            result = Err(match outcome {
                Ok(()) => anyhow::anyhow!("{name} stopped unexpectedly"),
                Err(e) => e.context(format!("{name} stopped")),
            });
        }
    }
    stop.cancel();
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while let Some(ended) = tasks.join_next().await {
            if let Ok((name, Err(e))) = ended {
                tracing::error!(error = format!("{e:#}"), "{name} failed while stopping");
            }
        }
    });
    if drained.await.is_err() {
        tracing::warn!("shutdown grace period over; abandoning unfinished tasks");
        tasks.abort_all();
    }
    result
}
