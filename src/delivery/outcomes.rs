//! What a Discord refusal means for the guild's settings (pure decision, then applied): a
//! deleted or closed channel (or one whose AutoMod refuses even an announcement without
//! mentions) pauses that link's announcements, a deleted role is disabled, a
//! role the bot may not give is paused, and a voter who is not a member is skipped rather than
//! failed.

use crate::discord::error::ErrorCode;
use crate::discord::{DiscordError, Sent};
use crate::domain::ids::{ChannelId, GuildId, RoleId};
use crate::domain::keys::{GuildChannel, GuildRole};
use crate::domain::work::Work;
use crate::storage::Db;

/// What follows from an attempt's result, beyond the job's own retry or failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consequence {
    /// Nothing beyond the delivery policy.
    None,
    /// The voter is not in the guild: nothing to do, and not a failure.
    Skip,
    /// The channel is gone or closed to the bot: pause announcements there, for this reason.
    PauseChannel {
        channel_id: ChannelId,
        reason: String,
    },
    /// The role is gone: stop granting it, for this reason.
    DisableRole { role_id: RoleId, reason: String },
    /// The bot may not give or take the role (above its highest role, or no Manage Roles):
    /// pause it, its grants waiting, until it is fixed.
    PauseRole { role_id: RoleId, reason: String },
}

/// Decides the consequence of `error` for `work`.
pub fn consequence(work: &Work, error: &DiscordError) -> Consequence {
    let Some(code) = error.refusal() else {
        return Consequence::None;
    };
    match work {
        Work::Announce { channel_id, .. } | Work::TestNotice { channel_id, .. } => {
            match channel_reason(code) {
                Some(reason) => Consequence::PauseChannel {
                    channel_id: channel_id.clone(),
                    reason: reason.into(),
                },
                None => Consequence::None,
            }
        }
        Work::GrantRole { role_id, .. } => role_consequence(role_id, code, RoleCall::Grant),
        Work::RemoveRole { role_id, .. } => role_consequence(role_id, code, RoleCall::Remove),
        Work::Remind { .. } => Consequence::None,
    }
}

/// Whether a refused role call gave the role or took it away.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RoleCall {
    Grant,
    Remove,
}

/// What a refused grant or removal of `role_id` means: a member who left or a deleted role
/// ends a removal; a role the bot may not give is paused; a deleted role stops being granted.
fn role_consequence(role_id: &RoleId, code: ErrorCode, call: RoleCall) -> Consequence {
    use ErrorCode::{MissingAccess, MissingPermissions, UnknownMember, UnknownRole};
    match (code, call) {
        (UnknownMember, _) | (UnknownRole, RoleCall::Remove) => Consequence::Skip,
        (MissingPermissions | MissingAccess, _) => Consequence::PauseRole {
            role_id: role_id.clone(),
            reason: format!("Discord refused me the role (code {})", code.number()),
        },
        (UnknownRole, RoleCall::Grant) => Consequence::DisableRole {
            role_id: role_id.clone(),
            reason: "the role was deleted (Discord 10011); add another with `/topgg roles add`"
                .into(),
        },
        _ => Consequence::None,
    }
}

/// Why announcements in a channel stop, for the codes that mean it will not get better alone.
pub fn channel_reason(code: ErrorCode) -> Option<&'static str> {
    match code {
        ErrorCode::UnknownChannel => Some("the channel was deleted (Discord 10003)"),
        ErrorCode::MissingAccess => Some("I lost access to the channel (Discord 50001)"),
        ErrorCode::MissingPermissions => {
            Some("I may not post in the channel (Discord 50013: Missing Permissions)")
        }
        ErrorCode::AutoModBlocked | ErrorCode::AutoModBlockedContent => {
            Some("AutoMod blocks my announcements there, even without mentions (Discord 200000)")
        }
        _ => None,
    }
}

