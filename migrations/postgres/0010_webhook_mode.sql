-- Webhook mode (`/topgg webhook`): the guild a connection was made in (NULL for a connection
-- Top.gg made through the integration), and when its first signed event arrived.
ALTER TABLE connections ADD COLUMN made_in_guild TEXT;
ALTER TABLE connections ADD COLUMN first_event_at BIGINT;
CREATE INDEX connections_made_in_guild ON connections (made_in_guild);
