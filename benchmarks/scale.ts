/**
 * npm run bench:scale — whether the store's cost stays flat as it grows: ingest (HTTP batches →
 * PostgreSQL → broker ack, as bench:ingest) and checks of 1,000 codes (as bench:checks) on an empty
 * store, then on the same store after 5,000,000 records were seeded into it by SQL
 * (benchmarks/support/check-store.ts: 4 records per subject, the subject registry filled, vacuumed).
 *
 * Each phase runs a fresh gateway process with a warm-up. BENCH_RECORDS (default 100,000) records are
 * ingested per phase, numbered apart from each other and from the seeded subjects; BENCH_SCALE_RECORDS
 * (default 5,000,000) sets the seed; BENCH_SECONDS (default 20) the checks' time per phase.
 * Prints exactly:
 *   ingest empty: N records/s / ingest at 5M: N records/s / ratio: X
 * then each phase's WAL per record, full-page images per record and check latencies, and the server
 * settings that decide the full-page images (after each checkpoint, the first change of a page writes
 * the whole page: in a grown store, inserts into large indexes touch many pages once per checkpoint;
 * each phase starts right after a CHECKPOINT, so both are measured from the same point of the cycle);
 * progress goes to stderr.
 */
import pg from 'pg';
import { startLocalBroker } from '../src/dev/local-broker.js';
import { spawnGateway } from '../src/dev/child-gateway.js';
import { createScratchDatabase } from '../src/dev/scratch-database.js';
import { CODES_PER_CHECK, measureChecks, seedCheckStore } from './support/check-store.js';
import { ingestBodies, ingestGatewayConfigFile, pushAndDrain, warmUp } from './support/ingest-load.js';
import { fullPageImages, walBytesSince, walPosition, walSettingsLine } from './support/wal.js';

const INGEST = Number(process.env.BENCH_RECORDS ?? 100_000);
const SEEDED = Number(process.env.BENCH_SCALE_RECORDS ?? 5_000_000);
const SUBJECTS = Math.max(1, Math.floor(SEEDED / 4));
const CHECK_SECONDS = Math.min(Number(process.env.BENCH_SECONDS ?? 20), 120);
const PHASE_LIMIT_MS = 10 * 60_000;
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** ingested records are numbered from here in each phase: apart from each other and from the seeded subjects */
const FIRST_INGESTED = [20_000_000, 40_000_000] as const;

const log = (msg: string) => process.stderr.write(`${msg}\n`);

interface PhaseResult {
  ingestRate: number;
  walPerRecord: number;
  fpiPerRecord: number;
  checkP50: number;
  checkP99: number;
}

async function main(): Promise<void> {
  const { brokers } = await startLocalBroker();
  const db = await createScratchDatabase(ADMIN_URL, 'gw_bench_scale');
  const topic = `bench.scale.${Date.now().toString(36)}.v1`;
  const configFile = ingestGatewayConfigFile(topic, { lifecycle: { expiryEnabled: false } });
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on('error', () => undefined); // the database is dropped at the end

  async function phase(name: string, firstIngested: number): Promise<PhaseResult> {
    const gw = await spawnGateway({ databaseUrl: db.url, brokers, configFile });
    try {
      const bodies = ingestBodies(INGEST, firstIngested);
      await warmUp(gw.url, pool, firstIngested + INGEST);
      // both phases start at the same point of the checkpoint cycle: right after one
      await pool.query('CHECKPOINT');
      const walFrom = await walPosition(pool);
      const fpiFrom = await fullPageImages(pool);
      const { ackedMs } = await pushAndDrain(gw.url, pool, bodies, Date.now() + PHASE_LIMIT_MS);
      const walPerRecord = Math.round((await walBytesSince(pool, walFrom)) / INGEST);
      const fpiPerRecord = ((await fullPageImages(pool)) - fpiFrom) / INGEST;
      const checks = await measureChecks(gw.url, SUBJECTS, CHECK_SECONDS);
      const result = { ingestRate: INGEST / (ackedMs / 1000), walPerRecord, fpiPerRecord, checkP50: checks.at(0.5), checkP99: checks.at(0.99) };
      log(`${name}: ${INGEST} records ingested in ${(ackedMs / 1000).toFixed(1)} s; ${checks.count} checks of ${CODES_PER_CHECK} codes, p50 ${result.checkP50.toFixed(1)} ms`);
      return result;
    } finally {
      gw.proc.kill('SIGTERM');
      await gw.exited;
    }
  }

  try {
    const empty = await phase('empty store', FIRST_INGESTED[0]);
    log(`seeding ${SEEDED} records of ${SUBJECTS} subjects …`);
    await seedCheckStore(pool, SEEDED, SUBJECTS);
    const grown = await phase(`store of ${SEEDED} records`, FIRST_INGESTED[1]);
    const label = SEEDED === 5_000_000 ? '5M' : String(SEEDED);
    console.log(`ingest empty: ${Math.round(empty.ingestRate)} records/s`);
    console.log(`ingest at ${label}: ${Math.round(grown.ingestRate)} records/s`);
    console.log(`ratio: ${(grown.ingestRate / empty.ingestRate).toFixed(2)}`);
    console.log(`wal per record empty: ${empty.walPerRecord} bytes; at ${label}: ${grown.walPerRecord} bytes`);
    console.log(`full-page images per record empty: ${empty.fpiPerRecord.toFixed(2)}; at ${label}: ${grown.fpiPerRecord.toFixed(2)}`);
    console.log(await walSettingsLine(pool));
    console.log(`checks p99 empty: ${empty.checkP99.toFixed(1)} ms; at ${label}: ${grown.checkP99.toFixed(1)} ms`);
  } finally {
    await pool.end();
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
