-- Connectors: per-connector state and cursor, run history, quarantined source rows, issues about
-- the source (unknown fields / code values), and the source keys seen in complete listings (removal).

CREATE TABLE connector_state (
  connector      text PRIMARY KEY,
  -- where the next page fetch starts; committed in the same transaction as the page's records
  cursor         jsonb,
  -- number of the complete listing (pass) in progress; removal compares it with connector_seen.last_seen_pass
  pass           integer NOT NULL DEFAULT 1,
  -- the run that owns the pass in progress (a crashed run's pass is resumed by the next run)
  pass_run_id    bigint,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE connector_runs (
  run_id         bigserial PRIMARY KEY,
  connector      text NOT NULL,
  trigger        text NOT NULL CHECK (trigger IN ('schedule', 'api', 'cli', 'startup')),
  state          text NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'abandoned')),
  started_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz,
  pages          integer NOT NULL DEFAULT 0,
  pulled         integer NOT NULL DEFAULT 0,
  created        integer NOT NULL DEFAULT 0,
  updated        integer NOT NULL DEFAULT 0,
  unchanged      integer NOT NULL DEFAULT 0,
  rejected       integer NOT NULL DEFAULT 0,
  -- rows the connector leaves out by rule (e.g. judgments without a government party)
  skipped        integer NOT NULL DEFAULT 0,
  removed        integer NOT NULL DEFAULT 0,
  issues         integer NOT NULL DEFAULT 0,
  cursor_before  jsonb,
  cursor_after   jsonb,
  error          text,
  host           text
);
CREATE INDEX connector_runs_by_connector ON connector_runs (connector, run_id DESC);

CREATE TABLE connector_quarantine (
  id             bigserial PRIMARY KEY,
  connector      text NOT NULL,
  run_id         bigint NOT NULL REFERENCES connector_runs (run_id),
  source_key     text,
  raw            jsonb NOT NULL,
  errors         jsonb NOT NULL,
  quarantined_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connector_quarantine_by_connector ON connector_quarantine (connector, id DESC);

-- One row per distinct finding (kind + field + value) per connector, counted over time.
CREATE TABLE connector_issues (
  connector      text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('unknown_field', 'unknown_code', 'duplicate_key')),
  field          text NOT NULL,
  value          text NOT NULL DEFAULT '',
  occurrences    bigint NOT NULL DEFAULT 1,
  first_seen     timestamptz NOT NULL DEFAULT now(),
  last_seen      timestamptz NOT NULL DEFAULT now(),
  last_run_id    bigint,
  PRIMARY KEY (connector, kind, field, value)
);

CREATE TABLE connector_seen (
  connector      text NOT NULL,
  source_key     text NOT NULL,
  record_id      uuid,
  last_seen_pass integer NOT NULL,
  removed        boolean NOT NULL DEFAULT false,
  PRIMARY KEY (connector, source_key)
);
CREATE INDEX connector_seen_missing ON connector_seen (connector, last_seen_pass) WHERE NOT removed;
