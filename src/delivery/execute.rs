//! Performing one job's work against Discord.

use crate::discord::error::ErrorCode;
use crate::discord::{Bucket, Discord, DiscordError, RoleChange, Sent};
use crate::domain::announce::announce_message;
use crate::domain::ids::{ChannelId, GuildId, RoleId, UserId};
use crate::domain::keys::{GuildChannel, MemberRole};
use crate::domain::message::OutgoingMessage;
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
            Work::Announce { .. }
            | Work::TestNotice { .. }
            | Work::GrantRole { .. }
            | Work::RemoveRole { .. } => Err(DiscordError::Permanent {
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
    let channel_id = match work {
        Work::Announce { channel_id, .. } => channel_id,
        Work::TestNotice { .. }
        | Work::GrantRole { .. }
        | Work::RemoveRole { .. }
        | Work::Remind { .. } => return None,
    };
    match db
        .is_channel_paused(GuildChannel::new(guild_id, channel_id))
        .await
    {
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
            let names = super::automod::voter_names([work]);
            super::automod::post(discord, channel_id, &message, Some(nonce), &names).await
        }
        Work::TestNotice {
            channel_id,
            content,
        } => {
            let notice = OutgoingMessage {
                content: content.clone(),
                ..OutgoingMessage::default()
            };
            discord.post_message(channel_id, &notice, None).await
        }
        Work::GrantRole { user_id, role_id } => {
            let ids = (guild_id, user_id, role_id);
            discord.change_role(RoleChange::Add, ids).await
        }
        Work::Remind {
            user_id,
            connection_id,
            nonce,
        } => super::reminder::send(db, discord, user_id, connection_id, nonce, now).await,
        Work::RemoveRole { user_id, role_id } => {
            remove_role(db, discord, guild_id, (user_id, role_id), now).await
        }
    }
}

/// Removes the member's role unless a live grant still holds it. The lapsed grants are
/// forgotten only once Discord took the role away (or there was nothing left to take), so a
/// removal that fails is tried again instead of leaving the role on the member for good.
async fn remove_role(
    db: &Db,
    discord: &Discord,
    guild_id: &GuildId,
    (user_id, role_id): (&UserId, &RoleId),
    now: Timestamp,
) -> Result<Sent, DiscordError> {
    let database = |e: anyhow::Error| DiscordError::Transient(format!("database: {e}"));
    let held = db
        .role_held(MemberRole::new(guild_id, user_id, role_id), now)
        .await
        .map_err(database)?;
    if held {
        tracing::debug!(%guild_id, %user_id, %role_id, "role still held by a live grant; kept");
        return Ok(Sent::default());
    }
    let ids = (guild_id, user_id, role_id);
    let result = discord.change_role(RoleChange::Remove, ids).await;
    if nothing_left_to_remove(&result) {
        db.forget_lapsed_grants(MemberRole::new(guild_id, user_id, role_id), now)
            .await
            .map_err(database)?;
    }
    result
}

/// The role is off the member: removed now, or the member or the role is gone.
fn nothing_left_to_remove(result: &Result<Sent, DiscordError>) -> bool {
    match result {
        Ok(_) => true,
        Err(error) => matches!(
            error.refusal(),
            Some(ErrorCode::UnknownMember | ErrorCode::UnknownRole)
        ),
    }
}

/// The rate limit a job's calls share: those of one channel (messages), one guild (member
/// roles) or one user (reminder DMs); delivery serialises each bucket.
pub fn bucket_of(guild_id: Option<&GuildId>, work: &Work) -> Bucket {
    match work {
        Work::Announce { channel_id, .. } | Work::TestNotice { channel_id, .. } => {
            Bucket::ChannelMessages(channel_id.clone())
        }
        Work::GrantRole { .. } | Work::RemoveRole { .. } => match guild_id {
            Some(guild_id) => Bucket::MemberRoles(guild_id.clone()),
            None => Bucket::NoCall,
        },
        Work::Remind { user_id, .. } => Bucket::DirectMessages(user_id.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::ConnectionId;

    #[test]
    fn jobs_share_the_bucket_of_the_discord_limit_their_calls_share() {
        let (guild, channel, user) = (GuildId::from(7), ChannelId::from(7), UserId::from(7));
        let notice = Work::TestNotice {
            channel_id: channel.clone(),
            content: "hi".into(),
        };
        let grant = Work::GrantRole {
            user_id: user.clone(),
            role_id: RoleId::from(8),
        };
        let remind = Work::Remind {
            user_id: user.clone(),
            connection_id: ConnectionId::parse("c").unwrap(),
            nonce: "n".into(),
        };
        let messages = Bucket::ChannelMessages(channel);
        assert_eq!(bucket_of(Some(&guild), &notice), messages);
        assert_eq!(bucket_of(Some(&guild), &grant), Bucket::MemberRoles(guild));
        assert_eq!(bucket_of(None, &remind), Bucket::DirectMessages(user));
        assert_eq!(bucket_of(None, &grant), Bucket::NoCall);
    }
}
