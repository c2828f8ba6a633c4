-- When a running campaign started and how long it runs (NULL: until stopped). Whichever silo hosts the campaign
-- reads these back, so a campaign moved by a silo failure still stops on time.
ALTER TABLE campaigns ADD COLUMN started_at timestamptz NULL;
ALTER TABLE campaigns ADD COLUMN duration_seconds integer NULL CHECK (duration_seconds > 0);
