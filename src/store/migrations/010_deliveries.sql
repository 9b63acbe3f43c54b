-- Delivery to platforms (issue 17): per record and destination the latest event a delivery adapter
-- handed to the platform and what the platform answered; the packages the file way wrote; the events
-- that could not be delivered (parked) with their reason.
CREATE SEQUENCE deliveries_seq;

CREATE TABLE deliveries (
  record_id      uuid        NOT NULL,
  destination    text        NOT NULL,
  event_id       uuid        NOT NULL,
  record_version integer     NOT NULL,
  event_type     text        NOT NULL,
  state          text        NOT NULL CHECK (state IN ('delivered', 'accepted', 'rejected', 'parked')),
  reason         text,
  field          text,
  package        text,
  delivered_at   timestamptz NOT NULL DEFAULT now(),
  feedback_at    timestamptz,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  -- rises on every change of the row: the listing's cursor
  seq            bigint      NOT NULL DEFAULT nextval('deliveries_seq'),
  PRIMARY KEY (record_id, destination)
);
CREATE UNIQUE INDEX deliveries_seq_idx ON deliveries (seq);
CREATE INDEX deliveries_destination_state_idx ON deliveries (destination, state, seq);
CREATE INDEX deliveries_event_idx ON deliveries (event_id);

CREATE TABLE delivery_packages (
  destination  text        NOT NULL,
  partition    integer     NOT NULL,
  first_offset bigint      NOT NULL,
  last_offset  bigint      NOT NULL,
  name         text        NOT NULL UNIQUE,
  sha256       text        NOT NULL,
  events       integer     NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (destination, partition, first_offset)
);

CREATE TABLE delivery_parked (
  id           bigserial   PRIMARY KEY,
  destination  text        NOT NULL,
  topic        text        NOT NULL,
  partition    integer     NOT NULL,
  kafka_offset bigint      NOT NULL,
  event_id     text,
  record_id    uuid,
  reason       text        NOT NULL,
  value_excerpt text,
  parked_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (destination, partition, kafka_offset)
);
