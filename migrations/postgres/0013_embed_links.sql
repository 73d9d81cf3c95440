-- Channels where the bot lacks Embed Links, as the instance running the guild's shard last saw
-- them: every instance posts there in text style (one without the gateway reads them here).
CREATE TABLE channels_without_embeds (
    channel_id TEXT PRIMARY KEY,
    guild_id   TEXT NOT NULL
);
CREATE INDEX channels_without_embeds_guild ON channels_without_embeds (guild_id);
