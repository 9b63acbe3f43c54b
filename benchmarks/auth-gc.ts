/**
 * npm run bench:auth-gc — what the verified GET /v1/subjects/:uscc leaves to the garbage collector,
 * in figures that do not depend on how busy the shared machine is: bytes allocated, bytes promoted to
 * the old generation, scavenges and mark-compacts, per 10,000 requests at bench:auth's fixed
 * 500 req/s. The gateway runs as its own process (src/dev/child-gateway.ts) with --trace-gc-nvp; the
 * figures are the sums of its GC trace lines between the start and the end of the measured phase
 * (after a warm-up of GC_WARMUP requests).
 *
 * Why these figures: a major GC (mark-compact) stalls the gateway's main thread for 10–90 ms and so
 * sets bench:auth's p99; it comes when the old generation has grown by what scavenges promoted.
 *
 * GC_REQUESTS (default 10000) sets the measured requests, GC_RATE (default 500) the rate, GC_ROUNDS
 * (default 1) how many measured phases in a row, GC_WARMUP (default 3000) the warm-up requests;
 * GC_DUMP=<file> writes each phase's gateway output (the GC trace lines) to <file>.<round> and the whole output so far to <file>.all;
 * GC_SIGNAL=<signal> sends that signal to the gateway at the start and at the end of each phase (for
 * a profiler preloaded with GATEWAY_NODE_ARGS=--import ...); GATEWAY_NODE_ARGS adds node flags to the gateway
 * (e.g. --heapsnapshot-signal=SIGUSR2; GC_SNAPSHOT=1 then sends that signal after the warm-up and
 * after each phase, and waits 15 s for the snapshot, which lands in the repository root; GC_SNAPSHOT=midway
 * also sends it halfway through each phase, to see what requests keep alive while the load runs).
 * Prints the phase's latencies (p50, p99, p99.9 from each request's scheduled start) on stderr and one
 * line per phase on stdout:
 *   per 10000 GETs: allocated N MB (N KB/GET), promoted N MB (N B/GET), N scavenges, N mark-compacts, old generation A → B MB, new space A → B MB
 */
import { writeFileSync } from 'node:fs';
import { Pool } from 'undici';
import { spawnGateway, writeConfigFile } from '../src/dev/child-gateway.js';
import { makePartner, TEST_AUDIENCE } from '../src/dev/partner.js';
import { sampleRecordInput } from '../src/dev/sample-records.js';
import { syntheticUscc } from '../src/domain/uscc.js';
import { createScratchDatabase } from '../src/dev/scratch-database.js';
import { scratchDir } from '../src/dev/scratch-dir.js';
import { readMetrics } from './support/gateway-metrics.js';
import { fixedRate, percentile, presign } from './support/signed-gets.js';

const REQUESTS = Number(process.env.GC_REQUESTS ?? 10_000);
const RATE = Number(process.env.GC_RATE ?? 500);
const ROUNDS = Number(process.env.GC_ROUNDS ?? 1);
const WARMUP = Number(process.env.GC_WARMUP ?? 3000);
const SNAPSHOT = process.env.GC_SNAPSHOT === '1';
const SNAPSHOT_MIDWAY = process.env.GC_SNAPSHOT === 'midway';
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const SUBJECT = syntheticUscc(4_200_001);
const PATH = `/v1/subjects/${SUBJECT}`;
const PURPOSE = 'bidding:BENCH-0001';

const log = (line: string) => process.stderr.write(`${line}\n`);

interface GcLine {
  isolate: string;
  kind: string;
  sizeAfter: number;
  allocated: number;
  promoted: number;
  pause: number;
}

/**
 * The --trace-gc-nvp lines in `text` of the main thread's isolate (the one that allocated most; the
 * gateway's worker threads, such as the outbox relay's, have isolates of their own).
 */
function gcLines(text: string): GcLine[] {
  const lines: GcLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes(' gc=')) continue;
    const field = (name: string) => {
      const m = new RegExp(`(?:^|\\s)${name}=(\\S+)`).exec(line);
      return m ? m[1]! : '';
    };
    const isolate = /^\[\d+:(0x[0-9a-f]+)\]/.exec(line)?.[1] ?? '';
    lines.push({ isolate, kind: field('gc'), sizeAfter: Number(field('total_size_after')), allocated: Number(field('allocated')), promoted: Number(field('promoted')), pause: Number(field('pause')) });
  }
  const byIsolate = new Map<string, number>();
  for (const l of lines) byIsolate.set(l.isolate, (byIsolate.get(l.isolate) ?? 0) + l.allocated);
  const main = [...byIsolate].sort((a, b) => b[1] - a[1])[0]?.[0];
  return lines.filter((l) => l.isolate === main);
}

/** the old generation's used bytes (every space but the young generation's), as prom-client reads them */
const oldGeneration = (m: Map<string, number>) =>
  ['old', 'code', 'large_object', 'code_large_object', 'shared', 'shared_large_object']
    .reduce((acc, space) => acc + (m.get(`gateway_nodejs_heap_space_size_used_bytes{space="${space}"}`) ?? 0), 0);

