//! Discord as delivery sees it: live REST calls or the dry-run sink.

mod answers;
mod bucket;
mod dm_channels;
mod dry_run;
mod edge;
mod embed_links;
pub mod error;
mod limiter;
mod messages;
pub mod payload;
mod rest;
mod token_state;

pub use bucket::Bucket;
pub use dm_channels::DM_OPENS_PER_SECOND;
pub use dry_run::{DryRunAction, DryRunSink};
pub use edge::{EDGE_PAUSE_FIRST, INVALID_BUDGET, INVALID_WINDOW, InvalidBudget};
pub use error::DiscordError;
pub use limiter::MAX_CALLS_PER_SECOND;
pub use rest::{DiscordRest, RoleChange, Sent};
pub use token_state::RECHECK_EVERY;

use crate::domain::ids::{ChannelId, GuildId, RoleId, UserId};

/// Locks `mutex`, going on after a panic elsewhere held it: every holder here leaves its data
/// whole (plain counters, maps and times).
pub(super) fn unpoisoned<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Where delivery sends its actions.
#[derive(Clone)]
pub enum Discord {
    Rest(DiscordRest),
    DryRun(DryRunSink),
}

impl Discord {
    /// `Ok` when delivery may call Discord; while the token is rejected, how long to wait
    /// (the token is checked again when due; see [`DiscordRest::usable`]).
    pub async fn usable(&self) -> Result<(), std::time::Duration> {
        match self {
            Discord::Rest(rest) => rest.usable().await,
            Discord::DryRun(_) => Ok(()),
        }
    }

    /// Discord's 401/403/429 answers of the last 10 minutes (for `/metrics`).
    pub fn invalid_requests(&self) -> usize {
        match self {
            Discord::Rest(rest) => rest.invalid_requests(),
            Discord::DryRun(_) => 0,
        }
    }

    /// Why Discord cannot be used now (a rejected token, the edge blocking the address, the
    /// invalid-request budget spent), for `/readyz`.
    pub fn problem(&self) -> Option<String> {
        match self {
            Discord::Rest(rest) => rest.problem(),
            Discord::DryRun(_) => None,
        }
    }

    /// Whether the bot lacks Embed Links in `channel_id`, as the gateway last showed it (no
    /// call): its announcements are then posted in `text` style.
    pub fn lacks_embed_links(&self, channel_id: &ChannelId) -> bool {
        match self {
            Discord::Rest(rest) => rest.limits.embeds.lacks(channel_id),
            Discord::DryRun(_) => false,
        }
    }

    /// What the gateway shows of `guild_id`: exactly `lacking` of its channels lack Embed
    /// Links (`None`: the bot left the guild, forget it).
    pub fn embed_links_in(&self, guild_id: &GuildId, lacking: Option<Vec<ChannelId>>) {
        if let Discord::Rest(rest) = self {
            match lacking {
                Some(lacking) => rest.limits.embeds.set_guild(guild_id, lacking),
                None => rest.limits.embeds.forget_guild(guild_id),
            }
        }
    }

    /// What the database says of every guild (see [`embed_links_in`](Self::embed_links_in)).
    pub fn embed_links_everywhere(&self, known: Vec<(GuildId, ChannelId)>) {
        if let Discord::Rest(rest) = self {
            rest.limits.embeds.replace_all(known);
        }
    }

    /// `instances` live instances share Discord's budget: this one takes an equal part.
    pub fn share_budget(&self, instances: usize) {
        if let Discord::Rest(rest) = self {
            rest.limits.global.share_with(instances);
        }
    }

    /// This instance's Discord calls per rolling second.
    pub fn budget_share(&self) -> usize {
        match self {
            Discord::Rest(rest) => rest.limits.global.share(),
            Discord::DryRun(_) => MAX_CALLS_PER_SECOND,
        }
    }

    /// Holds every call for `wait` (a few seconds at most).
    pub fn hold_calls(&self, wait: std::time::Duration) {
        if let Discord::Rest(rest) = self {
            rest.limits.global.pause(wait);
        }
    }

    /// Another client (the gateway) met a 401: delivery stops as if it had.
    pub fn token_rejected(&self) {
        if let Discord::Rest(rest) = self {
            rest.token_rejected();
        }
    }

    /// Gives the member (`guild`, `user`) the role, or takes it away.
    pub async fn change_role(
        &self,
        change: RoleChange,
        ids: (&GuildId, &UserId, &RoleId),
    ) -> Result<Sent, DiscordError> {
        let sink = match self {
            Discord::Rest(rest) => return rest.change_role(change, ids).await,
            Discord::DryRun(sink) => sink,
        };
        let (guild_id, user_id, role_id) =
            (ids.0.to_string(), ids.1.to_string(), ids.2.to_string());
        sink.sent(match change {
            RoleChange::Add => DryRunAction::AddRole {
                guild_id,
                user_id,
                role_id,
            },
            RoleChange::Remove => DryRunAction::RemoveRole {
                guild_id,
                user_id,
                role_id,
            },
        })
    }
}

/// `topgg-bot check`: whether Discord accepts the configured token.
pub async fn check_token(config: &crate::config::Config) -> anyhow::Result<String> {
    let Some(token) = config.discord.token.clone() else {
        return Ok("no token (dry run)".into());
    };
    let rest = DiscordRest::new(reqwest::Client::new(), &config.discord.api_url, token);
    match rest.current_user_name().await {
        Ok(name) => Ok(format!("token ok, logged in as {name}")),
        Err(DiscordError::Unauthorized) => {
            anyhow::bail!("discord.token: Discord rejected the token (401)")
        }
        Err(e) => anyhow::bail!("discord: cannot check the token: {e}"),
    }
}
