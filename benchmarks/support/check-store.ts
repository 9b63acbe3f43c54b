/**
 * The store the check benchmarks measure against, seeded straight into PostgreSQL (not through HTTP):
 * `subjects` synthetic subjects (bench_subjects, and the subject registry's rows for them), then
 * `records` records built from them with INSERT ... SELECT generate_series, in chunks of 100,000
 * (records / subjects per subject; dishonest debtors, penalties, procurement and bidding records of
 * every severity, licences, and some objected, repaired and expired ones). VACUUM ANALYZE then lets
 * the check query run as an index-only scan, as autovacuum would in production.
 * And the checks: bodies of 1,000 codes (800 with records, 150 clean valid codes, 50 invalid ones),
 * sent one at a time.
 */
import type pg from 'pg';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { SEED_RECORD_CYCLE, seedRecords } from '../../src/store/seed-records.js';

const CHUNK = 100_000;
export const CODES_PER_CHECK = 1000;

const log = (msg: string) => process.stderr.write(`${msg}\n`);

/** Records g in [$1, $2] of subject s = g % $3 (bench_subjects), record g: category, severity and status cycle with g. */
const SEED_ROWS = `
SELECT r.id AS record_id, r.category, s.uscc AS subject_key, s.uscc, '320583' AS region, r.status, r.hash AS content_hash,
       jsonb_build_object(
         'recordId', r.id, 'category', r.category, 'polarity', r.polarity,
         'subject', jsonb_build_object('uscc', s.uscc, 'name', '样例企业' || s.n || '有限公司', 'kind', 'enterprise', 'region', '320583'),
         'source', jsonb_build_object('system', 'bench-' || r.category, 'key', 'K' || r.g),
         'decidedAt', r.decided, 'publishFrom', r.decided, 'publishUntil', r.until,
         'status', r.status, 'version', 1, 'contentHash', r.hash, 'createdAt', now(), 'updatedAt', now(),
         'data', jsonb_build_object('caseNumber', '（2024）苏0583执' || r.g || '号', 'court', '昆山市人民法院',
                                    'behaviour', '有履行能力而拒不履行生效法律文书确定义务', 'publishDate', r.decided)
       ) || CASE WHEN r.severity IS NULL THEN '{}'::jsonb
                 ELSE jsonb_build_object('severity', r.severity, 'earliestRepairAt', r.repair) END AS envelope,
       now() AS created_at
  FROM (
    SELECT g,
           md5('bench-record-' || g)::uuid AS id,
           ${SEED_RECORD_CYCLE},
           CASE WHEN g % 10 < 2 THEN NULL ELSE to_char(current_date - (g % 700) + 1095, 'YYYY-MM-DD') END AS until,
           CASE WHEN g % 10 >= 7 THEN NULL ELSE to_char(current_date - (g % 700) + 90, 'YYYY-MM-DD') END AS repair
      FROM generate_series($1::int, $2::int) AS g
  ) AS r
  JOIN bench_subjects s ON s.n = r.g % $3`;

/** Seeds the store; the subjects are syntheticUscc(0 … subjects - 1). */
export async function seedCheckStore(pool: pg.Pool, records: number, subjects: number): Promise<void> {
  const started = Date.now();
  await pool.query('CREATE TABLE bench_subjects (n int PRIMARY KEY, uscc text NOT NULL)');
  for (let from = 0; from < subjects; from += 50_000) {
    const ns = Array.from({ length: Math.min(50_000, subjects - from) }, (_, i) => from + i);
    await pool.query('INSERT INTO bench_subjects SELECT * FROM unnest($1::int[], $2::text[])', [ns, ns.map((n) => syntheticUscc(n))]);
  }
  // the subject registry knows every subject with a record, as it would after ingesting them
  await pool.query(`INSERT INTO subjects (uscc, org_code, name, kind, region, learned_from)
                    SELECT uscc, substr(uscc, 9, 9), '样例企业' || n || '有限公司', 'enterprise', '320583', 'record' FROM bench_subjects`);
  await pool.query(`INSERT INTO subject_names (uscc, name) SELECT uscc, '样例企业' || n || '有限公司' FROM bench_subjects`);
  let seeded = 0;
  for (let from = 0; from < records; from += CHUNK) {
    seeded += await seedRecords(pool, SEED_ROWS, [from, Math.min(records, from + CHUNK) - 1, subjects]);
    log(`seeded ${seeded} records (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  if (seeded !== records) throw new Error(`seeded ${seeded} records, expected ${records}`);
  for (const table of ['records', 'record_versions', 'subjects', 'subject_names']) await pool.query(`VACUUM ANALYZE ${table}`);
  log(`store: ${records} records of ${subjects} subjects, seeded and vacuumed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
/** A check body: 800 codes with records, 150 clean valid codes, 50 invalid codes, shuffled by seed. */
export function checkBody(seedNo: number, subjects: number): string {
  const codes: string[] = [];
  let x = seedNo * 7919 + 1;
  const next = () => (x = (x * 48271) % 2147483647);
  for (let i = 0; i < 800; i++) codes.push(syntheticUscc(next() % subjects));
  for (let i = 0; i < 150; i++) codes.push(syntheticUscc(subjects + (next() % 1_000_000)));
  for (let i = 0; i < 50; i++) {
    const code = syntheticUscc(next() % subjects);
    codes.push(code.slice(0, 17) + (code[17] === '0' ? '1' : '0'));
  }
  return JSON.stringify({ codes, purpose: 'bench: bidder screening' });
}

export async function checkOnce(url: string, body: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const res = await fetch(`${url}/v1/checks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const answer = (await res.json()) as { results?: unknown[] };
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.status !== 200 || answer.results?.length !== CODES_PER_CHECK) throw new Error(`check failed: ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
  return ms;
}


/**
 * Checks sent one at a time for `seconds` after a warm-up of 20 (`measuring` runs between the two),
 * their latencies sorted; at(q) is the q-quantile.
 */
export async function measureChecks(
  url: string, subjects: number, seconds: number, measuring?: () => Promise<void>,
): Promise<{ count: number; elapsedS: number; at: (q: number) => number }> {
  const bodies = Array.from({ length: 50 }, (_, i) => checkBody(i, subjects));
  for (let i = 0; i < 20; i++) await checkOnce(url, bodies[i % bodies.length]!);
  await measuring?.();
  const latencies: number[] = [];
  const started = Date.now();
  const deadline = started + seconds * 1000;
  while (Date.now() < deadline) latencies.push(await checkOnce(url, bodies[latencies.length % bodies.length]!));
  const elapsedS = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]!;
  return { count: latencies.length, elapsedS, at };
}
