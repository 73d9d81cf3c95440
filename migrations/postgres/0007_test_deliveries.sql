-- Signed webhook.test deliveries seen within the signature window (by their signature's t
-- and MAC), so a replayed one posts its notice once. Rows older than twice the window are
-- deleted as new ones arrive.
CREATE TABLE test_deliveries (
    connection_id TEXT NOT NULL,
    signature     TEXT NOT NULL,
    seen_at       BIGINT NOT NULL,
    PRIMARY KEY (connection_id, signature)
);
