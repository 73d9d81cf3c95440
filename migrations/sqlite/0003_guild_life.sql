-- Names, display overrides, announcement style, and what the bot learnt about a guild.

-- /topgg display: how this guild shows the project (NULL: the default).
ALTER TABLE links ADD COLUMN display_name TEXT;
ALTER TABLE links ADD COLUMN display_vote_url TEXT;
-- /topgg message style: 'embed' (NULL, the default) or 'text'.
ALTER TABLE links ADD COLUMN style TEXT;
-- Why this link's announcements are paused (channel deleted or access lost); NULL: active.
ALTER TABLE links ADD COLUMN paused_reason TEXT;

-- Why a reward role is no longer granted (the role was deleted); NULL: active.
ALTER TABLE reward_roles ADD COLUMN disabled_reason TEXT;

-- When project_name was last read from Discord (bot projects: GET /users/{platform_id}).
ALTER TABLE connections ADD COLUMN project_name_at INTEGER;

-- Guilds as the gateway reported them: the name (for server projects) and whether the bot
-- is still a member (gone_at set by GUILD_DELETE without unavailable, cleared by GUILD_CREATE).
CREATE TABLE guilds (
    guild_id   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    gone_at    INTEGER,
    updated_at INTEGER NOT NULL
);
