//! Keeps delivery's view of where the bot lacks Embed Links current: after every gateway event
//! that can change the bot's permissions in a guild's channels (GUILD_CREATE, a channel
//! created or updated, a role created, updated or deleted, the bot's member updated), the
//! guild's channels are read again from [`KnownGuilds`], which the event has already updated.

use poise::serenity_prelude as serenity;

use super::guild_model::{BotGuild, KnownGuilds};
use crate::discord::Discord;
use crate::domain::ids::{ChannelId, GuildId};
use crate::storage::Db;

/// What an event changed: a guild's channels without Embed Links (`None`: the bot left).
pub type EmbedLinksUpdate = (GuildId, Option<Vec<ChannelId>>);

/// Reads the guild `changed` (the guild [`KnownGuilds::apply`] changed for `event`) again,
/// or forgets a guild the bot left; returns what changed, for the database (where instances
/// without the guild's shard read it).
pub fn on_event(
    guilds: &KnownGuilds,
    bot_id: u64,
    changed: Option<u64>,
    discord: &Discord,
    event: &serenity::FullEvent,
) -> Option<EmbedLinksUpdate> {
    if let serenity::FullEvent::GuildDelete { incomplete, .. } = event {
        let guild_id = GuildId::from(incomplete.id.get());
        discord.embed_links_in(&guild_id, None);
        return Some((guild_id, None));
    }
    let changed = changed?;
    let lacking = guilds.read(changed, |guild| channels_without_embed_links(bot_id, guild))?;
    let guild_id = GuildId::from(changed);
    discord.embed_links_in(&guild_id, Some(lacking.clone()));
    Some((guild_id, Some(lacking)))
}

/// Shares `update` through the database, where instances without the guild's shard read it.
pub async fn record(db: &Db, (guild_id, lacking): EmbedLinksUpdate) {
    if let Err(e) = db.record_embed_links(&guild_id, lacking.as_deref()).await {
        tracing::warn!(error = format!("{e:#}"), guild = %guild_id,
            "cannot share where Embed Links is missing; other instances post as before");
    }
}

/// The guild's channels where the bot (`bot_id`) may not embed links; none while the bot's
/// own member is not known (nothing is known then).
fn channels_without_embed_links(bot_id: u64, guild: &BotGuild) -> Vec<ChannelId> {
    guild
        .channels
        .iter()
        .filter(|c| {
            guild
                .bot_permissions_in(c, bot_id)
                .is_some_and(|p| !p.embed_links())
        })
        .map(|c| ChannelId::from(c.id))
        .collect()
}
