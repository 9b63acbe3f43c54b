-- A partner lists its own uploads, newest first, a page at a time (GET /v1/uploads): each upload gets
-- a position in the order they were taken, and the partner's listing walks an index on it.
ALTER TABLE uploads ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
DROP INDEX uploads_partner_idx;
CREATE INDEX uploads_partner_seq_idx ON uploads (partner, seq DESC);
