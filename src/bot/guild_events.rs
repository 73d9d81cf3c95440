//! Guilds coming and going, as the gateway reports them: GUILD_CREATE and GUILD_UPDATE keep
//! the guild's name (a server project's name) and mark the bot present; GUILD_DELETE without
//! `unavailable` (the bot was removed) marks it gone, which stops every call and all queued
//! work for that guild until it is back. Links and settings stay. A guild that removed the
//! bot while it was offline sends no GUILD_DELETE: READY simply does not list it, so READY
//! marks gone every guild of its shard that the bot took to be present and READY leaves out.
//! A role or the bot's roles changing may fix a paused reward role: it is resumed then.
//! The event's handler takes what it needs out of the event ([`GuildChange`],
//! [`after_role_change`]) and writes the database in a task of its own, so a burst of
//! GUILD_CREATEs (each a whole guild) is not kept in memory while the writes queue.

use std::collections::HashSet;

use poise::serenity_prelude as serenity;

use super::facts::bot_facts;
use super::guild_model::KnownGuilds;
use crate::domain::ids::GuildId;
use crate::domain::time::Timestamp;
use crate::guild::role_pause::resume_fixed_roles;
use crate::storage::Db;

/// What a gateway event says about a guild, taken out of the event so that the event (a
/// GUILD_CREATE holds the whole guild) can be dropped before the database is written.
#[derive(Debug)]
pub enum GuildChange {
    /// GUILD_CREATE or GUILD_UPDATE: present, under this name.
    Present(GuildId, String),
    /// GUILD_DELETE without `unavailable`: the bot was removed.
    Removed(GuildId),
    /// READY: the guilds it lists for its shard.
    Ready {
        listed: HashSet<u64>,
        shard: u32,
        total: u32,
    },
}

impl GuildChange {
    /// What `event` says about a guild; `None` for other events.
    pub fn of(event: &serenity::FullEvent) -> Option<GuildChange> {
        use serenity::FullEvent as E;
        Some(match event {
            E::GuildCreate { guild, .. } => {
                GuildChange::Present(guild.id.get().into(), guild.name.clone())
            }
            E::GuildUpdate { new_data, .. } => {
                GuildChange::Present(new_data.id.get().into(), new_data.name.clone())
            }
            E::Ready {
                data_about_bot: ready,
            } => {
                let (shard, total) = ready.shard.map_or((0, 1), |s| (s.id.0, s.total));
                let listed = ready.guilds.iter().map(|g| g.id.get()).collect();
                GuildChange::Ready {
                    listed,
                    shard,
                    total,
                }
            }
            E::GuildDelete { incomplete, .. } if !incomplete.unavailable => {
                GuildChange::Removed(incomplete.id.get().into())
            }
            _ => return None,
        })
    }

    /// Records the change in the database.
    pub async fn record(self, db: &Db, now: Timestamp) {
        let result = match self {
            GuildChange::Present(guild_id, name) => db.guild_present(&guild_id, &name, now).await,
            GuildChange::Ready {
                listed,
                shard,
                total,
            } => reconcile_ready(db, &listed, shard, total, now).await,
            GuildChange::Removed(guild_id) => match db.guild_gone(&guild_id, now).await {
                Ok(dropped) => {
                    tracing::info!(guild = %guild_id, dropped, "removed from a guild; its work stops until it is back");
                    Ok(())
                }
                Err(e) => Err(e),
            },
        };
        if let Err(e) = result {
            tracing::warn!(error = format!("{e:#}"), "cannot record a guild event");
        }
    }
}

/// A role or the bot's (`bot_id`) roles changed in a guild: its paused reward roles are to be
/// checked again ([`resume_roles`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RolesChanged {
    guild_id: u64,
    bot_id: u64,
}

/// The guild whose roles GUILD_ROLE_UPDATE, or GUILD_MEMBER_UPDATE of the bot, changed.
pub fn after_role_change(bot_id: u64, event: &serenity::FullEvent) -> Option<RolesChanged> {
    let guild_id = match event {
        serenity::FullEvent::GuildRoleUpdate { new, .. } => new.guild_id,
        serenity::FullEvent::GuildMemberUpdate { event, .. } if event.user.id.get() == bot_id => {
            event.guild_id
        }
        _ => return None,
    };
    Some(RolesChanged {
        guild_id: guild_id.get(),
        bot_id,
    })
}

/// Resumes the guild's paused reward roles the bot can give, as `guilds` shows the guild now.
/// Read when the write is made, not when the event was handled: serenity handles each event
/// in a task of its own, so the events of one role move (one GUILD_ROLE_UPDATE per shifted
/// role) can be applied out of order, and what the model showed between two of them (the
/// moved role not yet above the bot) must not resume a role paused since.
pub async fn resume_roles(db: &Db, guilds: &KnownGuilds, changed: RolesChanged, now: Timestamp) {
    let RolesChanged { guild_id, bot_id } = changed;
    let Some(facts) = guilds.read(guild_id, |guild| bot_facts(bot_id, guild)) else {
        return;
    };
    if let Err(e) = resume_fixed_roles(db, &guild_id.into(), &facts, now).await {
        tracing::warn!(
            error = format!("{e:#}"),
            "cannot resume paused reward roles"
        );
    }
}

/// Marks gone the guilds of READY's shard that the bot took to be present but READY omits.
async fn reconcile_ready(
    db: &Db,
    listed: &HashSet<u64>,
    shard: u32,
    total: u32,
    now: Timestamp,
) -> anyhow::Result<()> {
    let known = db.present_guilds().await?;
    for guild_id in absent_from_ready(&known, listed, shard, total) {
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
    use crate::domain::time::{Clock as _, SystemClock};
    use crate::guild::command_tests::{GUILD, paused, scratch, two_paused_roles};
    use topgg_testkit::standin::parsed::{guild_create, role_moved};
    use topgg_testkit::standin::{BOT_USER_ID, GuildModel, role};

    /// The stand-in's default guild as guild [`GUILD`], with the reward roles of
    /// [`two_paused_roles`]: 901 below the bot's role (3), 902 above it.
    fn guild_with_reward_roles() -> GuildModel {
        let mut model = GuildModel::default_guild();
        model.id = GUILD;
        model.roles[0].id = GUILD; // @everyone's id is the guild's
        model
            .roles
            .extend([role(901, "r", 2, 0), role(902, "r", 7, 0)]);
        model
    }

    /// serenity applies each event in a task of its own, so a role move's GUILD_ROLE_UPDATEs
    /// can reach the model out of order: a check queued between two of them is made on the
    /// guild as the model shows it when the check runs.
    #[tokio::test]
    async fn a_queued_role_check_resumes_by_the_guild_as_it_is_when_the_check_runs() {
        let s = scratch().await;
        two_paused_roles(&s).await;
        let guilds = KnownGuilds::default();
        guilds.apply(BOT_USER_ID, &guild_create(&guild_with_reward_roles()));
        let queued = after_role_change(BOT_USER_ID, &role_moved(GUILD, 902, 7)).unwrap();
        guilds.apply(BOT_USER_ID, &role_moved(GUILD, 901, 8));
        let now = SystemClock.now();

        resume_roles(&s.db, &guilds, queued, now).await;
        assert!(
            paused(&s, 901).await,
            "moved above the bot before the check ran"
        );
        guilds.apply(BOT_USER_ID, &role_moved(GUILD, 901, 2));
        resume_roles(&s.db, &guilds, queued, now).await;
        assert!(!paused(&s, 901).await, "below the bot again: resumed");
        assert!(paused(&s, 902).await, "still above the bot");
    }

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
