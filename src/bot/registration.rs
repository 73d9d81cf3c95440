//! Global slash-command registration, in a task of its own: a failed `PUT` (5xx, timeout)
//! is retried with backoff while the bot already answers commands.

use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use tokio_util::sync::CancellationToken;

use crate::delivery::policy::backoff;

/// Registration retries wait at most this long between attempts.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// Registers `commands` globally until Discord accepts them or `stop` is cancelled.
pub fn spawn(
    http: Arc<serenity::Http>,
    commands: Vec<serenity::CreateCommand>,
    stop: CancellationToken,
) {
    tokio::spawn(async move {
        let mut failures = 0;
        loop {
            let error = match serenity::Command::set_global_commands(&http, commands.clone()).await
            {
                Ok(registered) => {
                    tracing::info!(commands = registered.len(), "slash commands registered");
                    return;
                }
                Err(error) => error,
            };
            failures += 1;
            let wait = backoff(failures).min(MAX_WAIT);
            tracing::error!(%error, retry_in = ?wait, "cannot register the slash commands; retrying");
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.cancelled() => return,
            }
        }
    });
}
