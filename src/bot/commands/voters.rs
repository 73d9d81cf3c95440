//! `/vote` and `/leaderboard`, for everyone.

use poise::serenity_prelude as serenity;

use crate::bot::{Context, Error, autocomplete, guild_id, now, reply_private, reply_public};
use crate::domain::ids::UserId;
use crate::guild;

/// Where to vote, and your (or someone's) votes, streak and next vote.
#[poise::command(slash_command, guild_only)]
pub async fn vote(
    ctx: Context<'_>,
    #[description = "Whose votes to show (default: yours)"] user: Option<serenity::UserId>,
    #[description = "The project"]
    #[autocomplete = "autocomplete::project"]
    project: Option<String>,
) -> Result<(), Error> {
    let (db, guild, project) = (&ctx.data().db, guild_id(ctx)?, project.as_deref());
    let caller = UserId::from(ctx.author().id.get());
    let user = user.map(|u| UserId::from(u.get()));
    let replies =
        guild::vote_replies(db, &guild, &caller, user.as_ref(), project, now(ctx)).await?;
    reply_public(ctx, replies.public).await?;
    if let Some(private) = replies.private {
        reply_private(ctx, private).await?;
    }
    Ok(())
}

/// The period of a leaderboard.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum Period {
    #[name = "month"]
    Month,
    #[name = "all"]
    All,
}

/// The top voters this month or of all time.
#[poise::command(slash_command, guild_only)]
pub async fn leaderboard(
    ctx: Context<'_>,
    #[description = "month (default) or all"] period: Option<Period>,
    #[description = "The project"]
    #[autocomplete = "autocomplete::project"]
    project: Option<String>,
) -> Result<(), Error> {
    let (db, guild, project) = (&ctx.data().db, guild_id(ctx)?, project.as_deref());
    let all_time = matches!(period, Some(Period::All));
    let report = guild::leaderboard_report(db, &guild, project, all_time, now(ctx)).await?;
    reply_public(ctx, report).await
}
