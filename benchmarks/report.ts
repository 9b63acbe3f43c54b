/**
 * npm run bench:report — time to compute a city-level quarterly 政务诚信 report over 1,000,000 records.
 *
 * Creates a fresh database (on TEST_DATABASE_URL / DATABASE_URL's server, else the machine's
 * PostgreSQL on 127.0.0.1:5432), applies the migrations, seeds the records directly with SQL
 * (generate_series: 200,000 subjects of whom 40 % government bodies, spread over every county-level
 * code of the region table, over six categories and their severities, decided 2024-01 … 2026-11;
 * 8 % of them later repaired, half of those after the reported quarter so the report reads their
 * state from record_versions), vacuums and analyses, then builds the city-level report of 2026Q3
 * three times. Prints the median as `report: N s` (each run on stderr). Drops the database at the end
 * (BENCH_KEEP_DB=1 keeps it, to look at query plans).
 */
import pg from 'pg';
import { createDatabaseSql } from '../src/dev/scratch-database.js';
import { knownUnitsAt } from '../src/domain/regions.js';
import { parsePeriod } from '../src/monitoring/report-period.js';
import { buildIntegrityReport } from '../src/monitoring/report.js';
import { migrate } from '../src/store/migrate.js';
import { loadConfig } from '../src/config/load.js';
import { seedRecords } from '../src/store/seed-records.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const SUBJECTS = Math.max(1, Math.floor(RECORDS / 5));
const RUNS = 3;
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const log = (msg: string) => process.stderr.write(`${msg}\n`);

const SEED_ROWS = `
SELECT id AS record_id, category, uscc AS subject_key, uscc, region, 'active' AS status, 'sha256:' || md5(id::text) AS content_hash, envelope, created_at
  FROM (
    SELECT md5('bench-record-' || i)::uuid AS id, category, uscc, region, created_at,
           jsonb_build_object(
             'recordId', md5('bench-record-' || i)::uuid, 'category', category,
             'polarity', CASE WHEN category IN ('admin_license', 'court_judgment') THEN 'neutral' ELSE 'negative' END,
             'subject', jsonb_build_object('uscc', uscc, 'name', '样例主体' || s, 'kind', kind, 'region', region),
             'source', jsonb_build_object('system', 'bench', 'key', 'K' || i),
             'decidedAt', decided::text, 'publishFrom', decided::text,
             'publishUntil', CASE WHEN i % 10 < 3 THEN NULL ELSE (decided + (365 * (1 + i % 3)))::text END,
             'status', 'active', 'version', 1,
             'data', CASE WHEN category = 'procurement_breach'
                          THEN jsonb_build_object('listType', CASE WHEN i % 3 = 0 THEN 'payment_default' ELSE 'serious_dishonesty' END,
                                                  'resolved', i % 2 = 0, 'projectName', '样例采购项目' || i)
                          ELSE jsonb_build_object('caseNumber', '（2025）苏0583执' || i || '号', 'note', '基准测试数据') END
           ) || CASE WHEN category IN ('admin_license', 'court_judgment') THEN '{}'::jsonb
                     ELSE jsonb_build_object('severity', severity) END AS envelope
      FROM (
        SELECT i, s, category, decided, ($3::text[])[1 + (s * 7919) % cardinality($3::text[])] AS region,
               kind, kind_code || ($3::text[])[1 + (s * 7919) % cardinality($3::text[])] || lpad(s::text, 10, '0') AS uscc,
               CASE category WHEN 'dishonest_debtor' THEN 'severe'
                             WHEN 'admin_penalty' THEN (ARRAY['minor', 'general', 'severe'])[1 + i % 3]
                             WHEN 'procurement_breach' THEN (ARRAY['general', 'severe'])[1 + i % 2]
                             ELSE 'general' END AS severity,
               (decided + time '10:00') AT TIME ZONE 'Asia/Shanghai' + interval '3 days' AS created_at
          FROM (
            SELECT i, i % $2 AS s,
                   (ARRAY['dishonest_debtor', 'admin_penalty', 'admin_penalty', 'admin_penalty', 'procurement_breach',
                          'bidding_misconduct', 'admin_license', 'court_judgment'])[1 + i % 8] AS category,
                   date '2024-01-01' + ((i * 37) % 1050) AS decided,
                   (ARRAY['organ', 'public_institution', 'mass_organization', 'other_institution', 'enterprise', 'enterprise',
                          'enterprise', 'enterprise', 'enterprise', 'enterprise'])[1 + (i % $2) % 10] AS kind,
                   (ARRAY['11', '12', '13', '19', '91', '91', '91', '91', '91', '91'])[1 + (i % $2) % 10] AS kind_code
              FROM generate_series(1, $1::int) AS i
          ) base
      ) shaped
  ) seeded`;

