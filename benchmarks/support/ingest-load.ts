/**
 * The ingest load of bench:ingest and bench:scale: records pushed in batches of 500 over loopback,
 * 4 requests in flight, timed from the first request until the outbox is empty (every event acked by
 * the broker, acks=-1).
 */
import type pg from 'pg';
import { Pool } from 'undici';
import { writeConfigFile } from '../../src/dev/child-gateway.js';
import { waitForOutboxDrained } from '../../src/outbox/outbox.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';

export const BATCH = 500;
export const IN_FLIGHT = 4;

/**
 * The config file of a gateway under ingest load: one destination (`topic`) taking every record, large
 * relay rounds, room for a batch of 500 in a body, auth off; `extra` adds sections.
 */
export function ingestGatewayConfigFile(topic: string, extra: Record<string, unknown> = {}): string {
  return writeConfigFile({
    destinations: [{ name: 'bench', topic, categories: ['*'], regions: [], maskPersonalIds: true }],
    relay: { batchSize: 2000, idleIntervalMs: 20 },
    store: { poolMax: 12 },
    server: { bodyLimitBytes: 33554432 },
    auth: { enabled: false },
    log: { level: 'warn' },
    ...extra,
  });
}

/** Request bodies of `total` sample records numbered from `first` (licences and dishonest debtors in turn). */
export function ingestBodies(total: number, first = 0): string[] {
  const bodies: string[] = [];
  for (let b = 0; b < total / BATCH; b++) {
    const records = Array.from({ length: BATCH }, (_, i) => sampleRecordInput(b % 2 ? 'admin_license' : 'dishonest_debtor', first + b * BATCH + i));
    bodies.push(JSON.stringify({ records }));
  }
  return bodies;
}

/** One record pushed and published outside the measurement (JIT, connections, topic creation). */
export async function warmUp(gatewayUrl: string, pool: pg.Pool, n: number): Promise<void> {
  const warm = JSON.stringify({ records: [sampleRecordInput('admin_license', n)] });
  await fetch(`${gatewayUrl}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: warm });
  await drained(pool, Date.now() + 60_000);
}

/** Pushes every body (each must create all its records) and waits until the outbox is empty; times in ms from the start. */
export async function pushAndDrain(gatewayUrl: string, pool: pg.Pool, bodies: string[], deadline: number): Promise<{ acceptedMs: number; ackedMs: number }> {
  const client = new Pool(gatewayUrl, { connections: IN_FLIGHT });
  const started = Date.now();
  let next = 0;
  async function worker(): Promise<void> {
    while (next < bodies.length && Date.now() < deadline) {
      const body = bodies[next++]!;
      const res = await client.request({ method: 'POST', path: '/v1/records', headers: { 'content-type': 'application/json' }, body });
      const answer = (await res.body.json()) as { summary?: { created: number } };
      if (res.statusCode !== 200 || answer.summary?.created !== BATCH) throw new Error(`batch refused: ${res.statusCode} ${JSON.stringify(answer).slice(0, 300)}`);
    }
  }
  try {
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  } finally {
    await client.close();
  }
  if (next < bodies.length) throw new Error(`time limit reached after ${next} of ${bodies.length} batches`);
  const acceptedMs = Date.now() - started;
  await drained(pool, deadline);
  return { acceptedMs, ackedMs: Date.now() - started };
}

export async function drained(pool: pg.Pool, deadline: number): Promise<void> {
  const left = await waitForOutboxDrained(pool, deadline - Date.now(), 20);
  if (left > 0) throw new Error(`outbox not drained in time (${left} left)`);
}
