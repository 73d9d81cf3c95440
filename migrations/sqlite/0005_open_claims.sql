-- How many times a queued job was claimed since it was last settled or given back. Above one,
-- a run that claimed it stopped without a word (killed, or its lease lapsed mid-call), so it
-- may already have been posted under its own nonce: it must not be merged into a new digest.
ALTER TABLE jobs ADD COLUMN open_claims INTEGER NOT NULL DEFAULT 0;
