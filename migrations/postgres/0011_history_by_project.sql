-- Vote history (totals, streaks, monthly counts, reminder opt-ins) belongs to a history key,
-- not to a connection: the connection's `project_id`, which is the Top.gg project id for an
-- integration connection and for a webhook-mode connection whose project an API token
-- proved, and `webhook:<connection_id>` for an unproven webhook-mode connection. Nothing
-- cascades from `connections`: a history outlives its connections and is deleted 7 days
-- after it lost the last one (`histories.detached_at`). Rows of connections that shared a
-- project are merged.
CREATE TABLE histories (
    history_key TEXT PRIMARY KEY,
    -- When a connection first counted votes in it: votes before were never delivered.
    started_at  BIGINT NOT NULL,
    -- When a first-token import filled it with the year before (NULL: never).
    imported_at BIGINT,
    -- When it lost its last connection (NULL: a connection holds it).
    detached_at BIGINT
);
INSERT INTO histories (history_key, started_at, imported_at)
SELECT c.project_id, MIN(c.created_at), MIN(t.imported_at)
FROM connections c LEFT JOIN api_tokens t ON t.connection_id = c.connection_id
GROUP BY c.project_id;

CREATE TABLE history_totals (
    history_key     TEXT NOT NULL,
    voter_id        TEXT NOT NULL,
    voter_name      TEXT NOT NULL,
    total_votes     BIGINT NOT NULL,
    streak          BIGINT NOT NULL,
    last_vote_at    BIGINT NOT NULL,
    last_expires_at BIGINT NOT NULL,
    PRIMARY KEY (history_key, voter_id)
);
INSERT INTO history_totals (history_key, voter_id, voter_name, total_votes, streak,
    last_vote_at, last_expires_at)
SELECT c.project_id, t.voter_id, MAX(t.voter_name), SUM(t.total_votes)::bigint, MAX(t.streak),
    MAX(t.last_vote_at), MAX(t.last_expires_at)
FROM voter_totals t JOIN connections c ON c.connection_id = t.connection_id
GROUP BY c.project_id, t.voter_id;
DROP TABLE voter_totals;
ALTER TABLE history_totals RENAME TO voter_totals;
ALTER INDEX history_totals_pkey RENAME TO voter_totals_pkey;

CREATE TABLE history_months (
    history_key TEXT NOT NULL,
    month       TEXT NOT NULL,
    voter_id    TEXT NOT NULL,
    votes       BIGINT NOT NULL,
    PRIMARY KEY (history_key, month, voter_id)
);
INSERT INTO history_months (history_key, month, voter_id, votes)
SELECT c.project_id, m.month, m.voter_id, SUM(m.votes)::bigint
FROM monthly_votes m JOIN connections c ON c.connection_id = m.connection_id
GROUP BY c.project_id, m.month, m.voter_id;
DROP TABLE monthly_votes;
ALTER TABLE history_months RENAME TO monthly_votes;
ALTER INDEX history_months_pkey RENAME TO monthly_votes_pkey;

CREATE TABLE history_optins (
    history_key TEXT NOT NULL,
    voter_id    TEXT NOT NULL,
    opted_in_at BIGINT NOT NULL,
    PRIMARY KEY (history_key, voter_id)
);
INSERT INTO history_optins (history_key, voter_id, opted_in_at)
SELECT c.project_id, o.voter_id, MIN(o.opted_in_at)
FROM reminder_optins o JOIN connections c ON c.connection_id = o.connection_id
GROUP BY c.project_id, o.voter_id;
DROP TABLE reminder_optins;
ALTER TABLE history_optins RENAME TO reminder_optins;
ALTER INDEX history_optins_pkey RENAME TO reminder_optins_pkey;
CREATE INDEX reminder_optins_voter ON reminder_optins (voter_id);

-- Connections are found by their history (who still holds it, whose figures to read).
CREATE INDEX connections_project ON connections (project_id);
