-- Instances working this database, each refreshing its row every few seconds (times from the
-- database's clock, unix milliseconds): each takes an equal share of Discord's 50 requests/s.
CREATE TABLE instances (
    instance_id TEXT PRIMARY KEY,
    last_seen   BIGINT NOT NULL
);
-- Announcements leased now, by guild: a claim skips the announcements of a guild another
-- instance holds, so one channel is posted to by one instance at a time.
CREATE INDEX jobs_leased_announcements ON jobs (guild_id, lease_until)
    WHERE status = 'queued' AND leased_by IS NOT NULL AND kind IN ('announce', 'test_notice');