// 8 % of the records repaired: half during 2026Q3, half after it (read back from record_versions).
const REPAIR = `
WITH chosen AS (
  SELECT record_id, CASE WHEN change_seq % 2 = 0 THEN timestamptz '2026-08-15 10:00+08' ELSE timestamptz '2026-10-20 10:00+08' END AS at
    FROM records WHERE change_seq % 25 < 2 AND created_at < timestamptz '2026-08-01 00:00+08'
), changed AS (
  UPDATE records r SET status = 'repaired', version = 2, updated_at = c.at
    FROM chosen c WHERE r.record_id = c.record_id
  RETURNING r.record_id, r.content_hash, c.at
)
INSERT INTO record_versions (record_id, version, change_kind, status, content_hash, envelope, actor, reason, recorded_at)
SELECT c.record_id, 2, 'status_changed', 'repaired', c.content_hash, v.envelope::jsonb || jsonb_build_object('status', 'repaired', 'version', 2), 'bench', 'repaired', c.at
  FROM changed c JOIN record_versions v ON v.record_id = c.record_id AND v.version = 1`;

async function main(): Promise<void> {
  const dbName = `gw_bench_report_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(createDatabaseSql(dbName));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${dbName}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  // DROP DATABASE … WITH (FORCE) at the end may reach a connection the pool is still closing
  pool.on('error', () => undefined);
  try {
    await migrate(pool);
    const counties = knownUnitsAt('county');
    log(`seeding ${RECORDS} records over ${SUBJECTS} subjects in ${counties.length} county-level regions …`);
    let t = performance.now();
    await seedRecords(pool, SEED_ROWS, [RECORDS, SUBJECTS, counties]);
    const repaired = await pool.query(REPAIR);
    log(`seeded in ${((performance.now() - t) / 1000).toFixed(1)} s (${repaired.rowCount} repaired); vacuum analyze …`);
    t = performance.now();
    await pool.query('VACUUM (ANALYZE) records');
    await pool.query('VACUUM (ANALYZE) record_versions');
    log(`vacuumed in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const weights = loadConfig({ env: {} }).monitoring.scoreWeights;
    const period = parsePeriod('2026Q3')!;
    const timings: number[] = [];
    let rows = 0;
    for (let run = 0; run < RUNS; run++) {
      const start = performance.now();
      const report = await buildIntegrityReport(pool, { period, level: 'city', weights, now: new Date('2026-11-23T12:00:00+08:00') });
      const seconds = (performance.now() - start) / 1000;
      timings.push(seconds);
      rows = report.rows.length;
      log(`run ${run + 1}: ${seconds.toFixed(3)} s, ${rows} cities ranked`);
    }
    timings.sort((a, b) => a - b);
    process.stdout.write(`report: ${timings[Math.floor(RUNS / 2)]!.toFixed(2)} s\n`);
  } finally {
    await pool.end();
    if (process.env.BENCH_KEEP_DB) log(`kept database ${dbName} (BENCH_KEEP_DB)`);
    else await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((err) => {
  process.stderr.write(`bench-report failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
