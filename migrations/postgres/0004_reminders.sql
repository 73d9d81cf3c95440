-- Vote reminders (/remind): who opted in for which connection, and the notice a voter gets
-- once when Discord refused their reminder DM (50007) and their reminders were turned off.
CREATE TABLE reminder_optins (
    connection_id TEXT NOT NULL REFERENCES connections (connection_id) ON DELETE CASCADE,
    voter_id      TEXT NOT NULL,
    opted_in_at   BIGINT NOT NULL,
    PRIMARY KEY (connection_id, voter_id)
);
CREATE INDEX reminder_optins_voter ON reminder_optins (voter_id);

CREATE TABLE reminder_notices (
    voter_id TEXT PRIMARY KEY,
    reason   TEXT NOT NULL,
    noted_at BIGINT NOT NULL
);

-- A reminder is a job of kind 'remind' for (connection_id, remind_voter): at most one queued.
ALTER TABLE jobs ADD COLUMN remind_voter TEXT;
CREATE UNIQUE INDEX jobs_one_reminder ON jobs (connection_id, remind_voter)
    WHERE status = 'queued' AND remind_voter IS NOT NULL;
