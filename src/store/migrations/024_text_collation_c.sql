-- Every text column of the store compares byte by byte (COLLATE "C"), whatever the database's locale.
-- What the store keeps in text is codes and keys (USCCs, organisation and region codes, categories,
-- statuses, partner ids, jtis, hashes, dates as YYYY-MM-DD) and names it finds by equality or by
-- trigram similarity; it never sorts anything for a reader by a language's rules. Under a database
-- created with a language collation (zh_CN.UTF-8, en_US.UTF-8, an ICU locale), every comparison in
-- every index descent went through that collation: a check of 1,000 codes spent 9.8 ms in PostgreSQL
-- in a zh-Hans-CN database against 6.7 ms with "C", on 1,000,000 records (docs/architecture.md §2.4).
-- One collation for all of them also keeps every comparison between two columns on their indexes.
--
-- Only the collation changes: no table is rewritten, the indexes on these columns are rebuilt (11 s on
-- a store of 1,000,000 records here). Tables added later declare COLLATE "C" on
-- their text columns (test/store/text-collation.test.ts holds every migration to it).

-- The view and the trigger that name these columns are dropped and made again, unchanged
DROP VIEW current_records;
DROP TRIGGER subjects_former_name ON subjects;

DO $$
DECLARE
  t record;
BEGIN
  FOR t IN
    SELECT c.oid::regclass AS tbl,
           string_agg(format('ALTER COLUMN %I TYPE %s COLLATE "C"', a.attname, format_type(a.atttypid, a.atttypmod)), ', ') AS alters
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      JOIN pg_type ty ON ty.oid = a.atttypid
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
       AND ty.typcollation <> 0 AND a.attcollation <> 'pg_catalog."C"'::regcollation
     GROUP BY c.oid
  LOOP
    EXECUTE format('ALTER TABLE %s %s', t.tbl, t.alters);
  END LOOP;
END
$$;

CREATE TRIGGER subjects_former_name AFTER UPDATE OF name ON subjects
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION subjects_keep_former_name();

CREATE VIEW current_records AS
  SELECT r.*, v.envelope
    FROM records r
    JOIN record_versions v ON v.record_id = r.record_id AND v.version = r.version;
