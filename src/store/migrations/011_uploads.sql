-- File uploads (issue 18): the file as received (its bytes, for the feedback file), who sent it under
-- which grant, its progress, and per data row what became of it. Rows are recorded in the same
-- transaction as the records they store, so `rows_done` is where an interrupted upload resumes.
CREATE TABLE uploads (
  id             uuid        PRIMARY KEY,
  partner        text        NOT NULL,
  category       text        NOT NULL,
  source_system  text        NOT NULL,
  -- the partner's grant when it uploaded: {"categories": [...]|null, "regions": [...]|null}
  grant_scope    jsonb,
  format         text        NOT NULL CHECK (format IN ('xlsx', 'csv')),
  encoding       text,
  file_name      text,
  file_bytes     bytea       NOT NULL,
  file_sha256    text        NOT NULL,
  -- where the data is: the sheet (XLSX), the layout (template or national headings) and its heading rows
  layout         jsonb       NOT NULL,
  state          text        NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
  rows_total     integer,
  rows_read      integer     NOT NULL DEFAULT 0,
  -- the file row number of the last data row committed (resume after it)
  last_row       integer     NOT NULL DEFAULT 0,
  stored         integer     NOT NULL DEFAULT 0,
  unchanged      integer     NOT NULL DEFAULT 0,
  rejected       integer     NOT NULL DEFAULT 0,
  error          jsonb,
  worker         text,
  heartbeat_at   timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  started_at     timestamptz,
  finished_at    timestamptz
);
CREATE INDEX uploads_pending_idx ON uploads (state, heartbeat_at) WHERE state IN ('queued', 'running');
CREATE INDEX uploads_partner_idx ON uploads (partner, created_at DESC);

CREATE TABLE upload_rows (
  upload_id  uuid    NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
  row_no     integer NOT NULL,
  result     text    NOT NULL CHECK (result IN ('created', 'updated', 'unchanged', 'rejected')),
  record_id  uuid,
  errors     jsonb,
  PRIMARY KEY (upload_id, row_no)
);
-- a source key seen again later in the same file is refused (the first row keeps the record)
CREATE INDEX upload_rows_record_idx ON upload_rows (upload_id, record_id) WHERE record_id IS NOT NULL;
