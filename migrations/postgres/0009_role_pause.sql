-- Why a reward role is paused (Discord refused it with 50013 or 50001: the role is above the
-- bot's highest role, or the bot lacks Manage Roles); NULL: active. Unlike disabled_reason,
-- votes still plan their grants, which wait (queued, not due) until the role is resumed.
ALTER TABLE reward_roles ADD COLUMN paused_reason TEXT;
