/**
 * npm run bench:checks — checks per second and p99 latency of POST /v1/checks with 1,000 codes
 * against a store of 1,000,000 records (BENCH_RECORDS=5000000 for 5 million), 4 per subject.
 *
 * Seeding goes straight to PostgreSQL (not through HTTP): benchmarks/support/check-store.ts.
 *
 * The gateway runs as its own process (auth, relay, expiry and the alert detector off: this measures
 * the check itself; on a freshly seeded store the detector would otherwise be reading its way through
 * the whole change feed, a million records, during the measurement);
 * one check at a time is sent over loopback for BENCH_SECONDS (default 30 s, at most 120). Each body
 * has 1,000 codes: 800 with records, 150 clean valid codes, 50 invalid ones.
 * Progress goes to stderr; stdout gets exactly `checks: N per s` and `p99: N ms`.
 * BENCH_KEEP_DB=1 keeps the seeded database (its name is printed); BENCH_REUSE_DB=<name> measures
 * against such a database again without seeding.
 */
import pg from 'pg';
import { createDatabaseSql } from '../src/dev/scratch-database.js';
import { migrate } from '../src/store/migrate.js';
import { spawnGateway, writeConfigFile } from '../src/dev/child-gateway.js';
import { CODES_PER_CHECK, measureChecks, seedCheckStore } from './support/check-store.js';
import { walBytesSince, walLine, walPosition } from './support/wal.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const SUBJECTS = Math.max(1, Math.floor(RECORDS / 4));
const SECONDS = Math.min(Number(process.env.BENCH_SECONDS ?? 30), 120);
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const log = (msg: string) => process.stderr.write(`${msg}\n`);

async function main(): Promise<void> {
  const reuse = process.env.BENCH_REUSE_DB;
  if (reuse !== undefined && !/^gw_bench_checks_[a-z0-9]+$/.test(reuse)) throw new Error('BENCH_REUSE_DB must name a database made by this benchmark');
  const dbName = reuse ?? `gw_bench_checks_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  if (!reuse) await admin.query(createDatabaseSql(dbName));
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const pool = new pg.Pool({ connectionString: dbUrl.toString(), max: 2 });
  let gw: Awaited<ReturnType<typeof spawnGateway>> | undefined;
  try {
    await migrate(pool);
    if (!reuse) await seedCheckStore(pool, RECORDS, SUBJECTS);
    const configFile = writeConfigFile({
      relay: { enabled: false },
      lifecycle: { expiryEnabled: false },
      monitoring: { detectorEnabled: false },
      auth: { enabled: false },
      log: { level: 'warn' },
    });
    gw = await spawnGateway({ databaseUrl: dbUrl.toString(), brokers: ['127.0.0.1:19092'], configFile });

    let walFrom = '';
    const { count, elapsedS, at } = await measureChecks(gw.url, SUBJECTS, SECONDS, async () => {
      walFrom = await walPosition(pool); // after the warm-up, as the checks it divides by
    });
    log(`${count} checks of ${CODES_PER_CHECK} codes, one at a time, in ${elapsedS.toFixed(1)} s; p50 ${at(0.5).toFixed(1)} ms, max ${at(1).toFixed(1)} ms`);
    console.log(`checks: ${(count / elapsedS).toFixed(1)} per s`);
    console.log(`p99: ${at(0.99).toFixed(1)} ms`);
    console.log(walLine(await walBytesSince(pool, walFrom), count, 'check'));
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
