/**
 * npm run bench:deliver — events per second from a destination's topic to a test platform, for each
 * way of delivery (issue 17): BENCH_EVENTS events (default 100,000) are produced to a fresh topic of
 * 6 partitions first, then a gateway in this process starts with that destination delivering, and the
 * clock runs until the platform has every event: the file way, its package placed in the drop
 * directory; the service way, its batch answered by the intake; the database way, its row committed
 * in the exchange table. (The file and database test platforms check and answer once a second, apart.)
 * The events are the contract's own: one real record envelope (pushed through the API into a scratch
 * database) under BENCH_EVENTS record ids.
 * BENCH_WAYS picks the ways (comma-separated; default all); BENCH_PARTITIONS_CONCURRENTLY and
 * BENCH_MAX_BYTES set the destination's partitionsConcurrently and maxBytesPerPartition (default: the
 * configuration's). Prints per way
 * `deliver <way>: N events/s` (from the delivery's start, consumer-group join included), the same
 * counted from the first package at the platform, and
 * `peak rss: N MiB` (this process: the gateway), with the time to the first package.
 * The platforms are the test platforms of src/dev/, each in a child process: a file drop, an HTTP
 * intake (token auth), exchange tables in a scratch PostgreSQL database.
 * Needs PostgreSQL (DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres) and the local
 * Kafka broker (KAFKA_BROKERS, else 127.0.0.1:19092, started if needed).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel, type Message } from 'kafkajs';
import pg from 'pg';
import { deepMerge, loadConfig, type Config } from '../src/config/load.js';
import { tableOf } from '../src/delivery/exchange-schema.js';
import type { PackageManifest } from '../src/delivery/package-format.js';
import { startLocalBroker } from '../src/dev/local-broker.js';
import { sampleRecordInput } from '../src/dev/sample-records.js';
import { createScratchDatabase, type ScratchDatabase } from '../src/dev/scratch-database.js';
import { scratchDir } from '../src/dev/scratch-dir.js';
import { eventHeaders, renderRecordEvent } from '../src/outbox/events.js';
import { startGateway } from '../src/server.js';
import { platformProcess } from './support/platform-process.js';
import { samplePeakRss } from './support/own-peak-rss.js';
import { deleteTopic } from './support/topics.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const PARTITIONS = 6;
const TIMEOUT_MS = 10 * 60_000;
/** the destinations' partitionsConcurrently and maxBytesPerPartition when set (default: the configuration's) */
const DELIVERY_SETTINGS: { partitionsConcurrently?: number; maxBytesPerPartition?: number } = {
  ...(process.env.BENCH_PARTITIONS_CONCURRENTLY ? { partitionsConcurrently: Number(process.env.BENCH_PARTITIONS_CONCURRENTLY) } : {}),
  ...(process.env.BENCH_MAX_BYTES ? { maxBytesPerPartition: Number(process.env.BENCH_MAX_BYTES) } : {}),
};

