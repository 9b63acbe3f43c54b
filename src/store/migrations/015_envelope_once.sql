-- The envelope is stored once: in the version row (record_versions), which the history, the outbox
-- relay and the delivery ways already read. A record's current row keeps only what finds, checks,
-- locks and counts need, as plain columns the store writes with each version; the current envelope is
-- the one of the current version (view current_records). Before, every created or changed record wrote
-- its envelope twice, and most of its write-ahead log was those two copies.

-- Columns derived from the envelope are no longer computed by PostgreSQL from records.envelope; the
-- store writes them from the same envelope with the same definitions (records-repo.ts, stateColumns).
ALTER TABLE records
  ALTER COLUMN severity DROP EXPRESSION,
  ALTER COLUMN publish_until DROP EXPRESSION,
  ALTER COLUMN polarity DROP EXPRESSION,
  ALTER COLUMN decided_on DROP EXPRESSION,
  ALTER COLUMN government_subject DROP EXPRESSION,
  ALTER COLUMN open_payment_default DROP EXPRESSION,
  ADD COLUMN subject_name text,   -- the subject's name: pending records are completed by it, consoles and alerts show it
  ADD COLUMN org_code     text;   -- the subject's organisation code when the source gave one (pending records wait for it)

UPDATE records SET subject_name = envelope #>> '{subject,name}', org_code = envelope #>> '{subject,orgCode}';
ALTER TABLE records ALTER COLUMN subject_name SET NOT NULL;

DROP INDEX records_pending_org_code_idx;
DROP INDEX records_pending_name_idx;
CREATE INDEX records_pending_org_code_idx ON records (org_code) WHERE pending;
CREATE INDEX records_pending_name_idx ON records (subject_name) WHERE pending;

ALTER TABLE records DROP COLUMN envelope;

-- Each record with its current envelope: what every reader of whole records selects from.
CREATE VIEW current_records AS
  SELECT r.*, v.envelope
    FROM records r
    JOIN record_versions v ON v.record_id = r.record_id AND v.version = r.version;
