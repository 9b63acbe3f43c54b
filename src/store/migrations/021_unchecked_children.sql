-- Two foreign keys no statement needs, dropped for what they cost on every write. A record's version
-- rows are inserted in the statement that inserts or locks the record (records-repo.ts), and a
-- subject's names in the transaction that inserted the subject (subjects-repo.ts learnSubjects); no
-- statement deletes a record or a subject. Each checked insert ran a trigger query per row and wrote a
-- row-lock record on the parent, even one inserted by the same statement: per ingested record, two
-- extra queries inside PostgreSQL and 108 bytes of write-ahead log (measured, pg_walinspect).
-- test/store/subject-registry.test.ts checks that the store's writes leave no version without its
-- record and no name without its subject.
ALTER TABLE record_versions DROP CONSTRAINT record_versions_record_id_fkey;
ALTER TABLE subject_names DROP CONSTRAINT subject_names_uscc_fkey;
