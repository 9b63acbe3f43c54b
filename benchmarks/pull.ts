/**
 * npm run bench:pull — source rows per second through declarative sources, from a local fixture
 * source (in its own process: benchmarks/pull-source.ts) serving generated rows in real shapes,
 * to broker ack (the outbox drained by the relay), with the gateway in this process. Two sources of
 * BENCH_ROWS rows each: a JSON source (shuanggongshi/syscredit-xzcf, pageSize BENCH_PAGE_SIZE) and a
 * GBK HTML source (bidding/ggzy-bad-records: layout tables, a javascript: pager; BENCH_HTML_PAGE_SIZE
 * rows a page); between them the JSON source's listing again, unchanged (what most scheduled passes
 * find: every row seen, nothing stored). Prints `pull json: N rows/s`, `pull json again: N rows/s`,
 * `pull html: N rows/s` and `peak rss: N MiB` (of this process), with WAL and CPU per row. Needs
 * PostgreSQL (DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres) and the local Kafka
 * broker (KAFKA_BROKERS, else 127.0.0.1:19092, started if needed).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../src/config/load.js';
import { connectorBenchConfig } from './support/connector-gateway.js';
import { startLocalBroker } from '../src/dev/local-broker.js';
import { waitForOutboxDrained } from '../src/outbox/outbox.js';
import { startGateway, type RunningGateway } from '../src/server.js';
import { cpuSince, cpuSnapshot } from './support/process-cpu.js';
import { samplePeakRss } from './support/own-peak-rss.js';
import { walBytesSince, walLine, walPosition } from './support/wal.js';
import { walDetailLines, walDetailStart } from './support/wal-by-relation.js';
import { createScratchDatabase } from '../src/dev/scratch-database.js';
import { deleteTopic } from './support/topics.js';

/**
 * BENCH_ROWS: rows each source lists (run 20000 and 100000 to see that memory does not grow with it).
 * BENCH_KEEP_DB=1: keep the scratch database afterwards, to look at what was stored.
 * BENCH_ONLY=json|html: one of the two passes (to profile it alone).
 * BENCH_WAL_DETAIL=1: each pass's WAL per row by table and index (support/wal-by-relation.ts).
 */
const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const PAGE_SIZE = Number(process.env.BENCH_PAGE_SIZE ?? 1000);
const HTML_PAGE_SIZE = Number(process.env.BENCH_HTML_PAGE_SIZE ?? 500);
const ONLY = process.env.BENCH_ONLY;

async function measure(gw: RunningGateway, name: string, label: string, sourcePid: number): Promise<void> {
  const cpuBefore = cpuSnapshot(process.pid);
  const sourceCpuBefore = cpuSnapshot(sourcePid);
  const walDetail = process.env.BENCH_WAL_DETAIL === '1' ? await walDetailStart(gw.ctx.pool) : null;
  const walFrom = await walPosition(gw.ctx.pool);
  const t0 = process.hrtime.bigint();
  const started = await gw.ctx.connectors!.start(name, 'cli');
  if (!started.started) throw new Error(`${name}: run not started: ${started.reason}`);
  const run = await started.done;
  if (run.state !== 'succeeded') throw new Error(`${name}: run ${run.state}: ${run.error}`);
  const runSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const left = await waitForOutboxDrained(gw.ctx.pool, 5 * 60_000, 20);
  if (left > 0) throw new Error(`outbox not drained in 5 minutes (${left} left)`);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const walBytes = await walBytesSince(gw.ctx.pool, walFrom);
  process.stdout.write(`${label}: rows ${run.pulled}, stored ${run.created}, quarantined ${run.rejected}, pages ${run.pages} in ${seconds.toFixed(1)} s (run ${runSeconds.toFixed(1)} s, then outbox drained)\n`);
  process.stdout.write(`pull ${label}: ${Math.round(run.pulled / seconds)} rows/s\n`);
  process.stdout.write(`${walLine(walBytes, run.pulled, `row (${label})`)}\n`);
  for (const line of walDetail ? await walDetailLines(walDetail, gw.ctx.pool, run.pulled, `row (${label})`) : []) process.stdout.write(`${line}\n`);
  const cpu = cpuSince(cpuBefore);
  const us = (v: number) => Math.round((v * 1e6) / Math.max(1, run.pulled));
  process.stdout.write(`cpu per row (${label}): gateway ${us(cpu.gateway)} µs, postgres ${us(cpu.postgres)} µs, kafka broker ${us(cpu.broker)} µs, fixture source ${us(cpuSince(sourceCpuBefore).gateway)} µs\n`);
}

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const brokers = process.env.KAFKA_BROKERS ? process.env.KAFKA_BROKERS.split(',') : (await startLocalBroker()).brokers;
  const db = await createScratchDatabase(adminUrl, 'gw_bench_pull');

  const sourceProcess = spawn(process.execPath, ['--import', 'tsx/esm', 'benchmarks/pull-source.ts', String(ROWS), String(HTML_PAGE_SIZE)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const [sourceUrl] = (await once(createInterface({ input: sourceProcess.stdout! }), 'line')) as [string];
  const tag = db.name;
  const topic = `bench.${tag}.records.v1`;
  const config = connectorBenchConfig({
    databaseUrl: db.url, brokers, topic,
    connectors: {
      defaults: { perHostRatePerSecond: 10_000, perHostConcurrency: 2 },
      instances: {
        'bench-json': { source: 'shuanggongshi/syscredit-xzcf', enabled: true, schedule: null, baseUrl: `${sourceUrl}/syscredit/publicity/data_list.json`, pageSize: PAGE_SIZE },
        'bench-html': { source: 'bidding/ggzy-bad-records', enabled: true, schedule: null, baseUrl: `${sourceUrl}/ggzy/bad-records`, region: '320583' },
      },
    },
  });
  const gw = await startGateway(config);
  const peakRss = samplePeakRss();
  try {
    if (ONLY !== 'html') await measure(gw, 'bench-json', 'json', sourceProcess.pid!);
    if (ONLY !== 'html') await measure(gw, 'bench-json', 'json again', sourceProcess.pid!);
    if (ONLY !== 'json') await measure(gw, 'bench-html', 'html', sourceProcess.pid!);
    process.stdout.write(`peak rss: ${peakRss.stop()} MiB\n`);
    process.stdout.write(`load average: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (2 cores shared with other work)\n`);
  } finally {
    peakRss.stop();
    await gw.close();
    sourceProcess.kill('SIGTERM');
    await deleteTopic(brokers, topic, 'bench-pull');
    if (process.env.BENCH_KEEP_DB) process.stdout.write(`kept database: ${db.url}\n`);
    else await db.drop();
  }
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`bench-pull: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
