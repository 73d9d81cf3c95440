//! `/vote` and `/leaderboard`, for everyone.

use poise::serenity_prelude as serenity;

use crate::bot::{Context, Error, autocomplete, guild_id, reply_private, reply_public};
use crate::domain::now_ms;
use crate::guild::{self, choose_link};

/// Where to vote, and your (or someone's) votes, streak and next vote.
#[poise::command(slash_command, guild_only)]
pub async fn vote(
    ctx: Context<'_>,
    #[description = "Whose votes to show (default: yours)"] user: Option<serenity::UserId>,
    #[description = "The project"]
    #[autocomplete = "autocomplete::project"]
    project: Option<String>,
) -> Result<(), Error> {
    let links = ctx.data().db.links_in_guild(&guild_id(ctx)?).await?;
    let links = match project.as_deref() {
        Some(_) => vec![choose_link(links, project.as_deref())?],
        None if links.is_empty() => vec![choose_link(links, None)?],
        None => links,
    };
    let caller = user.is_none_or(|u| u == ctx.author().id);
    let user = user.unwrap_or(ctx.author().id).get().into();
    let report = guild::vote_report(&ctx.data().db, &links, &user, now_ms()).await?;
    reply_public(ctx, report).await?;
    if caller {
        // The caller's reminder state is theirs: a private follow-up.
        let lines = guild::vote_reminder_lines(&ctx.data().db, &links, &user).await?;
        reply_private(ctx, lines).await?;
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
    let links = ctx.data().db.links_in_guild(&guild_id(ctx)?).await?;
    let link = choose_link(links, project.as_deref())?;
    let all_time = matches!(period, Some(Period::All));
    let report = guild::leaderboard_report(&ctx.data().db, &link, all_time, now_ms()).await?;
    reply_public(ctx, report).await
}
