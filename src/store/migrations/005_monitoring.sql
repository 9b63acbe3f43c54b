-- 政务诚信 monitoring (src/monitoring/): what the indicator queries read, the alerts raised, and the
-- alert detector's cursors.

-- Which subjects are government subjects (USCC kinds 11/12/13/19 → subject.kind organ /
-- public_institution / mass_organization / other_institution, see isGovernmentKind in
-- src/domain/uscc.ts; or recognised by name: flags.governmentSubject), and whether a record is an
-- unresolved government-procurement payment default. One definition each, used by the derived
-- columns below and by the indicator query when it reads an older version's envelope.
CREATE FUNCTION monitoring_is_government(envelope jsonb) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN coalesce(envelope #>> '{subject,kind}' IN ('organ', 'public_institution', 'mass_organization', 'other_institution'), false)
      OR coalesce(envelope #>> '{flags,governmentSubject}' = 'true', false);

CREATE FUNCTION monitoring_is_open_payment_default(envelope jsonb) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN coalesce(envelope ->> 'category' = 'procurement_breach'
              AND envelope #>> '{data,listType}' = 'payment_default'
              AND coalesce(envelope #>> '{data,resolved}', 'false') = 'false', false);

-- Envelope fields as columns, so the indicators run as an index-only scan over the government
-- subjects' negative records instead of reading a million envelopes. (severity and publish_until
-- come from 004_lifecycle.sql.)
ALTER TABLE records
  ADD COLUMN polarity             text    GENERATED ALWAYS AS (envelope ->> 'polarity') STORED,
  ADD COLUMN decided_on           text    GENERATED ALWAYS AS (envelope ->> 'decidedAt') STORED,   -- YYYY-MM-DD
  ADD COLUMN government_subject   boolean GENERATED ALWAYS AS (monitoring_is_government(envelope)) STORED,
  ADD COLUMN open_payment_default boolean GENERATED ALWAYS AS (monitoring_is_open_payment_default(envelope)) STORED;

CREATE INDEX records_government_negative_idx ON records (region, category, severity)
  INCLUDE (status, decided_on, publish_until, open_payment_default, uscc, created_at, updated_at, record_id, content_hash)
  WHERE government_subject AND polarity = 'negative';

-- A record's status at an instant comes from record_versions' primary key alone (it INCLUDEs
-- recorded_at, status, content_hash: 001_records.sql). The records whose content changed after an
-- instant (src/monitoring/indicators.ts):
CREATE INDEX record_versions_content_changes_idx ON record_versions (recorded_at) INCLUDE (record_id) WHERE change_kind = 'updated';

-- The console's throughput chart counts versions per hour and kind over the last day.
CREATE INDEX record_versions_recorded_at_idx ON record_versions (recorded_at) INCLUDE (change_kind);

-- The alerts raised. A record raises a given kind of alert at most once, a region at most once per
-- kind, level and period, a connector run at most once: the unique indexes make a second detector's
-- insert a no-op, and the alert's outbox event is written in the same transaction as the alert row.
CREATE TABLE monitoring_alerts (
  alert_id        uuid        PRIMARY KEY,
  seq             bigserial   NOT NULL UNIQUE,   -- listing order (GET /v1/alerts pages by it)
  kind            text        NOT NULL CHECK (kind IN ('government_severe_record', 'region_score_below_threshold', 'connector_run_failed')),
  record_id       uuid        REFERENCES records (record_id),
  record_version  integer,
  uscc            text,
  region          text,
  level           text        CHECK (level IN ('province', 'city', 'county')),
  period          text,
  score           numeric(6, 2),
  threshold       numeric(6, 2),
  connector       text,
  connector_run_id bigint,
  details         jsonb       NOT NULL,
  raised_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (CASE kind
           WHEN 'government_severe_record' THEN record_id IS NOT NULL AND region IS NOT NULL
           WHEN 'region_score_below_threshold' THEN region IS NOT NULL AND level IS NOT NULL AND period IS NOT NULL
           ELSE connector IS NOT NULL AND connector_run_id IS NOT NULL
         END)
);
CREATE UNIQUE INDEX monitoring_alerts_once_per_record ON monitoring_alerts (record_id, kind) WHERE record_id IS NOT NULL;
CREATE UNIQUE INDEX monitoring_alerts_once_per_region ON monitoring_alerts (kind, level, region, period) WHERE period IS NOT NULL;
CREATE UNIQUE INDEX monitoring_alerts_once_per_run ON monitoring_alerts (kind, connector, connector_run_id) WHERE connector IS NOT NULL;

-- Detector positions in the change feed (records.change_seq). They start at the current end of the
-- feed: records that existed before monitoring was installed raise no alert until they change.
CREATE TABLE monitoring_cursors (
  name        text        PRIMARY KEY,
  position    bigint      NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO monitoring_cursors (name, position)
SELECT name, (SELECT coalesce(max(change_seq), 0) FROM records)
  FROM (VALUES ('alert-detector'), ('region-scores')) AS c(name);
