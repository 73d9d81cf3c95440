//! Guilds coming and going, as the gateway reports them: GUILD_CREATE and GUILD_UPDATE keep
//! the guild's name (a server project's name) and mark the bot present; GUILD_DELETE without
//! `unavailable` (the bot was removed) marks it gone, which stops every call and all queued
//! work for that guild until it is back. Links and settings stay. A guild that removed the
//! bot while it was offline sends no GUILD_DELETE: READY simply does not list it, so READY
//! marks gone every guild of its shard that the bot took to be present and READY leaves out.
//! A role or the bot's roles changing may fix a paused reward role: it is resumed then.

use std::collections::HashSet;

use poise::serenity_prelude as serenity;

use super::facts::bot_facts;
use crate::domain::ids::GuildId;
use crate::domain::time::Timestamp;
use crate::guild::role_pause::resume_fixed_roles;
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
        serenity::FullEvent::Ready { data_about_bot } => {
            reconcile_ready(db, data_about_bot, now).await
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

/// A role or the bot's member changed (GUILD_ROLE_UPDATE, GUILD_MEMBER_UPDATE of the bot):
/// resumes the guild's paused reward roles the bot can now give, as the cache shows it.
pub async fn on_role_change(
    cache: &serenity::Cache,
    db: &Db,
    now: Timestamp,
    event: &serenity::FullEvent,
) {
    let bot_id = cache.current_user().id;
    let guild_id = match event {
        serenity::FullEvent::GuildRoleUpdate { new, .. } => new.guild_id,
        serenity::FullEvent::GuildMemberUpdate { event, .. } if event.user.id == bot_id => {
            event.guild_id
        }
        _ => return,
    };
    let facts = match cache.guild(guild_id) {
        Some(guild) => bot_facts(bot_id, &guild),
        None => return,
    };
    let guild_id = GuildId::from(guild_id.get());
    if let Err(e) = resume_fixed_roles(db, &guild_id, &facts, now).await {
        tracing::warn!(
            error = format!("{e:#}"),
            "cannot resume paused reward roles"
        );
    }
}

/// Marks gone the guilds of READY's shard that the bot took to be present but READY omits.
async fn reconcile_ready(db: &Db, ready: &serenity::Ready, now: Timestamp) -> anyhow::Result<()> {
    let listed: HashSet<u64> = ready.guilds.iter().map(|g| g.id.get()).collect();
    let (shard, total) = ready.shard.map_or((0, 1), |s| (s.id.0, s.total));
    let known = db.present_guilds().await?;
    for guild_id in absent_from_ready(&known, &listed, shard, total) {
        let dropped = db.guild_gone(&guild_id, now).await?;
        tracing::info!(guild = %guild_id, dropped, "not in READY: removed from the guild while offline; its work stops until it is back");
    }
    Ok(())
}

/// The guilds of `known` on shard `shard` of `total` that READY's `listed` ids leave out
/// (Discord puts a guild on shard `(id >> 22) % total`).
fn absent_from_ready(
    known: &[GuildId],
    listed: &HashSet<u64>,
    shard: u32,
    total: u32,
) -> Vec<GuildId> {
    let total = u64::from(total.max(1));
    known
        .iter()
        .filter(|id| (id.get() >> 22) % total == u64::from(shard) && !listed.contains(&id.get()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_guild_of_this_shard_missing_from_ready_is_absent() {
        let on_shard = |shard: u64| shard << 22;
        let known: Vec<GuildId> = [on_shard(1), on_shard(2), on_shard(3), on_shard(5)]
            .into_iter()
            .map(GuildId::from)
            .collect();
        let listed = HashSet::from([1 << 22]);
        let absent = absent_from_ready(&known, &listed, 1, 2);
        assert_eq!(
            absent,
            vec![GuildId::from(on_shard(3)), GuildId::from(on_shard(5))]
        );
        assert_eq!(absent_from_ready(&known, &listed, 0, 1).len(), 3);
        assert!(absent_from_ready(&known, &HashSet::new(), 0, 2).contains(&known[1]));
    }
}
