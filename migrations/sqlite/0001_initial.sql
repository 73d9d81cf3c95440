-- Times are unix milliseconds (INTEGER). Ids are Discord/Top.gg snowflakes kept as TEXT.

CREATE TABLE connections (
    connection_id       TEXT PRIMARY KEY,
    webhook_secret      TEXT NOT NULL,
    project_id          TEXT NOT NULL,
    project_type        TEXT NOT NULL,
    project_platform    TEXT NOT NULL,
    project_platform_id TEXT NOT NULL,
    project_name        TEXT,
    owner_topgg_id      TEXT NOT NULL,
    owner_discord_id    TEXT NOT NULL,
    owner_name          TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX connections_owner ON connections (owner_discord_id);

-- A (guild, connection) link and its settings.
CREATE TABLE links (
    guild_id      TEXT NOT NULL,
    connection_id TEXT NOT NULL REFERENCES connections (connection_id) ON DELETE CASCADE,
    linked_by     TEXT NOT NULL,
    linked_at     INTEGER NOT NULL,
    channel_id    TEXT,
    template      TEXT,
    PRIMARY KEY (guild_id, connection_id)
);
CREATE INDEX links_connection ON links (connection_id);

CREATE TABLE reward_roles (
    guild_id       TEXT NOT NULL,
    connection_id  TEXT NOT NULL,
    role_id        TEXT NOT NULL,
    votes_required INTEGER NOT NULL,
    hours          INTEGER,
    PRIMARY KEY (guild_id, connection_id, role_id),
    FOREIGN KEY (guild_id, connection_id) REFERENCES links (guild_id, connection_id) ON DELETE CASCADE
);

CREATE TABLE votes (
    vote_id       TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL REFERENCES connections (connection_id) ON DELETE CASCADE,
    project_id    TEXT NOT NULL,
    voter_topgg_id TEXT NOT NULL,
    voter_id      TEXT NOT NULL,
    voter_name    TEXT NOT NULL,
    weight        INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    received_at   INTEGER NOT NULL
);
CREATE INDEX votes_connection_created ON votes (connection_id, created_at);
CREATE INDEX votes_created ON votes (created_at);

-- Figures that outlive raw-vote retention.
CREATE TABLE voter_totals (
    connection_id   TEXT NOT NULL REFERENCES connections (connection_id) ON DELETE CASCADE,
    voter_id        TEXT NOT NULL,
    voter_name      TEXT NOT NULL,
    total_votes     INTEGER NOT NULL,
    streak          INTEGER NOT NULL,
    last_vote_at    INTEGER NOT NULL,
    last_expires_at INTEGER NOT NULL,
    PRIMARY KEY (connection_id, voter_id)
);

CREATE TABLE monthly_votes (
    connection_id TEXT NOT NULL REFERENCES connections (connection_id) ON DELETE CASCADE,
    month         TEXT NOT NULL,
    voter_id      TEXT NOT NULL,
    votes         INTEGER NOT NULL,
    PRIMARY KEY (connection_id, month, voter_id)
);

-- Live reward-role grants: a role is removed only when no live grant holds it.
CREATE TABLE role_grants (
    guild_id      TEXT NOT NULL,
    connection_id TEXT NOT NULL REFERENCES connections (connection_id) ON DELETE CASCADE,
    role_id       TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    expires_at    INTEGER,
    PRIMARY KEY (guild_id, connection_id, role_id, user_id)
);
CREATE INDEX role_grants_member ON role_grants (guild_id, user_id, role_id);

-- The Discord work queue.
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,
    guild_id      TEXT NOT NULL,
    connection_id TEXT,
    vote_id       TEXT,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'queued',
    attempts      INTEGER NOT NULL DEFAULT 0,
    due_at        INTEGER NOT NULL,
    lease_until   INTEGER,
    leased_by     TEXT,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    finished_at   INTEGER
);
CREATE INDEX jobs_due ON jobs (status, due_at);
CREATE INDEX jobs_connection ON jobs (connection_id, status);
