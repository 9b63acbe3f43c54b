-- Record events are no longer queued as outbox rows: the relay reads them from the version rows.
-- Before, every created or changed record wrote, per destination, an outbox row, its
-- outbox_record_idx and primary-key entries, and an outbox_unsent row with its key, and the relay's
-- claim deleted that row again: about 540 of the 4,100 bytes of write-ahead log an ingested record
-- cost. Everything in those rows is known from the version: the event id is a UUID v5 of
-- (destination, record, version, type), the type follows from the change kind, the topic and the
-- masking from the destination's configuration.
--
-- A version now carries what its events need that the envelope does not say: the destinations they
-- are for (decided when the version is written, as the outbox rows were: a created or changed record
-- goes to the destinations whose rules take it, a status move to those that had the record) and the
-- Kafka key (the record's subject key then). A version with events takes a position in the relay's
-- feed, from the change feed's sequence and under its lock (src/store/feed-horizon.ts), so the relay
-- reads positions up to the feed's horizon, in order, and never passes one still being written; it
-- keeps the last position it published in relay_cursor, moved in the transaction that publishes them.
-- A version without destinations has no position.
--
-- The outbox keeps what it had and what has no version to read from: alerts, operators'
-- re-deliveries, and the record events queued before this migration (published first, as before).
ALTER TABLE record_versions
  ADD COLUMN feed_seq     bigint,                  -- position in the relay's feed; NULL: no events (or queued in the outbox)
  ADD COLUMN destinations text[] COLLATE "C",      -- the destinations this version's events are for
  ADD COLUMN message_key  text COLLATE "C";        -- their Kafka key: the record's subject key when the version was written

CREATE UNIQUE INDEX record_versions_feed_idx ON record_versions (feed_seq) WHERE feed_seq IS NOT NULL;

CREATE TABLE relay_cursor (
  one      boolean PRIMARY KEY DEFAULT true CHECK (one),  -- a single row
  feed_seq bigint  NOT NULL                              -- every version up to here is published
);
INSERT INTO relay_cursor (feed_seq) VALUES (0);
