-- Record lifecycle: objections (异议), credit repairs (信用修复), and what makes the bulk 联合惩戒 check
-- and the expiry job fast.

-- Severity and end of publication, derived from the envelope by PostgreSQL (never out of step with it).
ALTER TABLE records
  ADD COLUMN severity      text GENERATED ALWAYS AS (envelope->>'severity') STORED,
  ADD COLUMN publish_until text GENERATED ALWAYS AS (envelope->>'publishUntil') STORED;  -- YYYY-MM-DD or null

-- Checks: WHERE uscc = ANY($1) AND status = ANY(published) on negative records, answered from the index alone.
CREATE INDEX records_checks_idx ON records (uscc, status, severity) INCLUDE (category, record_id, publish_until)
  WHERE uscc IS NOT NULL AND severity IS NOT NULL;

-- Expiry: published records whose period has an end, by that end.
CREATE INDEX records_expiry_idx ON records (publish_until)
  WHERE status IN ('active', 'repair_requested') AND publish_until IS NOT NULL;

CREATE TABLE objections (
  objection_id     uuid        PRIMARY KEY,
  record_id        uuid        NOT NULL REFERENCES records (record_id),
  status           text        NOT NULL CHECK (status IN ('open', 'upheld', 'rejected')),
  filed_by         text        NOT NULL,          -- partner id (the subject's own USCC when the subject files)
  filer_role       text        NOT NULL CHECK (filer_role IN ('subject', 'partner')),
  reason           text        NOT NULL,
  evidence         jsonb       NOT NULL DEFAULT '[]',
  filed_at         timestamptz NOT NULL,
  deadline_at      timestamptz NOT NULL,          -- filed_at + objections.deadlineDays
  outcome          text        CHECK (outcome IN ('corrected', 'revoked')),   -- when upheld
  decided_by       text,
  decision_reason  text,
  decided_at       timestamptz,
  CHECK ((status = 'open') = (decided_at IS NULL)),
  CHECK ((status = 'upheld') = (outcome IS NOT NULL))
);
-- At most one open objection per record.
CREATE UNIQUE INDEX objections_open_record_idx ON objections (record_id) WHERE status = 'open';
CREATE INDEX objections_open_deadline_idx ON objections (deadline_at) WHERE status = 'open';
CREATE INDEX objections_record_idx ON objections (record_id, filed_at);

CREATE TABLE repairs (
  repair_id        uuid        PRIMARY KEY,
  record_id        uuid        NOT NULL REFERENCES records (record_id),
  status           text        NOT NULL CHECK (status IN ('requested', 'granted', 'rejected', 'lapsed')),
  requested_by     text        NOT NULL,
  commitment_ref   text        NOT NULL,          -- reference to the signed credit commitment (信用承诺书)
  reason           text,
  evidence         jsonb       NOT NULL DEFAULT '[]',
  requested_at     timestamptz NOT NULL,
  deadline_at      timestamptz NOT NULL,          -- requested_at + repairs.decisionDeadlineDays
  decided_by       text,
  decision_reason  text,
  decided_at       timestamptz,
  CHECK ((status = 'requested') = (decided_at IS NULL))
);
-- At most one pending repair request per record.
CREATE UNIQUE INDEX repairs_open_record_idx ON repairs (record_id) WHERE status = 'requested';
CREATE INDEX repairs_open_deadline_idx ON repairs (deadline_at) WHERE status = 'requested';
CREATE INDEX repairs_record_idx ON repairs (record_id, requested_at);
