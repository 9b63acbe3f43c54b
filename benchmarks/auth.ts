/**
 * npm run bench:auth — GET /v1/subjects/:uscc per second with full partner verification and signed
 * answers (replay store and rate counter in PostgreSQL, hash-chained audit row per request), and in
 * the same run from a second gateway with auth turned off; and the p99 latency of verified requests at
 * a fixed 500 req/s.
 *
 * Each gateway runs as its own process (src/dev/child-gateway.ts); this process generates the
 * load over loopback with undici, from tokens signed before each phase (signing is the client's cost).
 * Each phase is bounded in time (BENCH_SECONDS, default 20); the two saturation phases alternate in
 * slices of 2.5 s, each printed with its own ratio. On this machine one slice's ratio strays up to
 * ±0.08 from its run's, so runs of 10 s per side reported anywhere from 0.48 to 0.58; 20 s narrows that.
 * Each gateway is measured at the number of requests in flight where it answers most:
 * short probes at 16, 32, 64, 128 and 256 in flight, each level taken twice (up the levels, then down),
 * pick it (BENCH_IN_FLIGHT fixes one for both). At too few in flight a closed loop measures waiting,
 * not capacity: at 32, the verified gateway at times left 15–20% of the machine's CPU idle.
 * BENCH_COMPARE='[{"name":"tp2","env":{"UV_THREADPOOL_SIZE":"2"}},{"name":"semi32","nodeArgs":["--max-semi-space-size=32"]}]'
 * adds verified gateways that differ in environment or node flags: they take their slices in the same
 * rotation, at the verified gateway's level, and each gets a line with its own rate and ratio (stderr).
 * On this shared machine, figures from different runs differ by ±10%; compare variants within one run.
 * The partner signs its tokens with ES256, what partner:keygen makes by default; BENCH_ALG=PS256 or EdDSA
 * measures those instead (verifying PS256 costs the gateway about a third of ES256, EdDSA more).
 * For the fixed-rate phase it also prints where a slow request's time went: how many took over 10, 25
 * and 50 ms inside the gateway (its own request histogram), the gateway's event-loop delay and GC
 * pauses over the phase (its /metrics), the auth writer's statements and how many requests waited
 * over 5 and 10 ms for their admission and audit row to commit, the load generator's own event-loop
 * delay (latency counts from each request's scheduled start, so the generator's pauses would show as
 * the gateway's), and the machine's steal and iowait (BENCH_WHO=1 adds which other processes ran, and
 * in the busiest 250 ms).
 * The fixed-rate line gives the CPU per request at that rate too: on this machine about three times
 * the figure at saturation (every wake-up of a process costs more than the work it wakes for), for
 * the unverified gateway as much as for the verified one.
 * Prints exactly:
 *   verified: N req/s / unverified: N req/s / ratio: X / p99: N ms   (details go to stderr)
 * (with BENCH_FIXED_ONLY=1 only the p99 and the WAL line); BENCH_WAL_DETAIL=1 adds that phase's WAL per
 * request by table and index (pg_walinspect; see support/wal-by-relation.ts).
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import { Pool } from 'undici';
import { isPartnerAlgorithm, PARTNER_ALGORITHMS } from '../src/auth/jws-algorithms.js';
import { syntheticUscc } from '../src/domain/uscc.js';
import { spawnGateway, writeConfigFile, type ChildGateway } from '../src/dev/child-gateway.js';
import { makePartner, TEST_AUDIENCE } from '../src/dev/partner.js';
import { sampleRecordInput } from '../src/dev/sample-records.js';
import { cpuSince, cpuSnapshot } from './support/process-cpu.js';
import { createScratchDatabase } from '../src/dev/scratch-database.js';
import { scratchDir } from '../src/dev/scratch-dir.js';
import { walBytesSince, walLine, walPosition } from './support/wal.js';
import { walDetailLines, walDetailStart } from './support/wal-by-relation.js';
import { authWriterLine, gatewaySideLine, loadGeneratorDelay, readMetrics } from './support/gateway-metrics.js';
import { sampleMachineStalls } from './support/machine-stalls.js';
import { slowRequestsLine } from './support/slow-requests.js';
import { fixedRate, percentile, presign, type PhaseResult } from './support/signed-gets.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const IN_FLIGHT_LEVELS = process.env.BENCH_IN_FLIGHT ? [Number(process.env.BENCH_IN_FLIGHT)] : [16, 32, 64, 128, 256];
const PROBE_MS = 1500;
/**
 * Single-use tokens signed per second of a verified closed-loop phase: more than any run here answered
 * (the fastest phase of this machine: ~4,700 verified and ~11,000 unverified requests per second).
 */
