-- Natural persons known by a full resident identity number, by what a masked number of theirs still
-- shows (first six and last four characters) and their name: a record that names a person by a masked
-- number is given that person's subject key when exactly one known person matches (subjects-repo.ts).
CREATE TABLE person_keys (
  masked_id   text NOT NULL,
  name        text NOT NULL,
  subject_key text NOT NULL,
  PRIMARY KEY (masked_id, name, subject_key)
);

INSERT INTO person_keys (masked_id, name, subject_key)
SELECT DISTINCT left(r.envelope->'subject'->>'idNumber', 6) || '********' || right(r.envelope->'subject'->>'idNumber', 4),
       r.envelope->'subject'->>'name', r.subject_key
  FROM records r
 WHERE r.subject_key LIKE 'P:%'
   AND r.envelope->'subject'->>'idNumber' ~ '^[0-9]{17}[0-9X]$';
