//! `channels_without_embeds`: where the bot lacks Embed Links, as the instance running a
//! guild's shard last saw it, so that every instance on the database (also those without the
//! gateway) posts there in text style.

use super::Db;
use super::sql::Sql;
use crate::domain::ids::{ChannelId, GuildId};

impl Db {
    /// Replaces what is known of `guild_id`: exactly `lacking` of its channels lack Embed
    /// Links (`None`: the bot left the guild, forget it).
    pub async fn record_embed_links(
        &self,
        guild_id: &GuildId,
        lacking: Option<&[ChannelId]>,
    ) -> anyhow::Result<()> {
        let mut tx = self.begin_write().await?;
        let forget = Sql::new("DELETE FROM channels_without_embeds WHERE guild_id = $1");
        tx.execute(forget.bind(guild_id)).await?;
        for channel in lacking.unwrap_or_default() {
            let insert = Sql::new(
                "INSERT INTO channels_without_embeds (channel_id, guild_id) VALUES ($1, $2) \
                 ON CONFLICT (channel_id) DO UPDATE SET guild_id = excluded.guild_id",
            );
            tx.execute(insert.bind(channel).bind(guild_id)).await?;
        }
        tx.commit().await
    }

    /// Every channel known to lack Embed Links, with its guild.
    pub async fn channels_without_embeds(&self) -> anyhow::Result<Vec<(GuildId, ChannelId)>> {
        let sql = Sql::new("SELECT guild_id, channel_id FROM channels_without_embeds");
        self.fetch_all(sql).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_guilds_channels_are_replaced_as_a_whole_and_forgotten_when_the_bot_leaves() {
        let (db, _dir) = crate::storage::scratch_sqlite().await;
        let (one, two) = (GuildId::from(1), GuildId::from(2));
        let channels = [ChannelId::from(10), ChannelId::from(11)];
        db.record_embed_links(&one, Some(&channels)).await.unwrap();
        db.record_embed_links(&two, Some(&[ChannelId::from(20)]))
            .await
            .unwrap();
        db.record_embed_links(&one, Some(&channels[1..]))
            .await
            .unwrap();
        let mut known = db.channels_without_embeds().await.unwrap();
        known.sort_by_key(|(_, c)| c.get());
        assert_eq!(
            known,
            [
                (one, ChannelId::from(11)),
                (two.clone(), ChannelId::from(20))
            ]
        );
        db.record_embed_links(&two, None).await.unwrap();
        assert_eq!(db.channels_without_embeds().await.unwrap().len(), 1);
    }
}