const TOKENS_PER_SECOND = 12_000;
const FIXED_RATE = 500;
/** BENCH_FIXED_ONLY=1: the fixed-rate phase alone (after the warm-up), for looking at the tail in under a minute */
const FIXED_ONLY = process.env.BENCH_FIXED_ONLY === '1';
/**
 * With BENCH_FIXED_ONLY=1 the verified gateway logs each request this slow with its steps
 * (auth.slowRequestMs; the goal's p99), and the bench sums them up. Not in a full run: at saturation
 * nearly every request is that slow, and logging them all would cost the verified side.
 */
const SLOW_MS = FIXED_ONLY ? 20 : 0;
const WARMUP_MS = 2000;
/** each side's SECONDS of saturation, taken in alternating slices of about 2.5 s */
const SLICES = Math.max(1, Math.round(SECONDS / 2.5));
const SLICE_MS = (SECONDS * 1000) / SLICES;
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const SUBJECT = syntheticUscc(4_200_001);
const PATH = `/v1/subjects/${SUBJECT}`;
const PATH_ROUTE = '/v1/subjects/:uscc';
const PURPOSE = 'bidding:BENCH-0001';
/** the partner's token algorithm: ES256 (what partner:keygen makes by default) unless BENCH_ALG says PS256 or EdDSA */
const PARTNER_ALG = ((alg: string) => {
  if (!isPartnerAlgorithm(alg)) throw new Error(`BENCH_ALG must be one of ${PARTNER_ALGORITHMS.join(', ')}`);
  return alg;
})(process.env.BENCH_ALG ?? 'ES256');

const log = (line: string) => process.stderr.write(`${line}\n`);

interface Variant {
  name: string;
  nodeArgs?: string[];
  env?: Record<string, string>;
}
const VARIANTS = JSON.parse(process.env.BENCH_COMPARE ?? '[]') as Variant[];

type MeasuredPhase = PhaseResult & { cpu: ReturnType<typeof cpuSince> };

/** answered requests per second */
const rateOf = (r: PhaseResult) => r.done / r.seconds;

/** A closed-loop phase with the CPU it cost the gateway, PostgreSQL and the load generator. */
async function measured(gw: ChildGateway, phase: () => Promise<PhaseResult>): Promise<MeasuredPhase> {
  const before = cpuSnapshot(gw.proc.pid!);
  const result = await phase();
  return { ...result, cpu: cpuSince(before) };
}

/** CPU per answered request, in µs, by part: "gateway 310 µs, postgres 120 µs, load 60 µs" */
function cpuPerRequest(r: MeasuredPhase): string {
  const us = (seconds: number) => Math.round((seconds * 1e6) / Math.max(1, r.done));
  return `gateway ${us(r.cpu.gateway)} µs (main thread ${us(r.cpu.gatewayMain)} µs, ${Math.round((100 * r.cpu.gatewayMain) / r.seconds)}% busy), postgres ${us(r.cpu.postgres)} µs, load generator ${us(r.cpu.loadGenerator)} µs`;
}

/** Closed loop: `inFlight` requests outstanding for `ms`; next header set per request (or none). */
async function saturate(client: Pool, inFlight: number, ms: number, headersFor: (i: number) => Record<string, string>): Promise<PhaseResult> {
  const started = performance.now();
  const deadline = started + ms;
  let issued = 0;
  let done = 0;
  let failed = 0;
  const latenciesMs: number[] = [];
  async function worker(): Promise<void> {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const res = await client.request({ method: 'GET', path: PATH, headers: headersFor(issued++) });
      await res.body.arrayBuffer();
      latenciesMs.push(performance.now() - t0);
      if (res.statusCode === 200) done++;
      else failed++;
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { done, failed, seconds: (performance.now() - started) / 1000, latenciesMs };
}

/** The machine is shared: how long one small durable commit takes right now, for reading the figures. */
async function commitLatencyMs(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS bench_probe (n int)');
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) await client.query('INSERT INTO bench_probe VALUES (1)');
    return (performance.now() - t0) / 50;
  } finally {
    await client.end();
  }
}

