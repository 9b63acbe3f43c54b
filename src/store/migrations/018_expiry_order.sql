-- The expiry job takes the published records whose period ended, oldest end first, a batch at a time
-- (records-repo lockExpiringRecords: ORDER BY publish_until, record_id LIMIT n). Indexed by
-- publish_until alone, every batch read and sorted all the expiring records: after a pull of 100,000
-- records whose periods had ended years before (most of them on the same day), each batch of 500 took
-- 2.6 s and an on-disk sort of 190 MB, for as many batches as it took to expire them all. With
-- record_id in the key the index gives the batch in order and the scan stops at the limit.
-- Built in the migration's transaction: writes to records wait while it builds (seconds on millions of rows).
DROP INDEX records_expiry_idx;
CREATE INDEX records_expiry_idx ON records (publish_until, record_id)
  WHERE status IN ('active', 'repair_requested') AND publish_until IS NOT NULL;
