-- An upload that fails (the file could not be read to its end, the store refused a batch) raises an
-- alert, once per upload (dedupe_key upload:<id>), like a failed connector run.
ALTER TABLE monitoring_alerts DROP CONSTRAINT monitoring_alerts_kind_check;
ALTER TABLE monitoring_alerts ADD CONSTRAINT monitoring_alerts_kind_check
  CHECK (kind IN ('government_severe_record', 'region_score_below_threshold', 'connector_run_failed', 'console_lockout',
                  'delivery_rejections', 'delivery_parked', 'upload_failed'));
ALTER TABLE monitoring_alerts DROP CONSTRAINT monitoring_alerts_check;
ALTER TABLE monitoring_alerts ADD CONSTRAINT monitoring_alerts_check CHECK (CASE kind
  WHEN 'government_severe_record' THEN record_id IS NOT NULL AND region IS NOT NULL
  WHEN 'region_score_below_threshold' THEN region IS NOT NULL AND level IS NOT NULL AND period IS NOT NULL
  WHEN 'console_lockout' THEN dedupe_key IS NOT NULL
  WHEN 'delivery_rejections' THEN dedupe_key IS NOT NULL
  WHEN 'delivery_parked' THEN dedupe_key IS NOT NULL
  WHEN 'upload_failed' THEN dedupe_key IS NOT NULL
  ELSE connector IS NOT NULL AND connector_run_id IS NOT NULL
END);
