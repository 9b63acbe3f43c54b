-- The subject registry (src/store/subjects-repo.ts): every subject with a USCC once, with the names
-- it has been known by; fed by every record that carries a USCC and by registration-data imports.
-- It resolves organisation codes (a USCC's positions 9–17) and exact names to a USCC, so records of
-- organisations that came without one (pending) are completed and published. Names are searched
-- exactly and by trigram similarity (pg_trgm: GET /v1/subjects?name=).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE subjects (
  uscc        text        PRIMARY KEY,
  org_code    text        NOT NULL,                 -- positions 9–17 of the USCC (GB 11714)
  name        text        NOT NULL,                 -- the name last learned
  kind        text        NOT NULL,
  region      text,
  government  boolean     NOT NULL DEFAULT false,
  learned_from text       NOT NULL,                 -- record | import
  first_seen  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subjects_org_code_idx ON subjects (org_code);

CREATE TABLE subject_names (
  uscc        text        NOT NULL REFERENCES subjects (uscc),
  name        text        NOT NULL,
  first_seen  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (uscc, name)
);
CREATE INDEX subject_names_name_idx ON subject_names (name);
CREATE INDEX subject_names_trgm_idx ON subject_names USING gin (name gin_trgm_ops);

-- An organisation's record without a USCC waits for the registry: it is found by its organisation
-- code or its name when the registry learns them.
ALTER TABLE records ADD COLUMN pending boolean NOT NULL DEFAULT false;
CREATE INDEX records_pending_org_code_idx ON records ((envelope #>> '{subject,orgCode}')) WHERE pending;
CREATE INDEX records_pending_name_idx ON records ((envelope #>> '{subject,name}')) WHERE pending;
