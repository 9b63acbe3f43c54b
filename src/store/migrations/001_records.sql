-- Current records, every version of every record, the transactional outbox, idempotency keys.

CREATE SEQUENCE records_change_seq;

CREATE TABLE records (
  record_id     uuid PRIMARY KEY,
  category      text        NOT NULL,
  subject_key   text        NOT NULL,          -- Kafka message key: the USCC, or P:<hash> for a natural person
  uscc          text,
  region        text        NOT NULL,
  status        text        NOT NULL,
  version       integer     NOT NULL CHECK (version >= 1),
  content_hash  text        NOT NULL,
  envelope      jsonb       NOT NULL,          -- the current envelope, as published
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  change_seq    bigint      NOT NULL           -- position in the change feed, assigned in commit order
);
CREATE INDEX records_uscc_idx ON records (uscc, category) WHERE uscc IS NOT NULL;
CREATE UNIQUE INDEX records_change_seq_idx ON records (change_seq);
CREATE INDEX records_updated_at_idx ON records (updated_at);

CREATE TABLE record_versions (
  record_id     uuid        NOT NULL REFERENCES records (record_id),
  version       integer     NOT NULL,
  change_kind   text        NOT NULL,          -- created | updated | status_changed
  status        text        NOT NULL,
  content_hash  text        NOT NULL,
  envelope      jsonb       NOT NULL,
  actor         text        NOT NULL,          -- partner id, connector name or operator
  reason        text,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  -- INCLUDE: a record's status at an instant is read from this index alone (src/monitoring/indicators.ts)
  PRIMARY KEY (record_id, version) INCLUDE (recorded_at, status, content_hash)
);

CREATE TABLE outbox (
  id              bigserial   PRIMARY KEY,
  event_id        uuid        NOT NULL UNIQUE,
  destination     text        NOT NULL,
  topic           text        NOT NULL,
  event_type      text        NOT NULL,
  record_id       uuid        NOT NULL,
  record_version  integer     NOT NULL,
  message_key     text        NOT NULL,
  payload         text,                        -- the message value; NULL for record events, rendered from record_versions
  mask_personal_ids boolean   NOT NULL DEFAULT true,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  attempts        integer     NOT NULL DEFAULT 0,
  last_error      text
);
CREATE INDEX outbox_unsent_idx ON outbox (id) WHERE sent_at IS NULL;
CREATE INDEX outbox_record_idx ON outbox (record_id, destination);

CREATE TABLE idempotency_keys (
  partner       text        NOT NULL,
  key           text        NOT NULL,
  body_hash     text        NOT NULL,
  status_code   integer,
  response      jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (partner, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
