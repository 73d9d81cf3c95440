//! This process among others: its name on leases, and the signals that stop it.

use std::future::Future;

use crate::domain::time::{Clock, SystemClock};

/// This process's name on its leases: `<host>-<pid>-<start ms, hex>`. Unique even where
/// instances share a host name or a PID (containers all run as PID 1), because releasing
/// leases by name must never touch another live instance's work. The start is the wall
/// clock's, not the app's: instances on one test clock must still differ.
pub(super) fn instance_id() -> String {
    let started = SystemClock.now().as_millis();
    format!("{}-{}-{started:x}", hostname(), std::process::id())
}

/// `HOSTNAME`, else the kernel's host name (systemd does not export `HOSTNAME`).
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "topgg-bot".into())
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed by this call, not on first poll,
/// so a signal that arrives while the application is still starting is not lost: call it
/// before [`Application::build`].
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    async move {
        #[cfg(unix)]
        tokio::select! {
            _ = recv(&mut term) => {},
            _ = recv(&mut int) => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown signal received");
    }
}

#[cfg(unix)]
async fn recv(signal: &mut Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}
