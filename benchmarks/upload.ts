/**
 * npm run bench:upload — its upload half: rows per second from a BENCH_UPLOAD_ROWS-row XLSX upload
 * (行政处罚 template, default 100,000 rows) to broker ack: POST /v1/uploads, the background worker
 * storing it in batches, the outbox drained by the relay. Prints `upload: N rows/s`.
 *
 * Its exchange-database half: source rows per second from a department's
 * exchange table (前置库) of BENCH_ROWS rows (双公示 行政处罚, national CF_* columns) to broker ack (the
 * outbox drained by the relay), with the gateway in this process reading the table through the
 * exchange-db connector in pages of BENCH_PAGE_SIZE and writing each row's verdict back to a feedback
 * table (BENCH_FEEDBACK=0: none). The table has an index on (GXSJ, XH), as departments are asked to
 * give it (BENCH_NO_INDEX=1: none). BENCH_DIALECT=mariadb (default) or postgres picks the exchange
 * database. Prints `exchange-db: N rows/s` and `peak rss: N MiB` (of this process), with CPU per row.
 * Needs PostgreSQL (DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres), MariaDB
 * (TEST_MARIADB_URL, else 127.0.0.1:3306, else a private server: src/dev/local-mariadb.ts) and the
 * local Kafka broker (KAFKA_BROKERS, else 127.0.0.1:19092, started if needed).
 */
import { loadavg } from 'node:os';
import { connectorBenchConfig } from './support/connector-gateway.js';
import { connectSource, createCursorIndexSql, createFeedbackTableSql, createTableSql, insertRows, penaltyRow, type TestDialect } from '../src/dev/exchange-tables.js';
import { startLocalBroker } from '../src/dev/local-broker.js';
import { findOrStartMariaDb } from '../src/dev/local-mariadb.js';
import { createScratchDatabase, type ScratchDatabase } from '../src/dev/scratch-database.js';
import { createScratchMariaDb } from '../src/dev/scratch-mariadb.js';
import { waitForOutboxDrained } from '../src/outbox/outbox.js';
import { startGateway, type RunningGateway } from '../src/server.js';
import { XLSX_TYPE } from '../src/uploads/inspect.js';
import { penaltyUploadFile } from './support/upload-file.js';
import { cpuSince, cpuSnapshot } from './support/process-cpu.js';
import { deleteTopic } from './support/topics.js';
import { samplePeakRss } from './support/own-peak-rss.js';
import { walBytesSince, walLine, walPosition } from './support/wal.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const UPLOAD_ROWS = Number(process.env.BENCH_UPLOAD_ROWS ?? 100_000);
const PAGE_SIZE = Number(process.env.BENCH_PAGE_SIZE ?? 1000);
const DIALECT = (process.env.BENCH_DIALECT ?? 'mariadb') as TestDialect;
const FEEDBACK = process.env.BENCH_FEEDBACK !== '0';
const URL_ENV = 'BENCH_EXCHANGE_DB_URL';

/** Row n's update time: one of 100 minutes from 08:00, in row order. */
function updateTime(n: number): string {
  const minute = Math.floor((n * 100) / ROWS);
  return `2024-05-01 ${String(8 + Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:00`;
}