/// Applies the consequence of `result` and returns the result the delivery policy sees: a
/// skipped voter counts as done.
pub async fn apply(
    db: &Db,
    guild_id: &GuildId,
    work: &Work,
    result: Result<Sent, DiscordError>,
) -> Result<Sent, DiscordError> {
    let Err(error) = &result else {
        return result;
    };
    let applied = match consequence(work, error) {
        Consequence::None => Ok(()),
        Consequence::Skip => return Ok(Sent::default()),
        Consequence::PauseChannel { channel_id, reason } => {
            tracing::warn!(guild = %guild_id, channel = %channel_id, %reason, "announcements paused");
            db.pause_channel(GuildChannel::new(guild_id, &channel_id), Some(&reason))
                .await
                .map(|_| ())
        }
        Consequence::DisableRole { role_id, reason } => {
            tracing::warn!(guild = %guild_id, role = %role_id, "reward role disabled: deleted");
            db.disable_role(GuildRole::new(guild_id, &role_id), &reason)
                .await
                .map(|_| ())
        }
        Consequence::PauseRole { role_id, reason } => {
            tracing::warn!(guild = %guild_id, role = %role_id, %reason, "reward role paused");
            db.pause_role(GuildRole::new(guild_id, &role_id), &reason)
                .await
                .map(|_| ())
        }
    };
    if let Err(e) = applied {
        tracing::warn!(
            error = format!("{e:#}"),
            "cannot record a Discord refusal's consequence"
        );
    }
    result
}

/// A digest refused for its channel pauses that channel like a single announcement would.
pub async fn after_digest(
    db: &Db,
    guild_id: &GuildId,
    channel_id: &ChannelId,
    result: &Result<Sent, DiscordError>,
) {
    if let Err(error) = result {
        let work = Work::TestNotice {
            channel_id: channel_id.clone(),
            content: String::new(),
        };
        let _ = apply(db, guild_id, &work, Err(error.clone())).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;

    fn refused(code: ErrorCode) -> DiscordError {
        DiscordError::Permanent {
            status: 404,
            code: code.number(),
            message: "x".into(),
        }
    }

    fn grant() -> Work {
        Work::GrantRole {
            user_id: UserId::from(1),
            role_id: RoleId::from(2),
        }
    }

    #[test]
    fn a_member_who_left_is_skipped_not_failed() {
        assert_eq!(
            consequence(&grant(), &refused(ErrorCode::UnknownMember)),
            Consequence::Skip
        );
    }

    #[test]
    fn a_deleted_role_is_disabled() {
        let c = consequence(&grant(), &refused(ErrorCode::UnknownRole));
        assert!(
            matches!(c, Consequence::DisableRole { role_id, .. } if role_id == RoleId::from(2))
        );
    }

    #[test]
    fn a_role_the_bot_may_not_give_or_take_is_paused() {
        let removal = Work::RemoveRole {
            user_id: UserId::from(1),
            role_id: RoleId::from(2),
        };
        for work in [grant(), removal] {
            for code in [ErrorCode::MissingPermissions, ErrorCode::MissingAccess] {
                let c = consequence(&work, &refused(code));
                assert!(
                    matches!(&c, Consequence::PauseRole { role_id, reason }
                        if *role_id == RoleId::from(2) && reason.contains(&code.number().to_string())),
                    "{c:?}"
                );
            }
        }
    }

    #[test]
    fn a_deleted_closed_or_automod_blocked_channel_pauses_and_a_server_error_does_not() {
        let notice = Work::TestNotice {
            channel_id: ChannelId::from(3),
            content: "t".into(),
        };
        for code in [
            ErrorCode::UnknownChannel,
            ErrorCode::MissingAccess,
            ErrorCode::MissingPermissions,
            ErrorCode::AutoModBlocked,
            ErrorCode::AutoModBlockedContent,
        ] {
            let c = consequence(&notice, &refused(code));
            assert!(
                matches!(c, Consequence::PauseChannel { channel_id, .. } if channel_id == ChannelId::from(3))
            );
        }
        let transient = DiscordError::Transient("500".into());
        assert_eq!(consequence(&notice, &transient), Consequence::None);
    }
}
