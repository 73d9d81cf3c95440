//! `/vote` and `/leaderboard`, for everyone.

use poise::serenity_prelude as serenity;

use super::check_vote;
use crate::bot::{Context, Error, clip, db, guild_id, now, reply_private, reply_public};
use crate::domain::ids::{ConnectionId, UserId};
use crate::guild;

/// Where to vote, and your (or someone's) votes, streak and next vote.
#[poise::command(slash_command, guild_only)]
pub async fn vote(
    ctx: Context<'_>,
    #[description = "Whose votes to show (default: yours)"] user: Option<serenity::UserId>,
    project: Option<String>,
) -> Result<(), Error> {
    let (db, guild, project) = (db(ctx), guild_id(ctx)?, project.as_deref());
    let caller = UserId::from(ctx.author().id.get());
    let user = user.map(|u| UserId::from(u.get()));
    let replies =
        guild::vote_replies(db, &guild, &caller, user.as_ref(), project, now(ctx)).await?;
    // Several projects shown at once: no button (it would not say which project it checks).
    let link = guild::target(db, &guild, project).await.ok();
    public_reply(ctx, replies.public, link.map(|l| l.connection_id)).await?;
    if let Some(private) = replies.private {
        reply_private(ctx, private).await?;
    }
    Ok(())
}

/// The public `/vote` answer, with a "Check my vote" button when the project's API token
/// is usable.
async fn public_reply(
    ctx: Context<'_>,
    text: String,
    connection: Option<ConnectionId>,
) -> Result<(), Error> {
    let recovery = &ctx.data().recovery;
    let (Some(connection), poise::Context::Application(app)) = (connection, ctx) else {
        return reply_public(ctx, text).await;
    };
    if !check_vote::has_usable_token(recovery, &connection).await {
        return reply_public(ctx, text).await;
    }
    let (button, clicks) = check_vote::button(ctx.serenity_context(), ctx.id());
    let reply = poise::CreateReply::default()
        .content(clip(text))
        .components(vec![serenity::CreateActionRow::Buttons(vec![button])]);
    ctx.send(reply).await?;
    let (serenity_ctx, recovery) = (ctx.serenity_context().clone(), recovery.clone());
    let command = app.interaction.clone();
    let answering = check_vote::answer_clicks(serenity_ctx, recovery, connection, command, clicks);
    tokio::spawn(answering);
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
    project: Option<String>,
) -> Result<(), Error> {
    let (guild, project) = (guild_id(ctx)?, project.as_deref());
    let all_time = matches!(period, Some(Period::All));
    let report = guild::leaderboard_report(db(ctx), &guild, project, all_time, now(ctx)).await?;
    reply_public(ctx, report).await
}
