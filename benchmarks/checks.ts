/**
 * npm run bench:checks — checks per second and p99 latency of POST /v1/checks with 1,000 codes
 * against a store of 1,000,000 records.
 *
 * Seeding goes straight to PostgreSQL (not through HTTP): 250,000 synthetic subjects are inserted in
 * chunks, then 1,000,000 records are built from them with INSERT ... SELECT generate_series, in
 * chunks of 100,000 (4 records per subject; dishonest debtors, penalties, procurement and bidding
 * records of every severity, licences, and some objected, repaired and expired ones). VACUUM ANALYZE
 * then lets the check query run as an index-only scan, as autovacuum would in production.
 *
 * The gateway runs as its own process (auth, relay and expiry off: this measures the check itself);
 * one check at a time is sent over loopback for BENCH_SECONDS (default 30 s, at most 120). Each body
 * has 1,000 codes: 800 with records, 150 clean valid codes, 50 invalid ones.
 * Progress goes to stderr; stdout gets exactly `checks: N per s` and `p99: N ms`.
 * BENCH_KEEP_DB=1 keeps the seeded database (its name is printed); BENCH_REUSE_DB=<name> measures
 * against such a database again without seeding.
 */
import pg from 'pg';
import { migrate } from '../src/store/migrate.js';
import { syntheticUscc } from '../src/domain/uscc.js';
import { spawnGateway, writeConfigFile } from '../src/dev/child-gateway.js';
import { walBytesSince, walLine, walPosition } from './support/wal.js';

const RECORDS = 1_000_000;
const SUBJECTS = 250_000;
const CHUNK = 100_000;
const CODES_PER_CHECK = 1000;
const BODIES = 50;
const WARM_UP = 20;
const SECONDS = Math.min(Number(process.env.BENCH_SECONDS ?? 30), 120);
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const log = (msg: string) => process.stderr.write(`${msg}\n`);

/** The records of subject s = g % SUBJECTS, record g: category, severity and status cycle with g. */
const SEED_SQL = `
INSERT INTO records (record_id, category, subject_key, uscc, region, status, version, content_hash, envelope, created_at, updated_at, change_seq)
SELECT r.id, r.category, s.uscc, s.uscc, '320583', r.status, 1, r.hash,
       jsonb_build_object(
         'recordId', r.id, 'category', r.category, 'polarity', r.polarity,
         'subject', jsonb_build_object('uscc', s.uscc, 'name', '样例企业' || s.n || '有限公司', 'kind', 'enterprise', 'region', '320583'),
         'source', jsonb_build_object('system', 'bench-' || r.category, 'key', 'K' || r.g),
         'decidedAt', r.decided, 'publishFrom', r.decided, 'publishUntil', r.until,
         'status', r.status, 'version', 1, 'contentHash', r.hash, 'createdAt', now(), 'updatedAt', now(),
         'data', jsonb_build_object('caseNumber', '（2024）苏0583执' || r.g || '号', 'court', '昆山市人民法院',
                                    'behaviour', '有履行能力而拒不履行生效法律文书确定义务', 'publishDate', r.decided)
       ) || CASE WHEN r.severity IS NULL THEN '{}'::jsonb
                 ELSE jsonb_build_object('severity', r.severity, 'earliestRepairAt', r.repair) END,
       now(), now(), nextval('records_change_seq')
  FROM (
    SELECT g,
           md5('bench-record-' || g)::uuid AS id,
           'sha256:' || md5('a' || g) || md5('b' || g) AS hash,
           (ARRAY['dishonest_debtor','dishonest_debtor','admin_penalty','admin_penalty','admin_penalty','procurement_breach',
                  'bidding_misconduct','admin_license','admin_license','admin_license'])[g % 10 + 1] AS category,
           (ARRAY['negative','negative','negative','negative','negative','negative','negative','neutral','neutral','neutral'])[g % 10 + 1] AS polarity,
           (ARRAY['severe','severe','general','minor','severe','severe','general',NULL,NULL,NULL])[g % 10 + 1] AS severity,
           CASE g % 50 WHEN 0 THEN 'objected' WHEN 1 THEN 'repaired' WHEN 2 THEN 'expired' WHEN 3 THEN 'repair_requested' ELSE 'active' END AS status,
           to_char(current_date - (g % 700), 'YYYY-MM-DD') AS decided,
           CASE WHEN g % 10 < 2 THEN NULL ELSE to_char(current_date - (g % 700) + 1095, 'YYYY-MM-DD') END AS until,
           CASE WHEN g % 10 >= 7 THEN NULL ELSE to_char(current_date - (g % 700) + 90, 'YYYY-MM-DD') END AS repair
      FROM generate_series($1::int, $2::int) AS g
  ) AS r
  JOIN bench_subjects s ON s.n = r.g % ${SUBJECTS}`;

