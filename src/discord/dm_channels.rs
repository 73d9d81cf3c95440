//! DM channels: Discord warns that opening them quickly gets a bot blocked from opening them,
//! so each user's channel is opened once and kept (in memory: a restart opens each again once),
//! and opens are paced across the process.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use poise::serenity_prelude::CreateMessage;
use serde::Serialize;
use tokio::time::Instant;

use super::answers::ChannelAnswer;
use super::error::DiscordError;
use super::rest::{DiscordRest, Purpose, Sent};
use crate::domain::ids::{ChannelId, UserId};

/// DM channels opened per rolling second, across the process.
pub const DM_OPENS_PER_SECOND: usize = 2;
const WINDOW: Duration = Duration::from_secs(1);
/// Kept channels past which the memory is cleared (each is then opened once more).
const MAX_KEPT: usize = 100_000;
/// Discord's code for "You are opening direct messages too fast" (a 403).
pub const OPENING_DMS_TOO_FAST: i64 = 40003;
/// Opens refused as too fast that are tried again in place, a pace apart, before the job
/// is handed back to be retried later.
const TOO_FAST_RETRIES: u32 = 3;
/// How long a reminder whose opens kept being refused waits before its job is tried again.
const TOO_FAST_RETRY_AFTER: Duration = Duration::from_secs(5);

/// The DM channel kept per user and the pace of new opens.
#[derive(Default)]
pub struct DmChannels {
    kept: Mutex<HashMap<UserId, ChannelId>>,
    /// When recent opens were answered, oldest first; held from the wait until the answer,
    /// so opens go one at a time and Discord never receives more than the pace in a second
    /// whatever the network delays.
    opens: tokio::sync::Mutex<VecDeque<Instant>>,
}

/// The turn to open one DM channel; dropping it (once the answer is in) counts the open.
pub struct OpenTurn<'a> {
    opens: tokio::sync::MutexGuard<'a, VecDeque<Instant>>,
}

impl Drop for OpenTurn<'_> {
    fn drop(&mut self) {
        self.opens.push_back(Instant::now());
    }
}

impl DmChannels {
    /// The channel opened earlier with `user`.
    pub fn kept(&self, user: &UserId) -> Option<ChannelId> {
        self.lock().get(user).cloned()
    }

    /// Keeps `channel` as the DM channel with `user`.
    pub fn keep(&self, user: &UserId, channel: &ChannelId) {
        let mut kept = self.lock();
        if kept.len() >= MAX_KEPT {
            kept.clear();
        }
        kept.insert(user.clone(), channel.clone());
    }

    /// Waits until an open fits in the pace; keep the turn until Discord has answered.
    pub async fn pace_open(&self) -> OpenTurn<'_> {
        let mut opens = self.opens.lock().await;
        loop {
            let now = Instant::now();
            while opens.front().is_some_and(|t| now - *t >= WINDOW) {
                opens.pop_front();
            }
            match opens.front() {
                Some(oldest) if opens.len() >= DM_OPENS_PER_SECOND => {
                    tokio::time::sleep_until(*oldest + WINDOW).await;
                }
                _ => return OpenTurn { opens },
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, ChannelId>> {
        super::unpoisoned(&self.kept)
    }
}

impl DiscordRest {
    /// Posts `message` in the DM channel with `user_id`, opened once (`POST /users/@me/channels`,
    /// paced) and kept. An open refused as too fast (40003) waits and is tried again. Discord
    /// answers 403 code 50007 to the message when the user accepts no DMs.
    pub async fn send_dm(
        &self,
        user_id: &UserId,
        message: &CreateMessage,
    ) -> Result<Sent, DiscordError> {
        let channel = match self.limits.dms.kept(user_id) {
            Some(channel) => channel,
            None => self.open_dm(user_id).await?,
        };
        self.post(&channel, message).await
    }

    async fn open_dm(&self, user: &UserId) -> Result<ChannelId, DiscordError> {
        let mut refused = 0;
        loop {
            let turn = self.limits.dms.pace_open().await;
            let url = format!("{}/users/@me/channels", self.base);
            let request = self.client.post(url).json(&OpenDm { recipient_id: user });
            let answer = self.execute(request, Purpose::Call).await;
            drop(turn);
            match answer {
                Ok((_, answer)) => return self.keep_opened(user, &answer),
                Err(DiscordError::Permanent { code, .. }) if code == OPENING_DMS_TOO_FAST => {
                    refused += 1;
                    tracing::warn!(refused, "Discord: opening DMs too fast (40003); waiting");
                    if refused > TOO_FAST_RETRIES {
                        return Err(DiscordError::RateLimited {
                            retry_after: TOO_FAST_RETRY_AFTER,
                        });
                    }
                    tokio::time::sleep(WINDOW).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn keep_opened(&self, user: &UserId, answer: &[u8]) -> Result<ChannelId, DiscordError> {
        let Some(channel) = ChannelAnswer::read(answer) else {
            return Err(DiscordError::Transient(
                "Discord sent no DM channel id".into(),
            ));
        };
        self.limits.dms.keep(user, &channel.id);
        Ok(channel.id)
    }
}

/// `POST /users/@me/channels` body.
#[derive(Serialize)]
struct OpenDm<'a> {
    recipient_id: &'a UserId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn no_second_holds_more_than_two_dm_opens() {
        use super::super::limiter::{most_in_one_window, return_times};
        let dms = DmChannels::default();
        let starts = return_times(6, async || drop(dms.pace_open().await)).await;
        let most = most_in_one_window(&starts, WINDOW);
        assert!(most <= DM_OPENS_PER_SECOND, "{most} opens in a second");
        assert!(starts[5] >= WINDOW * 2);
    }

    #[test]
    fn a_kept_channel_is_found_by_user() {
        let dms = DmChannels::default();
        let user = UserId::from(1);
        assert_eq!(dms.kept(&user), None);
        dms.keep(&user, &ChannelId::from(99));
        assert_eq!(dms.kept(&user), Some(ChannelId::from(99)));
    }
}
