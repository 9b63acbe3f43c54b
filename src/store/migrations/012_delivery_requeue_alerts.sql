-- Delivery, continued (issue 17).
-- 1. An operator can deliver a record to a destination again (after the platform fixed its side, or
--    after a correction it rejected): the record's state becomes `queued` under a new event id until
--    the delivery consumer hands that event to the platform.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check
  CHECK (state IN ('queued', 'delivered', 'accepted', 'rejected', 'parked'));

-- 2. Delivery alerts: a destination whose platform rejects more than the configured share of what it
--    answered within an hour (once per destination and hour), and an event parked (once per parked row).
ALTER TABLE monitoring_alerts DROP CONSTRAINT monitoring_alerts_kind_check;
ALTER TABLE monitoring_alerts ADD CONSTRAINT monitoring_alerts_kind_check
  CHECK (kind IN ('government_severe_record', 'region_score_below_threshold', 'connector_run_failed', 'console_lockout',
                  'delivery_rejections', 'delivery_parked'));
ALTER TABLE monitoring_alerts DROP CONSTRAINT monitoring_alerts_check;
ALTER TABLE monitoring_alerts ADD CONSTRAINT monitoring_alerts_check CHECK (CASE kind
  WHEN 'government_severe_record' THEN record_id IS NOT NULL AND region IS NOT NULL
  WHEN 'region_score_below_threshold' THEN region IS NOT NULL AND level IS NOT NULL AND period IS NOT NULL
  WHEN 'console_lockout' THEN dedupe_key IS NOT NULL
  WHEN 'delivery_rejections' THEN dedupe_key IS NOT NULL
  WHEN 'delivery_parked' THEN dedupe_key IS NOT NULL
  ELSE connector IS NOT NULL AND connector_run_id IS NOT NULL
END);

-- the parked-events pass of the alert detector reads delivery_parked by id from here
INSERT INTO monitoring_cursors (name, position) VALUES ('delivery-parked', 0) ON CONFLICT DO NOTHING;

-- rejections within the last hour per destination (the rejection-share check)
CREATE INDEX deliveries_feedback_at_idx ON deliveries (destination, feedback_at) WHERE feedback_at IS NOT NULL;