async function seed(pool: pg.Pool): Promise<void> {
  const started = Date.now();
  await pool.query('CREATE TABLE bench_subjects (n int PRIMARY KEY, uscc text NOT NULL)');
  for (let from = 0; from < SUBJECTS; from += 50_000) {
    const ns = Array.from({ length: 50_000 }, (_, i) => from + i);
    await pool.query('INSERT INTO bench_subjects SELECT * FROM unnest($1::int[], $2::text[])', [ns, ns.map((n) => syntheticUscc(n))]);
  }
  for (let from = 0; from < RECORDS; from += CHUNK) {
    await pool.query(SEED_SQL, [from, from + CHUNK - 1]);
    log(`seeded ${from + CHUNK} records (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  await pool.query('VACUUM ANALYZE records');
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM records');
  if (rows[0]!.n !== RECORDS) throw new Error(`seeded ${rows[0]!.n} records, expected ${RECORDS}`);
  log(`store: ${RECORDS} records of ${SUBJECTS} subjects, seeded and vacuumed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** A check body: 800 codes with records, 150 clean valid codes, 50 invalid codes, shuffled by seed. */
function checkBody(seedNo: number): string {
  const codes: string[] = [];
  let x = seedNo * 7919 + 1;
  const next = () => (x = (x * 48271) % 2147483647);
  for (let i = 0; i < 800; i++) codes.push(syntheticUscc(next() % SUBJECTS));
  for (let i = 0; i < 150; i++) codes.push(syntheticUscc(SUBJECTS + (next() % 1_000_000)));
  for (let i = 0; i < 50; i++) {
    const code = syntheticUscc(next() % SUBJECTS);
    codes.push(code.slice(0, 17) + (code[17] === '0' ? '1' : '0'));
  }
  return JSON.stringify({ codes, purpose: 'bench: bidder screening' });
}

async function checkOnce(url: string, body: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const res = await fetch(`${url}/v1/checks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const answer = (await res.json()) as { results?: unknown[] };
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.status !== 200 || answer.results?.length !== CODES_PER_CHECK) throw new Error(`check failed: ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
  return ms;
}

async function main(): Promise<void> {
  const reuse = process.env.BENCH_REUSE_DB;
  if (reuse !== undefined && !/^gw_bench_checks_[a-z0-9]+$/.test(reuse)) throw new Error('BENCH_REUSE_DB must name a database made by this benchmark');
  const dbName = reuse ?? `gw_bench_checks_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  if (!reuse) await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const pool = new pg.Pool({ connectionString: dbUrl.toString(), max: 2 });
  let gw: Awaited<ReturnType<typeof spawnGateway>> | undefined;
  try {
    await migrate(pool);
    if (!reuse) await seed(pool);
    const configFile = writeConfigFile({
      relay: { enabled: false },
      lifecycle: { expiryEnabled: false },
      auth: { enabled: false },
      log: { level: 'warn' },
    });
    gw = await spawnGateway({ databaseUrl: dbUrl.toString(), brokers: ['127.0.0.1:19092'], configFile });

    const bodies = Array.from({ length: BODIES }, (_, i) => checkBody(i));
    for (let i = 0; i < WARM_UP; i++) await checkOnce(gw.url, bodies[i % BODIES]!);

    const latencies: number[] = [];
    const walFrom = await walPosition(pool);
    const started = Date.now();
    const deadline = started + SECONDS * 1000;
    while (Date.now() < deadline) latencies.push(await checkOnce(gw.url, bodies[latencies.length % BODIES]!));
    const elapsedS = (Date.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]!;
    log(`${latencies.length} checks of ${CODES_PER_CHECK} codes, one at a time, in ${elapsedS.toFixed(1)} s; p50 ${at(0.5).toFixed(1)} ms, max ${at(1).toFixed(1)} ms`);
    console.log(`checks: ${(latencies.length / elapsedS).toFixed(1)} per s`);
    console.log(`p99: ${at(0.99).toFixed(1)} ms`);
    console.log(walLine(await walBytesSince(pool, walFrom), latencies.length, 'check'));
  } finally {
    if (gw) {
      gw.proc.kill('SIGTERM');
      await gw.exited;
    }
    await pool.end();
    if (process.env.BENCH_KEEP_DB) log(`kept database ${dbName}`);
    else await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
