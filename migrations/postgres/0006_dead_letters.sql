-- Signed webhook bodies this version could not read, and spooled votes that could not be
-- moved: kept for `topgg-bot dead-letters list|replay`. No foreign key: a letter outlives
-- its connection.
CREATE TABLE dead_letters (
    id            BIGSERIAL PRIMARY KEY,
    connection_id TEXT NOT NULL,
    source        TEXT NOT NULL,           -- 'webhook' or 'spool'
    body          TEXT NOT NULL,           -- the raw body, or its hex when not UTF-8 text
    body_encoding TEXT NOT NULL,           -- 'text' or 'hex'
    signature     TEXT,
    trace         TEXT,
    reason        TEXT NOT NULL,
    received_at   BIGINT NOT NULL,
    replayed_at   BIGINT
);
CREATE INDEX dead_letters_pending ON dead_letters (id) WHERE replayed_at IS NULL;
