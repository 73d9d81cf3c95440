//! Performing one job's work against Discord.

use crate::discord::{Discord, DiscordError, Sent};
use crate::domain::announce::announce_message;
use crate::domain::ids::{ChannelId, GuildId};
use crate::domain::time::Timestamp;
use crate::domain::work::Work;
use crate::storage::Db;

/// The result of one attempt: Discord's answer, or that nothing needed doing. A refusal's
/// consequences (paused channel, disabled role, skipped voter) are recorded on the way out.
/// Only reminder DMs belong to no guild.
pub async fn perform(
    db: &Db,
    discord: &Discord,
    guild_id: Option<&GuildId>,
    work: &Work,
    now: Timestamp,
) -> Result<Sent, DiscordError> {
    let Some(guild_id) = guild_id else {
        return match work {
            Work::Remind {
                user_id,
                connection_id,
                nonce,
            } => super::reminder::send(db, discord, user_id, connection_id, nonce, now).await,
            _ => Err(DiscordError::Permanent {
                status: 0,
                code: 0,
                message: "queued without a guild".into(),
            }),
        };
    };
    if let Some(channel_id) = paused_channel(db, guild_id, work).await {
        tracing::debug!(%guild_id, %channel_id, "announcements paused here; skipped");
        return Ok(Sent::default());
    }
    let result = attempt(db, discord, guild_id, work, now).await;
    super::outcomes::apply(db, guild_id, work, result).await
}

/// The channel of an announcement queued before its link was paused.
async fn paused_channel<'a>(db: &Db, guild_id: &GuildId, work: &'a Work) -> Option<&'a ChannelId> {
    let Work::Announce { channel_id, .. } = work else {
        return None;
    };
    match db.is_channel_paused(guild_id, channel_id).await {
        Ok(true) => Some(channel_id),
        Ok(false) => None,
        Err(e) => {
            tracing::warn!(
                error = format!("{e:#}"),
                "cannot read whether a channel is paused"
            );
            None
        }
    }
}

async fn attempt(
    db: &Db,
    discord: &Discord,
    guild_id: &GuildId,
    work: &Work,
    now: Timestamp,
) -> Result<Sent, DiscordError> {
    match work {
        Work::Announce {
            channel_id,
            content,
            voter_id,
            nonce,
            embed,
            button_url,
            ..
        } => {
            let message = announce_message(
                content,
                voter_id.as_ref(),
                embed.as_deref(),
                button_url.as_deref(),
            );
            discord
                .post_message(channel_id, &message, Some(nonce))
                .await
        }
        Work::TestNotice {
            channel_id,
            content,
        } => discord.create_message(channel_id, content, &[], None).await,
        Work::GrantRole { user_id, role_id } => discord.add_role(guild_id, user_id, role_id).await,
        Work::Remind {
            user_id,
            connection_id,
            nonce,
        } => super::reminder::send(db, discord, user_id, connection_id, nonce, now).await,
        Work::RemoveRole { user_id, role_id } => {
            let held = db
                .release_role_grant(guild_id, user_id, role_id, now)
                .await
                .map_err(|e| DiscordError::Transient(format!("database: {e}")))?;
            if held {
                tracing::debug!(
                    %guild_id,
                    %user_id,
                    %role_id,
                    "role still held by a live grant; kept"
                );
                return Ok(Sent::default());
            }
            discord.remove_role(guild_id, user_id, role_id).await
        }
    }
}

/// Discord's per-route rate limits are shared by the jobs of one channel (messages) or one
/// guild (member roles): delivery serialises each such bucket.
pub fn bucket_of(guild_id: Option<&GuildId>, work: &Work) -> String {
    match work {
        Work::Announce { channel_id, .. } | Work::TestNotice { channel_id, .. } => {
            format!("channel:{channel_id}")
        }
        Work::GrantRole { .. } | Work::RemoveRole { .. } => match guild_id {
            Some(guild_id) => format!("guild:{guild_id}"),
            None => "guild:".into(),
        },
        Work::Remind { user_id, .. } => format!("dm:{user_id}"),
    }
}
