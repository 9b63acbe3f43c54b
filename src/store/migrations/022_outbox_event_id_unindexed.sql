-- The outbox's unique index on event ids is dropped: its one reader was a re-delivery finding the
-- event to queue again, which now looks among the record's events for the destination
-- (outbox_record_idx; src/store/outbox-repo.ts copyOutboxEvent). An event id is a UUID v5 of its
-- destination, record, version and type (or of the event it re-delivers), so a record's version rows
-- (one per version) already keep it from being queued twice. Per queued event: one index entry less,
-- about 90 bytes of write-ahead log.
ALTER TABLE outbox DROP CONSTRAINT outbox_event_id_key;
