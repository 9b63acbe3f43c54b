/**
 * Per-test-file environment on the real services: a fresh database, uniquely named Kafka topics,
 * a config that points at both, an in-process gateway, and a Kafka reader for assertions.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import type pg from 'pg';
import { inject, vi } from 'vitest';
import { deepMerge, loadConfig, type Config } from '../../src/config/load.js';
import { waitForOutboxDrained as waitUntilDrained } from '../../src/outbox/outbox.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { createScratchDatabase, type ScratchDatabase } from '../../src/dev/scratch-database.js';
import { createScratchMariaDb } from '../../src/dev/scratch-mariadb.js';
import { observeFor } from './wait.js';

export const pgAdminUrl = () => inject('pgAdminUrl');
export const kafkaBrokers = () => inject('kafkaBrokers');

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** Creates an empty database on the test server; returns its URL and a drop function. */
export function createTestDatabase(): Promise<ScratchDatabase> {
  return createScratchDatabase(pgAdminUrl(), 'gw_test');
}

/** Creates an empty database on the test MariaDB server (exchange-database sources); returns its URL and a drop function. */
export function createTestMariaDb(): Promise<ScratchDatabase> {
  const url = inject('mariadbAdminUrl');
  if (!url) throw new Error(`no MariaDB server for this test: ${inject('mariadbError')}`);
  return createScratchMariaDb(url, 'gw_xdb');
}

/** Two destinations with topics unique to this test: "prov" takes everything, "nat" only dishonest_debtor and admin_penalty. */
export function testDestinations(tag = uniqueName('t')) {
  return [
    { name: 'prov', topic: `test.${tag}.prov.v1`, categories: ['*'], regions: [], maskPersonalIds: true },
    { name: 'nat', topic: `test.${tag}.nat.v1`, categories: ['dishonest_debtor', 'admin_penalty'], regions: [], maskPersonalIds: true, requireUscc: true },
  ];
}

export function testConfig(databaseUrl: string, overrides: Record<string, unknown> = {}): Config {
  const base = {
    server: { host: '127.0.0.1', port: 0 },
    store: { databaseUrl, poolMax: 5 },
    kafka: { brokers: kafkaBrokers(), startLocalBroker: false },
    relay: { idleIntervalMs: 50, maxBackoffMs: 2000, topicPartitions: 3 },
    destinations: testDestinations(),
    // alerts of this test's gateway go to a topic of its own, not the shared default
    monitoring: { alertsTopic: `test.${uniqueName('alerts')}.v1` },
    log: { level: 'silent' },
    auth: { enabled: false },
  };
  return loadConfig({ env: {}, overrides: deepMerge(base, overrides) });
}

export interface TestGateway extends RunningGateway {
  config: Config;
  db: { url: string; drop(): Promise<void> };
  stop(): Promise<void>;
}

export async function startTestGateway(overrides: Record<string, unknown> = {}, existingDb?: { url: string; drop(): Promise<void> }): Promise<TestGateway> {
  const db = existingDb ?? (await createTestDatabase());
  const config = testConfig(db.url, overrides);
  const gw = await startGateway(config);
  return {
    ...gw,
    config,
    db,
    stop: async () => {
      await gw.close();
    },
  };
}

export interface ReadMessage {
  key: string;
  value: any;
  headers: Record<string, string>;
  partition: number;
  offset: string;
}

function decodeHeaders(m: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) out[k] = Array.isArray(v) ? String(v[0]) : String(v);
  return out;
}

/**
 * Reads a topic from the beginning until `until(messages)` holds, and fails the test if it does not
 * within `timeoutMs`; then, with `settleMs`, keeps reading for that long to catch any unexpected extra
 * messages. That window is an observation window: no signal says "nothing more will be published", so
 * only a bounded time of watching shows it. `whileSettling(messages)` runs throughout the window and
 * fails the test as soon as it throws (e.g. an expect on the message count); without it, the caller
 * asserts on the returned messages.
 */
export async function readTopic(
  topic: string,
  opts: { until: (msgs: ReadMessage[]) => boolean; timeoutMs?: number; settleMs?: number; whileSettling?: (msgs: ReadMessage[]) => void; brokers?: string[] },
): Promise<ReadMessage[]> {
  const kafka = new Kafka({ clientId: 'test-reader', brokers: opts.brokers ?? kafkaBrokers(), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), retry: { retries: 10 } });
  const messages: ReadMessage[] = [];
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(0, deadline - Date.now());
  // The relay creates topics on its first round; wait for the topic rather than race it.
  const admin = kafka.admin();
  await admin.connect();
  try {
    await vi.waitFor(async () => {
      if (!(await admin.listTopics()).includes(topic)) throw new Error('not listed yet');
    }, { timeout: left(), interval: 100 }).catch((err: unknown) => {
      // also when the broker did not answer at all (then waitFor has no error of the callback to report)
      throw new Error(`topic ${topic} was not created within ${timeoutMs} ms`, { cause: err });
    });
  } finally {
    await admin.disconnect();
  }
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        messages.push({
          key: message.key?.toString() ?? '',
          value: JSON.parse(message.value!.toString()),
          headers: decodeHeaders(message),
          partition,
          offset: message.offset,
        });
      },
    });
    await vi.waitFor(() => {
      if (!opts.until(messages)) throw new Error(`topic ${topic}: the expected messages did not arrive within ${timeoutMs} ms (${messages.length} read)`);
    }, { timeout: left(), interval: 100 });
    if (opts.settleMs) await observeFor(opts.settleMs, () => opts.whileSettling?.(messages));
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** Waits until the outbox has no unsent rows (or the time runs out); returns the backlog left. */
export function waitForOutboxDrained(pool: pg.Pool, timeoutMs = 30_000): Promise<number> {
  return waitUntilDrained(pool, timeoutMs);
}
