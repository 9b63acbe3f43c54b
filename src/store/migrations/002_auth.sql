-- Partner authentication: single-use token ids, per-partner rate-limit counters, the hash-chained audit log.

-- A token id (jti) is accepted once per partner; rows are kept until the token has expired.
CREATE TABLE auth_jti (
  partner_id  text        NOT NULL,
  jti         text        NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (partner_id, jti)
);
CREATE INDEX auth_jti_expires_idx ON auth_jti (expires_at);

-- Fixed-window request counters, one row per partner and window, shared by every gateway process.
CREATE TABLE auth_rate_counters (
  partner_id    text        NOT NULL,
  window_start  timestamptz NOT NULL,
  hits          integer     NOT NULL,
  PRIMARY KEY (partner_id, window_start)
);

-- One row per /v1 request, accepted or refused. hash = sha256(prev_hash || canonical JSON of the row);
-- seq is dense (1, 2, 3, ...) so a deleted row leaves a visible gap.
CREATE TABLE audit_log (
  seq              bigint      PRIMARY KEY,
  at               timestamptz NOT NULL,
  partner_id       text,                      -- the verified partner, or null when the request was refused before that
  claimed_iss      text,                      -- the token's unverified iss (for refused requests)
  route            text        NOT NULL,      -- route pattern, e.g. /v1/subjects/:uscc
  method           text        NOT NULL,
  path             text        NOT NULL,      -- path and query as received
  status           integer     NOT NULL,
  error_code       text,
  subjects         text[]      NOT NULL,      -- USCCs the request touched
  purpose          text,
  jti              text,
  request_digest   text,                      -- RFC 9530 sha-256 of the request body, null without a body
  response_digest  text        NOT NULL,      -- sha-256 of the exact response bytes
  duration_us      integer     NOT NULL,
  client_addr      text        NOT NULL,
  prev_hash        text        NOT NULL,
  hash             text        NOT NULL
);
CREATE INDEX audit_log_partner_idx ON audit_log (partner_id, at);

-- The chain head: one row, locked by each append so appends from all processes form one chain.
CREATE TABLE audit_chain_head (
  id    boolean PRIMARY KEY DEFAULT true CHECK (id),
  seq   bigint  NOT NULL,
  hash  text    NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash) VALUES (true, 0, repeat('0', 64));
