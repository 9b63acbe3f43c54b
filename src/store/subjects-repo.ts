/**
 * The subject registry (migration 007): subjects by USCC with their names, learned from records and
 * registration imports, and what it answers — the USCC of an organisation known only by its
 * organisation code or name, and subjects by name (exact, or by trigram similarity).
 *
 * Resolution is deliberate: an organisation code resolves when exactly one registered USCC carries
 * it; a name resolves when exactly one registered subject has (or had) that exact name. Anything
 * ambiguous stays pending rather than be given someone else's credit file.
 */
import type { RecordEnvelope } from '../domain/record.js';
import { isGovernmentSubject } from '../domain/government-name.js';
import { checkUscc, orgCodeOfUscc } from '../domain/uscc.js';
import { RECORDS_WITH_CURRENT_ENVELOPE } from './record-columns.js';
import { binaryArray } from './binary-array.js';
import type { Queryable } from './db.js';


/** One subject as the registry learns it. */
export interface SubjectFact {
  uscc: string;
  name: string;
  region?: string | null;
  /** former names (曾用名), from a registration import */
  formerNames?: string[];
}

export interface RegisteredSubject {
  uscc: string;
  orgCode: string;
  name: string;
  names: string[];
  kind: string;
  region: string | null;
  governmentSubject: boolean;
}

/**
 * Learns subjects: each USCC once (the latest name and region win; the kind and organisation code
 * come from the code itself) and the former names an import gives; the name a subject is renamed from
 * is kept by the database (migration 023). Facts whose USCC fails its check are ignored.
 */
export async function learnSubjects(db: Queryable, facts: readonly SubjectFact[], learnedFrom: 'record' | 'import'): Promise<void> {
  const byUscc = new Map<string, SubjectFact & { kind: string; orgCode: string; government: boolean }>();
  for (const f of facts) {
    const code = checkUscc(f.uscc);
    if (!code.ok) continue;
    const kind = code.kind ?? 'other';
    byUscc.set(code.code, { ...f, uscc: code.code, kind, orgCode: orgCodeOfUscc(code.code), government: isGovernmentSubject({ name: f.name, kind, hasUscc: true }) });
  }
  if (!byUscc.size) return;
  const subjects = [...byUscc.values()].sort((a, b) => (a.uscc < b.uscc ? -1 : 1)); // one lock order
  // A subject already known as the record says is left alone: an upsert would lock its row until
  // the transaction ends even when it changes nothing, and every writer of a record about that subject
  // (a large company has records from many sources) would then wait for the one before.
  // The known subject is found by its USCC alone: its name is compared as part of a row, which no index
  // serves (as `s.name = f.name` the planner took the trigram index, 7 ms a row on a 30,000-subject store).
  await db.query(
    `INSERT INTO subjects (uscc, org_code, name, kind, region, government, learned_from)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::text[])
                AS f(uscc, org_code, name, kind, region, government, learned_from)
      WHERE NOT EXISTS (SELECT 1 FROM subjects s
                         WHERE s.uscc = f.uscc
                           AND (s.name, s.government, s.region) IS NOT DISTINCT FROM (f.name, f.government, coalesce(f.region, s.region)))
     ON CONFLICT (uscc) DO UPDATE SET name = EXCLUDED.name, region = coalesce(EXCLUDED.region, subjects.region),
                                      government = EXCLUDED.government, updated_at = now()
       WHERE (subjects.name, subjects.region, subjects.government) IS DISTINCT FROM (EXCLUDED.name, coalesce(EXCLUDED.region, subjects.region), EXCLUDED.government)`,
    [
      binaryArray('text', subjects.map((s) => s.uscc)), binaryArray('text', subjects.map((s) => s.orgCode)),
      binaryArray('text', subjects.map((s) => s.name)), binaryArray('text', subjects.map((s) => s.kind)),
      binaryArray('text', subjects.map((s) => s.region)), binaryArray('bool', subjects.map((s) => s.government)),
      binaryArray('text', subjects.map(() => learnedFrom)),
    ],
  );
  const former = subjects.flatMap((s) => (s.formerNames ?? []).filter((name) => name !== s.name).map((name) => ({ uscc: s.uscc, name })));
  if (!former.length) return;
  await db.query(
    `INSERT INTO subject_names (uscc, name) SELECT * FROM unnest($1::text[], $2::text[])
     ON CONFLICT (uscc, name) DO NOTHING`,
    [former.map((n) => n.uscc), former.map((n) => n.name)],
  );
}

/**
 * The (uscc, name) pairs whose name meets `condition`, among every name a subject is known by: its
 * current one (subjects.name) and its former ones (subject_names). The condition goes into both
 * branches, so each uses its own table's name index.
 */
function knownNames(condition: string): string {
  return `(SELECT uscc, name FROM subjects WHERE ${condition} UNION ALL SELECT uscc, name FROM subject_names WHERE ${condition})`;
}

