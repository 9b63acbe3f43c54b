-- The operator console's server-side sessions and sign-in throttling (src/console/), and the alert a
-- run of failed sign-ins raises.

-- One row per sign-in. The cookie holds a random id; only its SHA-256 is stored, so a copy of this
-- table opens no session. A session ends at expires_at, at sign-out (ended_at), or when the
-- operator's password hash in config no longer has the fingerprint it was signed in with.
CREATE TABLE console_sessions (
  id_hash               text        PRIMARY KEY,
  username              text        NOT NULL,
  password_fingerprint  text        NOT NULL,
  csrf_token            text        NOT NULL,
  created_at            timestamptz NOT NULL DEFAULT now(),
  expires_at            timestamptz NOT NULL,
  ended_at              timestamptz
);
CREATE INDEX console_sessions_expires_idx ON console_sessions (expires_at);

-- Failed sign-ins per username ('user:<name>') and per client address ('addr:<ip>') in the current
-- window; shared by every gateway process.
CREATE TABLE console_signin_failures (
  key           text        PRIMARY KEY,
  failures      integer     NOT NULL DEFAULT 0,
  window_start  timestamptz NOT NULL,
  last_failure  timestamptz
);

-- console_lockout alerts: once per username and window (dedupe_key).
ALTER TABLE monitoring_alerts ADD COLUMN dedupe_key text;
CREATE UNIQUE INDEX monitoring_alerts_once_per_key ON monitoring_alerts (kind, dedupe_key) WHERE dedupe_key IS NOT NULL;
ALTER TABLE monitoring_alerts DROP CONSTRAINT monitoring_alerts_kind_check;
ALTER TABLE monitoring_alerts ADD CONSTRAINT monitoring_alerts_kind_check
  CHECK (kind IN ('government_severe_record', 'region_score_below_threshold', 'connector_run_failed', 'console_lockout'));
ALTER TABLE monitoring_alerts DROP CONSTRAINT monitoring_alerts_check;
ALTER TABLE monitoring_alerts ADD CONSTRAINT monitoring_alerts_check CHECK (CASE kind
  WHEN 'government_severe_record' THEN record_id IS NOT NULL AND region IS NOT NULL
  WHEN 'region_score_below_threshold' THEN region IS NOT NULL AND level IS NOT NULL AND period IS NOT NULL
  WHEN 'console_lockout' THEN dedupe_key IS NOT NULL
  ELSE connector IS NOT NULL AND connector_run_id IS NOT NULL
END);
