-- A project's Top.gg API token per connection (/topgg api), stored like the webhook secret,
-- and how far vote recovery has got with it.
CREATE TABLE api_tokens (
    connection_id   TEXT PRIMARY KEY REFERENCES connections (connection_id) ON DELETE CASCADE,
    -- NULL: removed (the import and recovery progress stay, so a token set again does not
    -- import the year twice).
    token           TEXT,
    set_at          INTEGER NOT NULL,
    -- When the first-token import (the last year, announcing nothing) was done; NULL: to do.
    imported_at     INTEGER,
    -- Votes created before this were listed and stored; the next pass starts shortly before.
    recovered_until INTEGER,
    -- When and why Top.gg rejected the token (401); it is not used again until replaced.
    rejected_at     INTEGER,
    rejected_reason TEXT
);

-- Recovered votes carry no vote id: a vote is the same vote when its connection, voter and
-- created_at (in milliseconds) match. Older copies of such a vote are dropped first.
DELETE FROM votes WHERE rowid NOT IN
    (SELECT MIN(rowid) FROM votes GROUP BY connection_id, voter_id, created_at);
CREATE UNIQUE INDEX votes_same_vote ON votes (connection_id, voter_id, created_at);
