-- The nonce of the digest message an announcement was posted in, kept so that a digest
-- retried after a crash is posted with the same nonce (and Discord de-duplicates it).
ALTER TABLE jobs ADD COLUMN group_nonce TEXT;
