/**
 * Two gateway processes in one delivery consumer group; one is SIGKILLed mid-delivery. The other
 * takes its partitions over: every event reaches the platform and is applied once (packages idempotent by
 * name and hash, a package written before the crash is found again; one the platform took just before
 * the kill, not yet recorded, comes again with the same event ids and is absorbed by event id), and every
 * event is recorded once, in one package — also the events the killed process's relay published twice.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { spawnGateway, writeConfigFile, type ChildGateway } from '../../src/dev/child-gateway.js';
import { FilePlatform } from '../../src/dev/file-platform.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { scratchDir } from '../../src/dev/scratch-dir.js';
import { listRecordEvents } from '../../src/outbox/outbox.js';
import { createTestDatabase, kafkaBrokers, uniqueName } from '../support/env.js';

const root = scratchDir('delivery-kill-');
const dirs = { directory: join(root, 'drop'), feedbackDirectory: join(root, 'feedback'), archiveDirectory: join(root, 'archive') };
const name = uniqueName('fk').replaceAll('_', '-').toLowerCase();
const topic = `test.${name}.v1`;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
const children: ChildGateway[] = [];
let platform: FilePlatform;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  platform = new FilePlatform({ dropDirectory: dirs.directory, feedbackDirectory: dirs.feedbackDirectory, rejectMarker: '拒收', pollMs: 20 });
  platform.start();
});

afterAll(async () => {
  for (const c of children) c.proc.kill('SIGKILL');
  await platform?.stop();
  await pool?.end();
  await db?.drop();
});

it('SIGKILL of one of two delivering processes: nothing missing at the platform, nothing applied twice', async () => {
  // small batches, so delivery takes many packages and the kill lands between them
  const configFile = writeConfigFile({
    destinations: [{ name, topic, categories: ['*'], regions: [], delivery: { way: 'file', ...dirs, feedbackPollMs: 100, maxBytesPerPartition: 4096 } }],
    relay: { batchSize: 50, idleIntervalMs: 20 },
    lifecycle: { expiryEnabled: false },
    auth: { enabled: false },
    log: { level: 'warn' },
  });
  const spawn = async () => {
    const child = await spawnGateway({ databaseUrl: db.url, brokers: kafkaBrokers(), configFile });
    children.push(child);
    return child;
  };
  const [a] = [await spawn(), await spawn()];
  const total = 600;
  for (let b = 0; b < total / 200; b++) {
    const records = Array.from({ length: 200 }, (_, i) => sampleRecordInput('admin_license', 90_000 + b * 200 + i));
    const res = await fetch(`${a!.url}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
    expect(res.status).toBe(200);
  }
  await vi.waitFor(() => {
    if (platform.applied.size < 20 || platform.applied.size >= total) throw new Error(`not mid-delivery: ${platform.applied.size} applied`);
  }, { timeout: 60_000, interval: 5 });
  a!.proc.kill('SIGKILL');
  expect(await a!.exited).toBe('SIGKILL');

  const events = await listRecordEvents(pool, { destination: name });
  expect(events).toHaveLength(total);
  await expect.poll(() => platform.applied.size, { timeout: 120_000, interval: 200, message: 'the other process did not deliver the rest' }).toBe(total);
  expect(new Set(platform.applied.keys())).toEqual(new Set(events.map((e) => e.eventId)));
  // At least once across the kill: a package the platform took in the moment before the killed process
  // recorded it comes again from the other process, with the same event ids, and the platform's
  // dedupe by event id absorbs it (seen in CI: 50 of 600). So: each event comes at most twice, and no
  // more than the one package in flight on each of the topic's 6 partitions (relay batches of 50).
  expect(new Set(platform.duplicates).size).toBe(platform.duplicates.length);
  expect(platform.duplicates.length).toBeLessThanOrEqual(6 * 50);
  expect(platform.invalid).toEqual([]);

  // every event recorded in exactly one package (the partition's hand-over lock: two processes that
  // both hold a batch for a moment do not both record it); every recorded package reached the platform,
  // and the platform took at most one unrecorded package per partition (the one in flight at the kill)
  const { rows: recorded } = await pool.query<{ name: string; events: number }>('SELECT name, events FROM delivery_packages WHERE destination = $1', [name]);
  expect(recorded.reduce((sum, p) => sum + p.events, 0)).toBe(total);
  const taken = new Set(platform.packages);
  expect(recorded.filter((p) => !taken.has(p.name))).toEqual([]);
  expect(taken.size - recorded.length).toBeLessThanOrEqual(6);
  await expect.poll(async () => (await pool.query(`SELECT 1 FROM deliveries WHERE destination = $1 AND state = 'accepted'`, [name])).rowCount, { timeout: 60_000 }).toBe(total);
}, 300_000);