/** A test platform of one way: the destination's `delivery` section, how many events it has, and its end. */
interface BenchPlatform {
  delivery: Record<string, unknown>;
  applied(): number | Promise<number>;
  stop(): Promise<void>;
}

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// Each test platform runs in a process of its own (support/platform-process.ts): it keeps every entry it
// takes, and in this process that was most of the peak RSS and its growth with the number of events.
const PLATFORMS: Record<string, () => Promise<BenchPlatform>> = {
  // an event is at the platform when its package is in the drop directory (manifest and data file,
  // placed atomically), counted here from the manifests; the test platform checks and answers the
  // packages once a second, not in the count
  file: async () => {
    const root = scratchDir('bench-deliver-');
    const dirs = { directory: join(root, 'drop'), feedbackDirectory: join(root, 'feedback'), archiveDirectory: join(root, 'archive') };
    for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
    const platform = await platformProcess('file', { dropDirectory: dirs.directory, feedbackDirectory: dirs.feedbackDirectory, pollMs: 1000 });
    const counted = new Map<string, number>();
    return {
      delivery: { way: 'file', ...dirs, feedbackPollMs: 200, ...DELIVERY_SETTINGS },
      applied: async () => {
        for (const f of await readdir(dirs.directory)) {
          if (!f.endsWith('.manifest.json') || f.startsWith('.') || counted.has(f)) continue;
          counted.set(f, (JSON.parse(await readFile(join(dirs.directory, f), 'utf8')) as PackageManifest).events);
        }
        let n = 0;
        for (const events of counted.values()) n += events;
        return n;
      },
      stop: () => platform.stop(),
    };
  },
  // an event is at the platform when the intake has answered for its batch
  service: async () => {
    process.env.BENCH_INTAKE_TOKEN = randomUUID();
    const platform = await platformProcess('service', { auth: { type: 'token', token: process.env.BENCH_INTAKE_TOKEN } });
    return {
      delivery: { way: 'service', url: await platform.ask('url'), auth: { type: 'token', tokenEnv: 'BENCH_INTAKE_TOKEN' }, ...DELIVERY_SETTINGS, connections: Math.max(4, DELIVERY_SETTINGS.partitionsConcurrently ?? 0) },
      applied: () => platform.ask('applied'),
      stop: () => platform.stop(),
    };
  },
  // the platform's exchange database: a scratch database on the same PostgreSQL server. An event is at the
  // platform when its row is committed in the exchange table (counted here); the test platform reads
  // the table and answers once a second, as a platform's intake job would, not in the count
  database: async () => {
    const exchange = await createScratchDatabase(ADMIN_URL, 'gw_bench_exchange');
    process.env.BENCH_EXCHANGE_URL = exchange.url;
    const platform = await platformProcess('database', { url: exchange.url, categories: ['admin_penalty'], pollMs: 1000 });
    const counter = new pg.Pool({ connectionString: exchange.url, max: 1 });
    return {
      delivery: { way: 'database', urlEnv: 'BENCH_EXCHANGE_URL', feedbackPollMs: 200, ...DELIVERY_SETTINGS },
      applied: async () => (await counter.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${tableOf('credit_', 'admin_penalty')}`)).rows[0]!.n,
      stop: async () => {
        await counter.end();
        await platform.stop();
        await exchange.drop();
      },
    };
  },
};

function benchConfig(databaseUrl: string, brokers: string[], destination?: { topic: string; delivery: Record<string, unknown> }): Config {
  return loadConfig({
    env: {},
    overrides: deepMerge({}, {
      server: { host: '127.0.0.1', port: 0 },
      store: { databaseUrl, poolMax: 10 },
      kafka: { brokers, startLocalBroker: false },
      relay: { topicPartitions: PARTITIONS },
      auth: { enabled: false },
      destinations: destination ? [{ name: 'bench', topic: destination.topic, categories: ['*'], regions: [], delivery: destination.delivery }] : [],
      log: { level: 'error' },
      monitoring: { detectorEnabled: false },
      lifecycle: { expiryEnabled: false },
    }),
  });
}

/** One real stored envelope: a record pushed through the API of a gateway without destinations. */
async function realEnvelope(db: ScratchDatabase, brokers: string[]): Promise<Record<string, unknown>> {
  const gw = await startGateway(benchConfig(db.url, brokers));
  try {
    const res = await fetch(`${gw.url}/v1/records`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [sampleRecordInput('admin_penalty', 1)] }),
    });
    if (res.status !== 200) throw new Error(`seed push answered ${res.status}: ${await res.text()}`);
    const { rows } = await gw.ctx.pool.query<{ envelope: Record<string, unknown> }>('SELECT envelope FROM current_records LIMIT 1');
    return rows[0]!.envelope;
  } finally {
    await gw.close();
  }
}

/** EVENTS record.upserted events of distinct records, produced to a new topic of PARTITIONS partitions. */
async function fillTopic(brokers: string[], topic: string, envelope: Record<string, unknown>): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-deliver', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const t0 = Date.now();
  const occurredAt = new Date().toISOString();
  for (let i = 0; i < EVENTS; i += 2000) {
    const messages: Message[] = [];
    for (let j = i; j < Math.min(EVENTS, i + 2000); j++) {
      const recordId = randomUUID();
      const eventId = randomUUID();
      const recordJson = JSON.stringify({ ...envelope, recordId });
      messages.push({
        key: `K${j % 5000}`,
        value: renderRecordEvent({ eventId, type: 'record.upserted', occurredAt, recordJson, maskPersonalIds: false }),
        headers: eventHeaders({ eventId, type: 'record.upserted', recordId, recordVersion: 1 }),
      });
    }
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
  process.stdout.write(`topic ${topic}: ${EVENTS} events produced in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

/**
 * How long to wait before counting again: half the time the rest would take at the rate so far, between
 * 50 ms and 1 s. Counting costs the machine the benchmark measures (the database way counts the exchange
 * table's rows, the file way reads the drop directory), so it is done often only near the end, where the
 * end's time is decided to within 50 ms.
 */
function nextLook(applied: number, elapsedMs: number): number {
  if (applied === 0) return 50;
  const restMs = ((EVENTS - applied) * elapsedMs) / applied;
  return Math.min(1000, Math.max(50, restMs / 2));
}

async function benchWay(way: string, brokers: string[]): Promise<void> {
  const db = await createScratchDatabase(ADMIN_URL, `gw_bench_deliver_${way}`);
  const topic = `bench.${db.name}.records.v1`;
  const platform = await PLATFORMS[way]!();
  let gw: Awaited<ReturnType<typeof startGateway>> | null = null;
  try {
    await fillTopic(brokers, topic, await realEnvelope(db, brokers));
    const peakRss = samplePeakRss();
    let peakMiB = 0;
    const t0 = Date.now();
    let firstAt = 0;
    let firstApplied = 0;
    try {
      gw = await startGateway(benchConfig(db.url, brokers, { topic, delivery: platform.delivery }));
      for (let applied = 0; (applied = await platform.applied()) < EVENTS;) {
        if (Date.now() - t0 > TIMEOUT_MS) throw new Error(`${way}: ${applied} of ${EVENTS} at the platform after ${TIMEOUT_MS / 1000} s`);
        if (!firstAt && applied > 0) [firstAt, firstApplied] = [Date.now(), applied];
        await new Promise((r) => setTimeout(r, nextLook(applied, Date.now() - (firstAt || t0))));
      }
    } finally {
      peakMiB = peakRss.stop();
    }
    const endAt = Date.now();
    const seconds = (endAt - t0) / 1000;
    // the platform has them; the gateway records each package after the platform has it
    const recorded = async () => (await gw!.ctx.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM deliveries WHERE destination = 'bench'`)).rows[0]!.n;
    while ((await recorded()) < EVENTS) {
      if (Date.now() - t0 > TIMEOUT_MS) throw new Error(`${way}: ${await recorded()} of ${EVENTS} states recorded after ${TIMEOUT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const recordedSeconds = (Date.now() - t0) / 1000;
    process.stdout.write(`deliver ${way}: ${EVENTS} events at the platform in ${seconds.toFixed(1)} s (first after ${((firstAt - t0) / 1000).toFixed(1)} s), all states recorded at ${recordedSeconds.toFixed(1)} s\n`);
    process.stdout.write(`deliver ${way}: ${Math.round(EVENTS / seconds)} events/s\n`);
    // the same, counted from the first package at the platform (without the gateway's start and the group's join)
    const after = (endAt - firstAt) / 1000;
    if (firstAt && after > 0) process.stdout.write(`deliver ${way} after the first package: ${Math.round((EVENTS - firstApplied) / after)} events/s\n`);
    process.stdout.write(`peak rss: ${peakMiB} MiB\n`);
  } finally {
    await gw?.close();
    await platform.stop();
    await deleteTopic(brokers, topic, 'bench-deliver');
    await db.drop();
  }
}

async function main(): Promise<void> {
  const brokers = process.env.KAFKA_BROKERS ? process.env.KAFKA_BROKERS.split(',') : (await startLocalBroker()).brokers;
  const ways = (process.env.BENCH_WAYS ?? Object.keys(PLATFORMS).join(',')).split(',').map((w) => w.trim()).filter(Boolean);
  const unknown = ways.filter((w) => !PLATFORMS[w]);
  if (unknown.length) throw new Error(`unknown way(s) ${unknown.join(', ')}; known: ${Object.keys(PLATFORMS).join(', ')}`);
  for (const way of ways) await benchWay(way, brokers);
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`bench-deliver: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
