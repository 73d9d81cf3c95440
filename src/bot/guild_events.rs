//! Guilds coming and going, as the gateway reports them: GUILD_CREATE and GUILD_UPDATE keep
//! the guild's name (a server project's name) and mark the bot present; GUILD_DELETE without
//! `unavailable` (the bot was removed) marks it gone, which stops every call and all queued
//! work for that guild until it is back. Links and settings stay.

use poise::serenity_prelude as serenity;

use crate::domain::ids::GuildId;
use crate::domain::time::Timestamp;
use crate::storage::Db;

/// Records what `event` says about a guild; other events are ignored.
pub async fn on_event(db: &Db, now: Timestamp, event: &serenity::FullEvent) {
    let result = match event {
        serenity::FullEvent::GuildCreate { guild, .. } => {
            db.guild_present(&guild.id.get().into(), &guild.name, now)
                .await
        }
        serenity::FullEvent::GuildUpdate { new_data, .. } => {
            db.guild_present(&new_data.id.get().into(), &new_data.name, now)
                .await
        }
        serenity::FullEvent::GuildDelete { incomplete, .. } if !incomplete.unavailable => {
            let guild_id = GuildId::from(incomplete.id.get());
            match db.guild_gone(&guild_id, now).await {
                Ok(dropped) => {
                    tracing::info!(guild = %guild_id, dropped, "removed from a guild; its work stops until it is back");
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
        _ => Ok(()),
    };
    if let Err(e) = result {
        tracing::warn!(error = format!("{e:#}"), "cannot record a guild event");
    }
}
