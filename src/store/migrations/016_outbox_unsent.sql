-- What is left to publish is kept apart from the outbox rows: one small row per unsent event,
-- deleted when the broker has it. Before, the relay marked each published row sent (sent_at), and
-- since sent_at decided the partial index of unsent rows, that update could never be HOT: every event
-- wrote a second outbox row version and three more index entries. The outbox itself is now written
-- once (it stays the record of which destinations were sent what, for later status changes).
CREATE TABLE outbox_unsent (
  id bigint PRIMARY KEY   -- outbox.id; the relay walks this index in id order (src/store/outbox-repo.ts)
);
INSERT INTO outbox_unsent (id) SELECT id FROM outbox WHERE sent_at IS NULL;
DROP INDEX outbox_unsent_idx;
ALTER TABLE outbox DROP COLUMN sent_at, DROP COLUMN attempts, DROP COLUMN last_error;
