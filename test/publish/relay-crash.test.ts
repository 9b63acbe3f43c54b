/**
 * Nothing lost: the gateway process is SIGKILLed while its relay is publishing; after a restart
 * every stored record's latest version is on Kafka, and any duplicate carries the same event id.
 * Also: SIGTERM shuts down gracefully (exit 0).
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { createTestDatabase, kafkaBrokers, readTopic, testDestinations, uniqueName } from '../support/env.js';
import { spawnGateway, writeConfigFile, type ChildGateway } from '../../src/dev/child-gateway.js';
import pg from 'pg';
import { listRecordEvents } from '../../src/outbox/outbox.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let child: ChildGateway | undefined;
const destinations = testDestinations(uniqueName('crash'));
const topic = destinations[0]!.topic;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
});

afterAll(async () => {
  child?.proc.kill('SIGKILL');
  await pool?.end();
  await db?.drop();
});

async function counts(): Promise<{ sent: number; unsent: number }> {
  const events = await listRecordEvents(pool);
  const sent = events.filter((e) => e.sent).length;
  return { sent, unsent: events.length - sent };
}

it('SIGKILL during publishing loses nothing; duplicates keep their event id', async () => {
  // Small relay rounds make publishing take many broker round-trips, so the kill lands mid-stream.
  const configFile = writeConfigFile({ destinations, relay: { batchSize: 20, idleIntervalMs: 20 }, auth: { enabled: false }, log: { level: 'warn' } });
  child = await spawnGateway({ databaseUrl: db.url, brokers: kafkaBrokers(), configFile });

  const total = 1500;
  for (let b = 0; b < total / 500; b++) {
    const records = Array.from({ length: 500 }, (_, i) => sampleRecordInput('admin_license', 70_000 + b * 500 + i));
    const res = await fetch(`${child.url}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
    expect(res.status).toBe(200);
  }
  // an update too, so some record has two versions in flight
  const changed = sampleRecordInput('admin_license', 70_000, { data: { XK_NR: '变更' } } as never);
  await fetch(`${child.url}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [changed] }) });

  // Kill while the relay is mid-stream: some rows sent, some not. A short interval, so the poll
  // catches that stretch of the stream however quickly the relay gets through it.
  await vi.waitFor(async () => {
    const c = await counts();
    if (!(c.sent > 0 && c.unsent > 0)) throw new Error(`the relay was never caught mid-stream within 60 s (last: ${c.sent} sent, ${c.unsent} unsent)`);
  }, { timeout: 60_000, interval: 5 });
  child.proc.kill('SIGKILL');
  expect(await child.exited).toBe('SIGKILL');

  child = await spawnGateway({ databaseUrl: db.url, brokers: kafkaBrokers(), configFile });
  await expect.poll(async () => (await counts()).unsent, { timeout: 90_000, interval: 200, message: 'the restarted relay did not send the rest of the outbox' }).toBe(0);

  const { rows: latest } = await pool.query<{ record_id: string; version: number }>('SELECT record_id::text, version FROM records');
  expect(latest).toHaveLength(total);
  const outboxRows = await listRecordEvents(pool, { destination: destinations[0]!.name });

  const msgs = await readTopic(topic, {
    until: (m) => new Set(m.map((x) => x.headers['event-id'])).size >= outboxRows.length,
    timeoutMs: 60_000,
    settleMs: 500,
  });
  const byRecordVersion = new Map<string, Set<string>>();
  for (const m of msgs) {
    const k = `${m.headers['record-id']}@${m.headers['record-version']}`;
    const ids = byRecordVersion.get(k) ?? new Set<string>();
    ids.add(m.headers['event-id']!);
    byRecordVersion.set(k, ids);
  }
  for (const r of latest) expect(byRecordVersion.has(`${r.record_id}@${r.version}`), `${r.record_id} v${r.version}`).toBe(true);
  // a duplicate (re-sent after the crash) carries the same event id: one event id per record version
  for (const [k, ids] of byRecordVersion) expect(ids.size, k).toBe(1);
  expect(new Set(msgs.map((m) => m.headers['event-id']))).toEqual(new Set(outboxRows.map((r) => r.eventId)));

  // graceful shutdown
  child.proc.kill('SIGTERM');
  expect(await child.exited).toBe(0);
  child = undefined;
}, 240_000);