/** The exchange table, filled: BENCH_ROWS rows over 100 update times (many rows share one). */
async function exchangeTable(adminUrl: string): Promise<{ source: ScratchDatabase; stopMaria?: () => Promise<void> }> {
  let source: ScratchDatabase;
  let stopMaria: (() => Promise<void>) | undefined;
  if (DIALECT === 'mariadb') {
    const maria = await findOrStartMariaDb();
    stopMaria = maria.stop;
    source = await createScratchMariaDb(maria.url, 'gw_bench_xdb');
  } else {
    source = await createScratchDatabase(adminUrl, 'gw_bench_xdb');
  }
  const db = await connectSource(DIALECT, source.url);
  await db.exec(createTableSql(DIALECT, { table: 't_xzcf' }));
  // the index the README asks departments for (BENCH_NO_INDEX=1: without it, every page sorts the table)
  if (!process.env.BENCH_NO_INDEX) await db.exec(createCursorIndexSql('t_xzcf'));
  if (FEEDBACK) await db.exec(createFeedbackTableSql(DIALECT, 't_xzcf_fk'));
  const t0 = Date.now();
  for (let i = 0; i < ROWS; i += 10_000) {
    const n = Math.min(10_000, ROWS - i);
    await insertRows(db, 't_xzcf', Array.from({ length: n }, (_, j) => penaltyRow(i + j, updateTime(i + j))));
  }
  await db.close();
  process.stdout.write(`exchange table (${DIALECT}): ${ROWS} rows filled in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return { source, ...(stopMaria ? { stopMaria } : {}) };
}

/** The upload half: one XLSX file, from POST to the last event acknowledged by the broker. */
async function uploadHalf(gw: RunningGateway, file: Buffer): Promise<void> {
  const t0 = process.hrtime.bigint();
  const res = await fetch(`${gw.url}/v1/uploads?category=admin_penalty&sourceSystem=bench.upload`, { method: 'POST', body: file, headers: { 'content-type': XLSX_TYPE } });
  const taken = await res.json() as { id: string };
  if (res.status !== 202) throw new Error(`upload refused: ${res.status} ${JSON.stringify(taken)}`);
  const answered = Number(process.hrtime.bigint() - t0) / 1e9;
  let progress: { state: string; rowsRead: number; stored: number; rejected: number; error: unknown };
  for (;;) {
    progress = await (await fetch(`${gw.url}/v1/uploads/${taken.id}`)).json() as typeof progress;
    if (progress.state === 'done' || progress.state === 'failed') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (progress.state !== 'done') throw new Error(`upload ${progress.state}: ${JSON.stringify(progress.error)}`);
  const storedSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const left = await waitForOutboxDrained(gw.ctx.pool, 5 * 60_000, 20);
  if (left > 0) throw new Error(`outbox not drained in 5 minutes (${left} left)`);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(`upload (xlsx ${(file.length / 1024 / 1024).toFixed(1)} MiB): rows ${progress.rowsRead}, stored ${progress.stored}, rejected ${progress.rejected} in ${seconds.toFixed(1)} s (answered 202 in ${answered.toFixed(2)} s, done in ${storedSeconds.toFixed(1)} s, then outbox drained)\n`);
  process.stdout.write(`upload: ${Math.round(progress.rowsRead / seconds)} rows/s\n`);
}

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const brokers = process.env.KAFKA_BROKERS ? process.env.KAFKA_BROKERS.split(',') : (await startLocalBroker()).brokers;
  const { source, stopMaria } = await exchangeTable(adminUrl);
  process.env[URL_ENV] = source.url;
  const db = await createScratchDatabase(adminUrl, 'gw_bench_upload');
  const topic = `bench.${db.name}.records.v1`;
  const config = connectorBenchConfig({
    databaseUrl: db.url, brokers, topic,
    connectors: {
      instances: {
        'bench-xdb': {
          source: 'shuanggongshi/qzk-xzcf', enabled: true, schedule: null,
          exchangeDb: {
            urlEnv: URL_ENV, table: 't_xzcf', key: ['XH'], cursor: { column: 'GXSJ' }, pageSize: PAGE_SIZE, deleted: { column: 'SCBZ', values: ['1'] },
            ...(FEEDBACK ? { feedback: { table: 't_xzcf_fk', status: 'FKZT', message: 'FKXX', at: 'FKSJ' } } : {}),
          },
        },
      },
    },
  });
  const file = UPLOAD_ROWS > 0 ? await penaltyUploadFile(UPLOAD_ROWS) : null;
  const gw = await startGateway(config);
  const peakRss = samplePeakRss();
  try {
    if (file) await uploadHalf(gw, file);
    const cpuBefore = cpuSnapshot(process.pid);
    const walFrom = await walPosition(gw.ctx.pool);
    const t0 = process.hrtime.bigint();
    const started = await gw.ctx.connectors!.start('bench-xdb', 'cli');
    if (!started.started) throw new Error(`run not started: ${started.reason}`);
    const run = await started.done;
    if (run.state !== 'succeeded') throw new Error(`run ${run.state}: ${run.error}`);
    const runSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const left = await waitForOutboxDrained(gw.ctx.pool, 5 * 60_000, 20);
    if (left > 0) throw new Error(`outbox not drained in 5 minutes (${left} left)`);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const peakMiB = peakRss.stop();
    process.stdout.write(`exchange-db (${DIALECT}, page ${PAGE_SIZE}, feedback ${FEEDBACK ? 'table' : 'none'}): rows ${run.pulled}, stored ${run.created}, quarantined ${run.rejected}, pages ${run.pages} in ${seconds.toFixed(1)} s (run ${runSeconds.toFixed(1)} s, then outbox drained)\n`);
    process.stdout.write(`exchange-db: ${Math.round(run.pulled / seconds)} rows/s\n`);
    process.stdout.write(`${walLine(await walBytesSince(gw.ctx.pool, walFrom), run.pulled, 'row')}\n`);
    const cpu = cpuSince(cpuBefore);
    const us = (v: number) => Math.round((v * 1e6) / Math.max(1, run.pulled));
    process.stdout.write(`cpu per row: gateway ${us(cpu.gateway)} µs, postgres ${us(cpu.postgres)} µs, kafka broker ${us(cpu.broker)} µs\n`);
    process.stdout.write(`peak rss: ${peakMiB} MiB\n`);
    process.stdout.write(`load average: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (2 cores shared with other work)\n`);
  } finally {
    peakRss.stop();
    await gw.close();
    await deleteTopic(brokers, topic, 'bench-upload');
    await db.drop();
    await source.drop();
    await stopMaria?.();
  }
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`bench-upload: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