/** the young generation's size (both semi-spaces' capacity as V8 reports it); V8 grows it from 1 MB as survival demands */
const newSpace = (m: Map<string, number>) => m.get('gateway_nodejs_heap_space_size_total_bytes{space="new"}') ?? 0;

async function main(): Promise<void> {
  const db = await createScratchDatabase(ADMIN_URL, 'gw_bench_gc');
  const partner = await makePartner({ alg: 'ES256', scopes: ['records:write', 'subjects:read'], rateLimit: { requests: 1_000_000, perSeconds: 60 } });
  const auth = { enabled: true, audience: TEST_AUDIENCE, signingKeys: { dir: scratchDir('gw-bench-keys-') }, partners: [partner.entry] };
  const configFile = writeConfigFile({ auth, relay: { enabled: false }, store: { poolMax: 10 }, log: { level: 'warn' } });
  const gw = await spawnGateway({ databaseUrl: db.url, brokers: BROKERS, configFile, nodeArgs: ['--trace-gc-nvp'] })
    .catch(async (err: unknown) => {
      await db.drop().catch(() => undefined); // a gateway that did not start leaves no scratch database behind
      throw err;
    });
  const client = new Pool(gw.url, { connections: 256, pipelining: 1 });
  try {
    const records = Array.from({ length: 3 }, (_, i) =>
      sampleRecordInput(i === 1 ? 'admin_penalty' : 'dishonest_debtor', 4_200_001, { source: { key: `BENCH-${i}` } }));
    const seeded = await partner.signedFetch(`${gw.url}/v1/records`, { method: 'POST', body: JSON.stringify({ records }) });
    if (seeded.status !== 200) throw new Error(`seeding failed: HTTP ${seeded.status} ${await seeded.text()}`);
    const tokens = await presign(partner, gw.url + PATH, PURPOSE, WARMUP + ROUNDS * REQUESTS);
    let next = 0;
    const take = () => tokens[next++]!;
    log(`# warm-up: ${WARMUP} GETs at ${RATE} req/s`);
    await fixedRate(client, PATH, RATE, WARMUP, take);
    const per = 10_000 / REQUESTS;
    const snapshot = async () => {
      if (!SNAPSHOT && !SNAPSHOT_MIDWAY) return;
      gw.proc.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, 15_000));
    };
    await snapshot();
    for (let round = 0; round < ROUNDS; round++) {
      const metricsBefore = await readMetrics(gw.url);
      const from = gw.output().length;
      if (process.env.GC_SIGNAL) gw.proc.kill(process.env.GC_SIGNAL as NodeJS.Signals);
      const { failed, latenciesMs } = await fixedRate(client, PATH, RATE, REQUESTS, take, SNAPSHOT_MIDWAY ? () => gw.proc.kill('SIGUSR2') : undefined);
      if (process.env.GC_SIGNAL) gw.proc.kill(process.env.GC_SIGNAL as NodeJS.Signals);
      await new Promise((r) => setTimeout(r, 200));
      const metricsAfter = await readMetrics(gw.url);
      const gcs = gcLines(gw.output().slice(from));
      if (process.env.GC_DUMP) {
        writeFileSync(`${process.env.GC_DUMP}.${round}`, gw.output().slice(from));
        writeFileSync(`${process.env.GC_DUMP}.all`, gw.output());
      }
      const sum = (f: (g: GcLine) => number, kind?: string) => gcs.filter((g) => !kind || g.kind === kind).reduce((acc, g) => acc + f(g), 0);
      const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
      const allocated = sum((g) => (g.allocated < 2 ** 40 ? g.allocated : 0)) * per; // after a heap snapshot, one line's figure wraps around
      const promoted = sum((g) => g.promoted, 's') * per;
      const pauses = gcs.filter((g) => g.kind !== 's').map((g) => `${g.kind} ${g.pause.toFixed(1)} (live after ${mb(g.sizeAfter)} MB)`).join(', ');
      log(`# non-scavenge pauses (ms): ${pauses || 'none'}; longest scavenge ${Math.max(0, ...gcs.filter((g) => g.kind === 's').map((g) => g.pause)).toFixed(1)} ms`);
      const at = (p: number) => percentile(latenciesMs, p).toFixed(1);
      log(`# latency (from each request's scheduled start; the GC trace costs a little): p50 ${at(50)} ms, p99 ${at(99)} ms, p99.9 ${at(99.9)} ms`);
      process.stdout.write(`per 10000 GETs: allocated ${mb(allocated)} MB (${(allocated / 10_000 / 1024).toFixed(1)} KB/GET), ` +
        `promoted ${mb(promoted)} MB (${Math.round(promoted / 10_000)} B/GET), ${Math.round(gcs.filter((g) => g.kind === 's').length * per)} scavenges, ` +
        `${Math.round(gcs.filter((g) => g.kind === 'mc').length * per)} mark-compacts, old generation ${mb(oldGeneration(metricsBefore))} → ${mb(oldGeneration(metricsAfter))} MB, ` +
        `new space ${mb(newSpace(metricsBefore))} → ${mb(newSpace(metricsAfter))} MB` +
        `${failed ? `; ${failed} FAILED` : ''}\n`);
      await snapshot();
    }
  } finally {
    await client.close();
    gw.proc.kill('SIGTERM');
    await gw.exited;
    await db.drop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench:auth-gc failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
