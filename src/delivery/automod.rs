//! AutoMod: an announcement Discord's AutoMod refuses (200000, 200001) is posted once more
//! naming the voters instead of mentioning them. Refused again, the refusal reaches
//! [`super::outcomes`] and pauses the link like a lost channel: there is no retry loop.

use crate::discord::error::ErrorCode;
use crate::discord::{Discord, DiscordError, Sent};
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::message::{OutgoingMessage, clip, limits};
use crate::domain::work::Work;

/// Whether Discord's AutoMod refused the message.
pub fn blocked(result: &Result<Sent, DiscordError>) -> bool {
    let refusal = result.as_ref().err().and_then(DiscordError::refusal);
    matches!(
        refusal,
        Some(ErrorCode::AutoModBlocked | ErrorCode::AutoModBlockedContent)
    )
}

/// The Discord voters of announcements and their names, for [`unmentioned`].
pub fn voter_names<'a>(works: impl IntoIterator<Item = &'a Work>) -> Vec<(UserId, String)> {
    works
        .into_iter()
        .filter_map(|work| match work {
            Work::Announce {
                voter_id: Some(id),
                voter_name,
                ..
            } => Some((id.clone(), voter_name.clone())),
            Work::Announce { voter_id: None, .. }
            | Work::TestNotice { .. }
            | Work::GrantRole { .. }
            | Work::RemoveRole { .. }
            | Work::Remind { .. } => None,
        })
        .collect()
}

/// `message` with each voter's mention in its content replaced by their name (a digest line's
/// `<@id> name` becomes `name`), pinging nobody.
pub fn unmentioned(message: &OutgoingMessage, names: &[(UserId, String)]) -> OutgoingMessage {
    let mut content = message.content.clone();
    for (id, name) in names {
        let name = if name.is_empty() { "Someone" } else { name };
        for tag in [format!("<@{id}>"), format!("<@!{id}>")] {
            content = content.replace(&format!("{tag} {name}"), name);
            content = content.replace(&tag, name);
        }
    }
    OutgoingMessage {
        content: clip(&content, limits::CONTENT),
        allowed_users: Vec::new(),
        ..message.clone()
    }
}

/// Posts `message`; refused by AutoMod, posts it once more without mentions.
pub async fn post(
    discord: &Discord,
    channel_id: &ChannelId,
    message: &OutgoingMessage,
    nonce: Option<&str>,
    names: &[(UserId, String)],
) -> Result<Sent, DiscordError> {
    let first = discord.post_message(channel_id, message, nonce).await;
    if !blocked(&first) {
        return first;
    }
    tracing::info!(channel = %channel_id, "AutoMod refused an announcement; posting it without mentions");
    let plain = unmentioned(message, names);
    discord.post_message(channel_id, &plain, nonce).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::samples::pinging;

    fn names() -> Vec<(UserId, String)> {
        vec![
            (UserId::from(1), "Ann".into()),
            (UserId::from(2), String::new()),
        ]
    }

    #[test]
    fn mentions_become_names_and_nobody_is_pinged() {
        let message = pinging(
            "**2 new votes!**\n<@1> Ann (3 votes), <@2> (1 votes)",
            &[1, 2],
        );
        let plain = unmentioned(&message, &names());
        assert_eq!(
            plain.content,
            "**2 new votes!**\nAnn (3 votes), Someone (1 votes)"
        );
        assert!(plain.allowed_users.is_empty());
    }

    #[test]
    fn only_automod_refusals_are_posted_again() {
        let refused = |code| {
            Err(DiscordError::Permanent {
                status: 400,
                code,
                message: "x".into(),
            })
        };
        assert!(blocked(&refused(ErrorCode::AutoModBlocked.number())));
        assert!(blocked(&refused(ErrorCode::AutoModBlockedContent.number())));
        assert!(!blocked(&refused(50013)));
        assert!(!blocked(&Ok(Sent::default())));
    }
}
