-- A version's envelope is kept as the JSON text the gateway wrote (type json), no longer parsed into
-- jsonb. The store writes and reads envelopes whole: a batch's write, the relay's feed, the history
-- and the readers all pass the envelope through as text or parse it in the gateway. Parsing it into
-- jsonb on the way in was most of PostgreSQL's work binding a batch (500 envelopes of 1.2 KB: 13-16 ms
-- as jsonb, 2 ms as json), and jsonb is the larger of the two (1,275 against 1,163 bytes for the
-- benchmark's envelope). The columns finds, checks and counts use are written beside it
-- (record-columns.ts); the queries that still read a field out of an old version's envelope (the
-- monitoring indicators) convert that envelope to jsonb once per row.
--
-- Rewrites record_versions, under an exclusive lock while it runs: 12.8 s for 1,000,000 versions on the
-- development machine (1,380 -> 1,200 MB with its indexes). Existing envelopes keep jsonb's text form.
DROP VIEW current_records;

ALTER TABLE record_versions ALTER COLUMN envelope TYPE json USING envelope::json;

CREATE VIEW current_records AS
  SELECT r.*, v.envelope
    FROM records r
    JOIN record_versions v ON v.record_id = r.record_id AND v.version = r.version;