/**
 * Small durable commits, one every 20 ms on a connection of their own, while `phase` runs: a stall they
 * share with the gateway's requests is the storage's (a slow fsync), not the gateway's.
 */
async function withCommitProbe<T>(databaseUrl: string, phase: () => Promise<T>): Promise<{ result: T; commits: number; maxMs: number; over20Ms: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const latencies: number[] = [];
  let running = true;
  const probing = (async () => {
    while (running) {
      const t0 = performance.now();
      await client.query('INSERT INTO bench_probe VALUES (2)');
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    const result = await phase();
    return { result, commits: latencies.length, maxMs: Math.max(0, ...latencies), over20Ms: latencies.filter((ms) => ms > 20).length };
  } finally {
    running = false;
    await probing.catch(() => undefined);
    await client.end();
  }
}

interface BenchGateway {
  gw: ChildGateway;
  client: Pool;
  close(): Promise<void>;
}

async function startBenchGateway(dbUrl: string, auth: Record<string, unknown>, variant: Partial<Variant> = {}): Promise<BenchGateway> {
  const configFile = writeConfigFile({ auth, relay: { enabled: false }, store: { poolMax: 10 }, log: { level: 'warn' } });
  const gw = await spawnGateway({ databaseUrl: dbUrl, brokers: BROKERS, configFile, nodeArgs: variant.nodeArgs, env: variant.env });
  const client = new Pool(gw.url, { connections: Math.max(...IN_FLIGHT_LEVELS), pipelining: 1 });
  return {
    gw,
    client,
    close: async () => {
      await client.close();
      gw.proc.kill('SIGTERM');
      await gw.exited;
    },
  };
}

function combined(slices: MeasuredPhase[]): MeasuredPhase {
  const sum = (f: (r: MeasuredPhase) => number) => slices.reduce((acc, r) => acc + f(r), 0);
  return {
    done: sum((r) => r.done),
    failed: sum((r) => r.failed),
    seconds: sum((r) => r.seconds),
    latenciesMs: slices.flatMap((r) => r.latenciesMs),
    cpu: {
      gateway: sum((r) => r.cpu.gateway),
      gatewayMain: sum((r) => r.cpu.gatewayMain),
      postgres: sum((r) => r.cpu.postgres),
      broker: sum((r) => r.cpu.broker),
      loadGenerator: sum((r) => r.cpu.loadGenerator),
    },
  };
}

async function main(): Promise<void> {
  const db = await createScratchDatabase(ADMIN_URL, 'gw_bench_auth');
  const partner = await makePartner({ alg: PARTNER_ALG, scopes: ['records:write', 'subjects:read'], rateLimit: { requests: 1_000_000, perSeconds: 60 } });
  const auth = {
    enabled: true,
    audience: TEST_AUDIENCE,
    signingKeys: { dir: scratchDir('gw-bench-keys-') },
    slowRequestMs: SLOW_MS,
    partners: [partner.entry],
  };

  try {
    log(`# GET ${PATH} with ${PARTNER_ALG} partner tokens; ${SECONDS} s per phase, load from pid ${process.pid}`);
    log(`# PostgreSQL durable commit latency now: ${(await commitLatencyMs(db.url)).toFixed(2)} ms (machine load ${loadavg()[0]!.toFixed(2)})`);
    // Both gateways run from the start; the load alternates between them in slices, so a drift in the
    // shared machine's speed during the run weighs on both sides of the ratio alike.
    const v = await startBenchGateway(db.url, auth);
    const u = await startBenchGateway(db.url, { ...auth, enabled: false });
    const variants: Array<Variant & BenchGateway & { slices: MeasuredPhase[] }> = [];
    for (const variant of VARIANTS) variants.push({ ...variant, ...(await startBenchGateway(db.url, auth, variant)), slices: [] });
    let verified: { peak: MeasuredPhase; steady: MeasuredPhase };
    let unverified: MeasuredPhase;
    let storage: { commits: number; maxMs: number; over20Ms: number };
    let walBytes: number;
    let walByRelation: string[];
    let fixedRateSides: string;
    const best = { verified: IN_FLIGHT_LEVELS[0]!, unverified: IN_FLIGHT_LEVELS[0]! };
    try {
      const records = Array.from({ length: 3 }, (_, i) =>
        sampleRecordInput(i === 1 ? 'admin_penalty' : 'dishonest_debtor', 4_200_001, { source: { key: `BENCH-${i}` } }));
      const seeded = await partner.signedFetch(`${v.gw.url}/v1/records`, { method: 'POST', body: JSON.stringify({ records }) });
      if (seeded.status !== 200) throw new Error(`seeding failed: HTTP ${seeded.status} ${await seeded.text()}`);

      const url = v.gw.url + PATH;
      // single-use tokens, signed (the client's cost) just before each verified phase, never during one
      let tokens: Array<Record<string, string>> = [];
      let next = 0;
      let signed = 0;
      const signFor = async (count: number) => {
        tokens = await presign(partner, url, PURPOSE, count);
        next = 0;
        signed += count;
      };
      const signForMs = (ms: number) => signFor(Math.ceil((ms / 1000) * TOKENS_PER_SECOND));
      const take = () => {
        const t = tokens[next++];
        if (!t) throw new Error(`ran out of the ${tokens.length} tokens signed for this phase: more than TOKENS_PER_SECOND answered`);
        return t;
      };
      const none = () => ({});
      await signForMs(WARMUP_MS);
      await saturate(v.client, 32, WARMUP_MS, take);
      await saturate(u.client, 32, WARMUP_MS, none);
      for (const c of variants) {
        await signForMs(WARMUP_MS);
        await saturate(c.client, 32, WARMUP_MS, take);
      }
      if (IN_FLIGHT_LEVELS.length > 1 && !FIXED_ONLY) {
        // two passes, up and then down the levels, so a drift in the machine's speed does not favour one level
        const probed = new Map(IN_FLIGHT_LEVELS.map((level) => [level, { verified: 0, unverified: 0 }]));
        for (const level of [...IN_FLIGHT_LEVELS, ...[...IN_FLIGHT_LEVELS].reverse()]) {
          await signForMs(PROBE_MS);
          const pv = await saturate(v.client, level, PROBE_MS, take);
          const pu = await saturate(u.client, level, PROBE_MS, none);
          const sum = probed.get(level)!;
          sum.verified += rateOf(pv) / 2;
          sum.unverified += rateOf(pu) / 2;
        }
        const rates = { verified: 0, unverified: 0 };
        for (const [level, rate] of probed) {
          log(`# probe at ${level} in flight: verified ${Math.round(rate.verified)} req/s, unverified ${Math.round(rate.unverified)} req/s`);
          if (rate.verified > rates.verified) [rates.verified, best.verified] = [rate.verified, level];
          if (rate.unverified > rates.unverified) [rates.unverified, best.unverified] = [rate.unverified, level];
        }
      }
      const verifiedSlices: MeasuredPhase[] = [];
      const unverifiedSlices: MeasuredPhase[] = [];
      for (let i = 0; i < (FIXED_ONLY ? 0 : SLICES); i++) {
        await signForMs(SLICE_MS);
        verifiedSlices.push(await measured(v.gw, () => saturate(v.client, best.verified, SLICE_MS, take)));
        for (const c of variants) {
          await signForMs(SLICE_MS);
          c.slices.push(await measured(c.gw, () => saturate(c.client, best.verified, SLICE_MS, take)));
        }
        unverifiedSlices.push(await measured(u.gw, () => saturate(u.client, best.unverified, SLICE_MS, none)));
        const [vs, us] = [verifiedSlices[i]!, unverifiedSlices[i]!];
        log(`# slice ${i + 1}: verified ${Math.round(rateOf(vs))} req/s, unverified ${Math.round(rateOf(us))} req/s, ratio ${(rateOf(vs) / rateOf(us)).toFixed(2)}`);
      }
      const wal = new pg.Client({ connectionString: db.url });
      await wal.connect();
      const walFrom = await walPosition(wal);
      const walDetail = process.env.BENCH_WAL_DETAIL === '1' ? await walDetailStart(wal) : null;
      const metricsBefore = await readMetrics(v.gw.url);
      const logFrom = v.gw.output().length;
      const generatorDelay = loadGeneratorDelay();
      const ownPids = () => [process.pid, ...[v, u, ...variants].map((g) => g.gw.proc.pid!)];
      const machine = sampleMachineStalls(process.env.BENCH_WHO === '1' ? { leaveOut: ownPids } : undefined);
      await signFor(Math.floor(FIXED_RATE * SECONDS));
      log(`# ${signed} tokens signed in all (client side, between phases)`);
      const probed = await withCommitProbe(db.url, () => measured(v.gw, () => fixedRate(v.client, PATH, FIXED_RATE, Math.floor(FIXED_RATE * SECONDS), take)));
      const metricsAfter = await readMetrics(v.gw.url);
      fixedRateSides = `${gatewaySideLine(metricsBefore, metricsAfter, PATH_ROUTE)}; ${authWriterLine(metricsBefore, metricsAfter, probed.result.seconds)}; ${generatorDelay()}; ${machine()}`;
      if (FIXED_ONLY) fixedRateSides += `; ${slowRequestsLine(v.gw.output().slice(logFrom), SLOW_MS)}`;
      walBytes = await walBytesSince(wal, walFrom);
      walByRelation = walDetail ? await walDetailLines(walDetail, wal, probed.result.done, 'request') : [];
      await wal.end();
      storage = probed;
      verified = { peak: combined(verifiedSlices), steady: probed.result };
      unverified = combined(unverifiedSlices);
    } finally {
      await Promise.all([v, u, ...variants].map((g) => g.close()));
    }

    const audit = new pg.Client({ connectionString: db.url });
    await audit.connect();
    const { rows } = await audit.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log');
    await audit.end();

    const vRate = rateOf(verified.peak);
    const uRate = rateOf(unverified);
    if (!FIXED_ONLY) log(`# verified: ${verified.peak.done} ok, ${verified.peak.failed} failed in ${verified.peak.seconds.toFixed(1)} s at ${best.verified} in flight; p50 ${percentile(verified.peak.latenciesMs, 50).toFixed(1)} ms at saturation; CPU per request: ${cpuPerRequest(verified.peak)}`);
    if (!FIXED_ONLY) log(`# unverified: ${unverified.done} ok, ${unverified.failed} failed in ${unverified.seconds.toFixed(1)} s at ${best.unverified} in flight; p50 ${percentile(unverified.latenciesMs, 50).toFixed(1)} ms at saturation; CPU per request: ${cpuPerRequest(unverified)}`);
    for (const c of variants) {
      const r = combined(c.slices);
      log(`# variant ${c.name}: ${Math.round(rateOf(r))} req/s, ratio ${(rateOf(r) / uRate).toFixed(2)} (${r.failed} failed); CPU per request: ${cpuPerRequest(r)}`);
    }
    log(`# fixed ${FIXED_RATE} req/s (verified): ${verified.steady.done} ok, ${verified.steady.failed} failed; p50 ${percentile(verified.steady.latenciesMs, 50).toFixed(1)} ms, p99.9 ${percentile(verified.steady.latenciesMs, 99.9).toFixed(1)} ms; CPU per request: ${cpuPerRequest(verified.steady)}`);
    log(`# fixed ${FIXED_RATE} req/s, where the time went: ${fixedRateSides}`);
    log(`# durable commits probed alongside the fixed-rate phase: ${storage.commits}, slowest ${storage.maxMs.toFixed(1)} ms, ${storage.over20Ms} over 20 ms (storage stalls, if any, show here too)`);
    log(`# audit rows written: ${rows[0]!.n}`);
    if (verified.peak.failed || verified.steady.failed || unverified.failed || variants.some((c) => c.slices.some((r) => r.failed))) log('# WARNING: some requests failed; see counts above');

    if (!FIXED_ONLY) {
      process.stdout.write(`verified: ${Math.round(vRate)} req/s\n`);
      process.stdout.write(`unverified: ${Math.round(uRate)} req/s\n`);
      process.stdout.write(`ratio: ${(vRate / uRate).toFixed(2)}\n`);
    }
    process.stdout.write(`p99: ${percentile(verified.steady.latenciesMs, 99).toFixed(1)} ms\n`);
    process.stdout.write(`${walLine(walBytes, verified.steady.done, 'request (fixed rate, verified)')}\n`);
    for (const line of walByRelation) process.stdout.write(`${line}\n`);
  } finally {
    await db.drop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench:auth failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
