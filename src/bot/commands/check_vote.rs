//! The "Check my vote" button under `/vote`: whoever presses it has their live vote asked of
//! Top.gg and, if the bot missed it, recorded with its usual effects.

use std::time::Duration;

use futures_util::StreamExt;
use poise::serenity_prelude as serenity;

use crate::domain::ids::{ConnectionId, UserId};
use crate::guild::BUTTON_MINUTES;
use crate::topgg::live::LiveCheck;
use crate::topgg::recovery::Recovery;

/// The button's custom id prefix.
const PREFIX: &str = "topgg-check-vote";

/// Whether `connection`'s project has an API token Top.gg has not rejected.
pub async fn has_usable_token(recovery: &Recovery, connection: &ConnectionId) -> bool {
    match recovery.db.usable_api_tokens().await {
        Ok(tokens) => tokens.iter().any(|t| &t.connection_id == connection),
        Err(error) => {
            tracing::warn!(error = format!("{error:#}"), "cannot read the API tokens");
            false
        }
    }
}

/// The button for `/vote` interaction `interaction`, and its clicks (listened to from now).
pub fn button(
    ctx: &serenity::Context,
    interaction: u64,
) -> (
    serenity::CreateButton,
    futures_util::stream::BoxStream<'static, serenity::ComponentInteraction>,
) {
    let custom_id = format!("{PREFIX}:{interaction}");
    let button = serenity::CreateButton::new(custom_id.clone()).label("Check my vote");
    let clicks = serenity::ComponentInteractionCollector::new(ctx)
        .custom_ids(vec![custom_id])
        .timeout(Duration::from_secs(BUTTON_MINUTES * 60))
        .stream()
        .boxed();
    (button, clicks)
}

/// Answers each click, privately, until the clicks end (within the 15 minutes the command's
/// token lives); then takes the button away from `command`'s answer.
pub async fn answer_clicks(
    ctx: serenity::Context,
    recovery: Recovery,
    connection: ConnectionId,
    command: serenity::CommandInteraction,
    mut clicks: futures_util::stream::BoxStream<'static, serenity::ComponentInteraction>,
) {
    while let Some(click) = clicks.next().await {
        let (ctx, recovery, connection) = (ctx.clone(), recovery.clone(), connection.clone());
        tokio::spawn(async move { answer(&ctx, &recovery, &connection, click).await });
    }
    let expired = serenity::EditInteractionResponse::new().components(vec![]);
    if let Err(error) = command.edit_response(&ctx, expired).await {
        tracing::debug!(%error, "cannot take the expired Check my vote button away");
    }
}

async fn answer(
    ctx: &serenity::Context,
    recovery: &Recovery,
    connection: &ConnectionId,
    click: serenity::ComponentInteraction,
) {
    if let Err(error) = click.defer_ephemeral(ctx).await {
        tracing::warn!(%error, "cannot acknowledge a vote check");
        return;
    }
    let user = UserId::from(click.user.id.get());
    let text = match recovery.check_live_vote(connection, &user).await {
        Ok(found) => check_text(&found),
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "vote check failed");
            "Something went wrong while checking your vote: try again in a minute.".to_string()
        }
    };
    let follow_up = serenity::CreateInteractionResponseFollowup::new()
        .content(text)
        .ephemeral(true);
    if let Err(error) = click.create_followup(ctx, follow_up).await {
        tracing::warn!(%error, "cannot answer a vote check");
    }
}

/// What the presser is told.
pub fn check_text(found: &LiveCheck) -> String {
    match found {
        LiveCheck::NoToken => "Votes cannot be checked with Top.gg for this project now.".into(),
        LiveCheck::NoVote => "Top.gg has no live vote of yours for this project.".into(),
        LiveCheck::Recorded { expires_at } => format!(
            "Found your vote on Top.gg and recorded it. You can vote again <t:{}:R>.",
            expires_at.as_secs()
        ),
        LiveCheck::AlreadyStored { expires_at } => format!(
            "Your vote is already recorded. You can vote again <t:{}:R>.",
            expires_at.as_secs()
        ),
        LiveCheck::NotDiscord => {
            "This project's votes are not made with Discord accounts: they cannot be checked here."
                .into()
        }
        LiveCheck::Unavailable => {
            "Top.gg could not be asked about your vote just now: try again in a minute.".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::Timestamp;

    #[test]
    fn a_recorded_vote_and_one_already_there_are_told_apart_with_the_next_vote_time() {
        let expires_at = Timestamp::from_millis(7_200_000);
        let recorded = check_text(&LiveCheck::Recorded { expires_at });
        let already = check_text(&LiveCheck::AlreadyStored { expires_at });
        assert!(recorded.starts_with("Found your vote on Top.gg and recorded it"));
        assert!(already.starts_with("Your vote is already recorded"));
        assert!(recorded.ends_with("<t:7200:R>.") && already.ends_with("<t:7200:R>."));
    }
}
