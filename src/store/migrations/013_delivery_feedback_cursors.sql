-- Delivery, the database way (issue 17): per destination, how far the gateway has read the platform's
-- feedback table — the last answer applied, by (answered_at, event_id), answered_at kept as the text
-- the platform's database gave, so it goes back to that database exactly as it came.
CREATE TABLE delivery_feedback_cursors (
  destination text        PRIMARY KEY,
  answered_at text,
  event_id    text,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