/** What the registry resolves for pending subjects: org code → USCC and name → USCC, unambiguous ones only. */
export async function resolveUsccs(db: Queryable, orgCodes: readonly string[], names: readonly string[]): Promise<{ byOrgCode: Map<string, string>; byName: Map<string, string> }> {
  const byOrgCode = new Map<string, string>();
  const byName = new Map<string, string>();
  if (orgCodes.length) {
    const { rows } = await db.query<{ org_code: string; uscc: string }>(
      `SELECT org_code, min(uscc) AS uscc FROM subjects WHERE org_code = ANY($1::text[]) GROUP BY org_code HAVING count(*) = 1`,
      [[...new Set(orgCodes)]],
    );
    for (const r of rows) byOrgCode.set(r.org_code, r.uscc);
  }
  if (names.length) {
    const { rows } = await db.query<{ name: string; uscc: string }>(
      `SELECT name, min(uscc) AS uscc
         FROM ${knownNames('name = ANY($1::text[])')} n
        GROUP BY name HAVING count(DISTINCT uscc) = 1`,
      [[...new Set(names)]],
    );
    for (const r of rows) byName.set(r.name, r.uscc);
  }
  return { byOrgCode, byName };
}

/** Pending records whose organisation code or exact name is among these, locked for the caller's transaction. */
export async function lockPendingRecords(db: Queryable, orgCodes: readonly string[], names: readonly string[]): Promise<Array<{ recordId: string; envelope: RecordEnvelope }>> {
  if (!orgCodes.length && !names.length) return [];
  const { rows } = await db.query<{ record_id: string; envelope: RecordEnvelope }>(
    `SELECT r.record_id, v.envelope FROM ${RECORDS_WITH_CURRENT_ENVELOPE}
      WHERE r.pending AND (r.org_code = ANY($1::text[]) OR r.subject_name = ANY($2::text[]))
      ORDER BY r.record_id FOR UPDATE OF r`,
    [[...new Set(orgCodes)], [...new Set(names)]],
  );
  return rows.map((r) => ({ recordId: r.record_id, envelope: r.envelope }));
}

/** Every name of subject `s`: its former names in the order they were recorded, then its current one. */
const NAMES_OF_S = `array(SELECT n.name FROM subject_names n WHERE n.uscc = s.uscc AND n.name <> s.name ORDER BY n.first_seen, n.name) || s.name AS names`;

/** Subjects by name: `exact` (current or former name), or `fuzzy` (trigram similarity, best first). */
export async function findSubjectsByName(db: Queryable, name: string, match: 'exact' | 'fuzzy', limit: number): Promise<Array<RegisteredSubject & { similarity: number }>> {
  const { rows } = await db.query<{ uscc: string; org_code: string; name: string; kind: string; region: string | null; government: boolean; names: string[]; similarity: number }>(
    match === 'exact'
      ? {
          name: 'subjects-by-exact-name', // prepared once per connection: planning cost more than the lookup
          text: `SELECT s.*, 1::float8 AS similarity, ${NAMES_OF_S}
           FROM subjects s WHERE s.uscc IN (SELECT uscc FROM ${knownNames('name = $1')} n)
          ORDER BY s.uscc LIMIT $2`,
          values: [name, limit],
        }
      // planned for its name each time: the trigram search's cost dwarfs the planning, and the plan depends on the name
      : {
          text: `SELECT s.*, m.similarity, ${NAMES_OF_S}
           FROM (SELECT uscc, max(similarity(name, $1)) AS similarity
                   FROM ${knownNames('name % $1')} n
                  GROUP BY uscc) m
           JOIN subjects s USING (uscc)
          ORDER BY m.similarity DESC, s.uscc LIMIT $2`,
          values: [name, limit],
        },
  );
  return rows.map((r) => ({
    uscc: r.uscc, orgCode: r.org_code, name: r.name, names: r.names, kind: r.kind, region: r.region,
    governmentSubject: r.government, similarity: Math.round(r.similarity * 1000) / 1000,
  }));
}

/** A natural person known by a full identity number: what a masked number of theirs shows, the name, the key. */
export interface KnownPerson {
  maskedId: string;
  name: string;
  subjectKey: string;
}

/** Remembers persons named by a full identity number (migration 009), so a masked number can find them. */
export async function learnPersons(db: Queryable, persons: readonly KnownPerson[]): Promise<void> {
  if (!persons.length) return;
  await db.query(
    `INSERT INTO person_keys (masked_id, name, subject_key)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ORDER BY 1, 2, 3
     ON CONFLICT DO NOTHING`,
    [persons.map((p) => p.maskedId), persons.map((p) => p.name), persons.map((p) => p.subjectKey)],
  );
}

/**
 * The subject key of the one known person with this masked number and name, per `maskedId\u0000name`;
 * absent when no known person or more than one matches (a masked number never picks between people).
 */
export async function resolvePersonKeys(db: Queryable, wanted: ReadonlyArray<{ maskedId: string; name: string }>): Promise<Map<string, string>> {
  if (!wanted.length) return new Map();
  const { rows } = await db.query<{ masked_id: string; name: string; subject_key: string }>(
    `SELECT k.masked_id, k.name, min(k.subject_key) AS subject_key
       FROM person_keys k JOIN unnest($1::text[], $2::text[]) AS w(masked_id, name) USING (masked_id, name)
      GROUP BY k.masked_id, k.name
     HAVING count(DISTINCT k.subject_key) = 1`,
    [wanted.map((w) => w.maskedId), wanted.map((w) => w.name)],
  );
  return new Map(rows.map((r) => [`${r.masked_id}\u0000${r.name}`, r.subject_key]));
}
