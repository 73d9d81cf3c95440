//! The channels where the bot lacks Embed Links, as the gateway last showed them. Discord
//! silently drops the embeds of a message posted there (the announcement becomes a bare
//! ping), so delivery posts their announcements in `text` style instead. Kept in memory from
//! the bot's model of its guilds (`bot::guild_model`, kept by GUILD_CREATE, channel, role and
//! bot-member updates): asking costs no call.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::domain::ids::{ChannelId, GuildId};

/// Channels without Embed Links, with their guild.
#[derive(Default)]
pub struct ChannelsWithoutEmbeds {
    lacking: Mutex<HashMap<ChannelId, GuildId>>,
}

impl ChannelsWithoutEmbeds {
    /// Whether the bot lacks Embed Links in `channel_id` (unknown channels: no).
    pub fn lacks(&self, channel_id: &ChannelId) -> bool {
        self.lock().contains_key(channel_id)
    }

    /// Replaces what is known of `guild_id`: exactly `lacking` of its channels lack Embed
    /// Links. Logs each channel that loses or regains it.
    pub fn set_guild(&self, guild_id: &GuildId, lacking: Vec<ChannelId>) {
        let mut known = self.lock();
        let before: Vec<ChannelId> = known
            .iter()
            .filter(|(_, g)| *g == guild_id)
            .map(|(c, _)| c.clone())
            .collect();
        for channel in before.iter().filter(|c| !lacking.contains(c)) {
            known.remove(channel);
            tracing::info!(guild = %guild_id, %channel, "Embed Links is back in a channel: its announcements are posted in their configured style again");
        }
        for channel in lacking {
            if known.insert(channel.clone(), guild_id.clone()).is_none() {
                tracing::warn!(guild = %guild_id, %channel, "no Embed Links in a channel: its announcements are posted in text style until it is back");
            }
        }
    }

    /// Replaces everything known with what the database holds (written by the instances that
    /// run the guilds' shards), so an instance without a guild's shard posts as they see it.
    pub fn replace_all(&self, known: Vec<(GuildId, ChannelId)>) {
        let known: HashMap<ChannelId, GuildId> = known.into_iter().map(|(g, c)| (c, g)).collect();
        *self.lock() = known;
    }

    /// Forgets the guild (the bot left it).
    pub fn forget_guild(&self, guild_id: &GuildId) {
        self.lock().retain(|_, g| g != guild_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ChannelId, GuildId>> {
        super::unpoisoned(&self.lacking)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guilds_channels_are_replaced_as_a_whole_and_other_guilds_kept() {
        let known = ChannelsWithoutEmbeds::default();
        let (one, two) = (GuildId::from(1), GuildId::from(2));
        known.set_guild(&one, vec![ChannelId::from(10), ChannelId::from(11)]);
        known.set_guild(&two, vec![ChannelId::from(20)]);
        known.set_guild(&one, vec![ChannelId::from(11)]);
        assert!(!known.lacks(&ChannelId::from(10)), "Embed Links is back");
        assert!(known.lacks(&ChannelId::from(11)));
        assert!(known.lacks(&ChannelId::from(20)));
        known.forget_guild(&two);
        assert!(!known.lacks(&ChannelId::from(20)));
    }
}
