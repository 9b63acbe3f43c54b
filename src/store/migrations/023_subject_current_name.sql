-- A subject's current name is kept once, in subjects.name, and found there (exact and by trigram
-- similarity); subject_names keeps the names it was known by before (曾用名): those of a registration
-- import, and each name a subject is renamed from (the trigger below). Before, every subject's current
-- name was written twice, the second time as a subject_names row with its primary key entry: per new
-- subject about 290 bytes of write-ahead log and one more statement per batch of records
-- (src/store/subjects-repo.ts learnSubjects).
DELETE FROM subject_names n USING subjects s WHERE n.uscc = s.uscc AND n.name = s.name;

CREATE INDEX subjects_name_idx ON subjects (name);
CREATE INDEX subjects_name_trgm_idx ON subjects USING gin (name gin_trgm_ops);

-- The row the update actually changed (after a wait for a concurrent writer's rename, the name that
-- writer gave it), not the one the statement read.
CREATE FUNCTION subjects_keep_former_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO subject_names (uscc, name) VALUES (OLD.uscc, OLD.name) ON CONFLICT (uscc, name) DO NOTHING;
  RETURN NULL;
END
$$;
CREATE TRIGGER subjects_former_name AFTER UPDATE OF name ON subjects
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION subjects_keep_former_name();
