//! Discord as delivery sees it: [`Discord`], one handle over [`DiscordApi`], implemented by
//! live REST calls ([`DiscordRest`]) and the dry-run sink ([`DryRunSink`]).

mod answers;
mod api;
mod bucket;
mod dm_channels;
mod dry_run;
mod edge;
mod embed_links;
pub mod error;
mod limiter;
mod live;
mod messages;
pub mod payload;
mod rest;
mod token_state;

pub use api::{Discord, DiscordApi, Post, Recipient};
pub use bucket::Bucket;
pub use dm_channels::DM_OPENS_PER_SECOND;
pub use dry_run::{DryRunAction, DryRunSink};
pub use edge::{EDGE_PAUSE_FIRST, INVALID_BUDGET, INVALID_WINDOW, InvalidBudget};
pub use error::DiscordError;
pub use limiter::MAX_CALLS_PER_SECOND;
pub use rest::{DiscordRest, RoleChange, Sent};
pub use token_state::RECHECK_EVERY;

use crate::domain::time::SystemClock;

/// Locks `mutex`, going on after a panic elsewhere held it: every holder here leaves its data
/// whole (plain counters, maps and times).
pub(super) fn unpoisoned<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `topgg-bot check`: whether Discord accepts the configured token.
pub async fn check_token(config: &crate::config::Config) -> anyhow::Result<String> {
    let Some(token) = config.discord.token.clone() else {
        return Ok("no token (dry run)".into());
    };
    let client = reqwest::Client::new();
    let rest = DiscordRest::new(
        client,
        &config.discord.api_url,
        token,
        SystemClock::shared(),
    );
    match rest.current_user_name().await {
        Ok(name) => Ok(format!("token ok, logged in as {name}")),
        Err(DiscordError::Unauthorized) => {
            anyhow::bail!("discord.token: Discord rejected the token (401)")
        }
        Err(e) => anyhow::bail!("discord: cannot check the token: {e}"),
    }
}
