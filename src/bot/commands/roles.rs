//! `/topgg roles add|remove|list`.

use poise::serenity_prelude as serenity;

use crate::bot::facts::guild_facts;
use crate::bot::{Context, Error, db, guild_id, now, reply_private};
use crate::domain::ids::RoleId;
use crate::domain::rewards::RewardRole;
use crate::guild;

/// Reward roles given to voters.
#[poise::command(
    slash_command,
    subcommands("add", "remove", "list"),
    subcommand_required
)]
pub async fn roles(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Give voters a role once their total votes reach `votes`.
#[poise::command(slash_command)]
async fn add(
    ctx: Context<'_>,
    #[description = "The reward role"] role: serenity::Role,
    #[description = "Total votes needed (default 1)"]
    #[min = 1]
    votes: Option<i64>,
    #[description = "Hours the role lasts (at most 8760); 0 = permanent; omit = until the vote expires"]
    #[min = 0]
    #[max = 8760]
    hours: Option<i64>,
    project: Option<String>,
) -> Result<(), Error> {
    let (guild, project) = (guild_id(ctx)?, project.as_deref());
    let reward = RewardRole {
        role_id: role.id.get().into(),
        votes_required: votes.unwrap_or(1),
        duration: guild::reward_duration(hours)?,
    };
    let reply = guild::add_role(db(ctx), &guild, project, reward, &guild_facts(ctx)).await?;
    reply_private(ctx, reply).await
}

/// Stop giving a role to voters.
#[poise::command(slash_command)]
async fn remove(
    ctx: Context<'_>,
    #[description = "The reward role"] role: serenity::Role,
    project: Option<String>,
) -> Result<(), Error> {
    let (guild, project) = (guild_id(ctx)?, project.as_deref());
    let role = RoleId::from(role.id.get());
    let reply = guild::remove_role(db(ctx), &guild, project, &role, now(ctx)).await?;
    reply_private(ctx, reply).await
}

/// List the reward roles.
#[poise::command(slash_command)]
async fn list(ctx: Context<'_>, project: Option<String>) -> Result<(), Error> {
    let reply = guild::roles_report(db(ctx), &guild_id(ctx)?, project.as_deref()).await?;
    reply_private(ctx, reply).await
}
