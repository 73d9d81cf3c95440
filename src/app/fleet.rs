//! Several instances on one Postgres: each refreshes its row in `instances` and takes an equal
//! share of Discord's budget from the live instances it sees, so together they stay under
//! Discord's 50 requests a second. SQLite has one instance, with the whole budget.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::discord::Discord;
use crate::storage::Db;

/// How often an instance says it is alive and re-reads how many are.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
/// A joining instance makes no call for this long when others are live: each of them has
/// seen it at its next heartbeat and lowered its share, and the calls they made before that
/// have left Discord's one-second window, before its own calls start.
const JOIN_HOLD: Duration = Duration::from_millis(3_500);

/// Announces `instance` and takes its share, and where Embed Links is missing; holds its
/// calls until the others took theirs.
pub async fn join(db: &Db, discord: &Discord, instance: &str) {
    share_embed_links(db, discord).await;
    match db.heartbeat(instance).await {
        Ok(1) => discord.share_budget(1),
        Ok(live) => {
            discord.share_budget(live);
            discord.hold_calls(JOIN_HOLD);
        }
        Err(e) => {
            tracing::warn!(
                error = format!("{e:#}"),
                "cannot count the instances on the database; calls wait a heartbeat"
            );
            discord.hold_calls(JOIN_HOLD);
        }
    }
}

/// Takes where Embed Links is missing from the database: the instances running the guilds'
/// shards write it, and this instance may post in guilds whose shard it does not run.
pub async fn share_embed_links(db: &Db, discord: &Discord) {
    match db.channels_without_embeds().await {
        Ok(known) => discord.embed_links_everywhere(known),
        Err(e) => tracing::warn!(
            error = format!("{e:#}"),
            "cannot read where Embed Links is missing"
        ),
    }
}

/// Refreshes this instance's heartbeat, share and view of Embed Links until `stop`, then says
/// it is leaving.
pub async fn keep_share(
    db: Db,
    discord: Discord,
    instance: String,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let mut live = 0;
    let mut beat = tokio::time::interval(HEARTBEAT_EVERY);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    beat.tick().await;
    while !stop.is_cancelled() {
        tokio::select! {
            _ = beat.tick() => {}
            _ = stop.cancelled() => break,
        }
        match db.heartbeat(&instance).await {
            Ok(now_live) => {
                discord.share_budget(now_live);
                if now_live != live {
                    live = now_live;
                    tracing::info!(
                        instances = live,
                        calls_per_second = discord.budget_share(),
                        "this instance's share of Discord's request budget"
                    );
                }
            }
            // The share stays as it was: others that fail alike keep theirs too.
            Err(e) => tracing::warn!(error = format!("{e:#}"), "cannot refresh the heartbeat"),
        }
        share_embed_links(&db, &discord).await;
    }
    if let Err(e) = db.leave_instances(&instance).await {
        tracing::warn!(
            error = format!("{e:#}"),
            "cannot say this instance is leaving; the others count it for 15 s more"
        );
    }
    Ok(())
}
