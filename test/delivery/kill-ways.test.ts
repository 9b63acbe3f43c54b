/**
 * The service and database ways across a SIGKILL: two gateway processes in each destination's
 * consumer group deliver to an HTTP intake and to exchange tables in PostgreSQL; one is killed
 * mid-delivery and the other takes its partitions over. Nothing is missing at either platform and
 * nothing is applied twice: a request the intake took just before the kill comes again with the same
 * event ids (answered from its idempotency store, or absorbed by event id), and rows delivered again
 * change nothing (upsert by record and version). Every event is recorded once, and every state comes
 * back accepted.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { spawnGateway, writeConfigFile, type ChildGateway } from '../../src/dev/child-gateway.js';
import { DatabasePlatform } from '../../src/dev/database-platform.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { createScratchDatabase, type ScratchDatabase } from '../../src/dev/scratch-database.js';
import { ServicePlatform } from '../../src/dev/service-platform.js';
import { listRecordEvents } from '../../src/outbox/outbox.js';
import { createTestDatabase, kafkaBrokers, pgAdminUrl, uniqueName } from '../support/env.js';

const nameOf = (prefix: string) => uniqueName(prefix).replaceAll('_', '-').toLowerCase();
const svc = nameOf('ks');
const dbw = nameOf('kd');
const TOKEN = `tok-${uniqueName('kill')}`;
let db: ScratchDatabase;
let exchange: ScratchDatabase;
let pool: pg.Pool;
const children: ChildGateway[] = [];
let intake: ServicePlatform;
let tables: DatabasePlatform;

beforeAll(async () => {
  db = await createTestDatabase();
  exchange = await createScratchDatabase(pgAdminUrl(), 'gw_xkill');
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  intake = new ServicePlatform({ auth: { type: 'token', token: TOKEN } });
  await intake.start();
  tables = new DatabasePlatform({ url: exchange.url, categories: ['admin_license'], pollMs: 50 });
  await tables.createTables();
  tables.start();
});

afterAll(async () => {
  for (const c of children) c.proc.kill('SIGKILL');
  await intake?.stop();
  await tables?.stop();
  await pool?.end();
  await db?.drop();
  await exchange?.drop();
});

it('SIGKILL of one of two delivering processes: nothing missing at the intake or the exchange tables, nothing applied twice', async () => {
  const small = { maxBytesPerPartition: 4096, maxBackoffMs: 1000 };
  const configFile = writeConfigFile({
    destinations: [
      { name: svc, topic: `test.${svc}.v1`, categories: ['*'], regions: [],
        delivery: { way: 'service', url: intake.url, auth: { type: 'token', tokenEnv: 'KILL_TEST_TOKEN' }, batchSize: 10, timeoutMs: 2000, ...small } },
      { name: dbw, topic: `test.${dbw}.v1`, categories: ['*'], regions: [],
        delivery: { way: 'database', urlEnv: 'KILL_TEST_EXCHANGE_URL', feedbackPollMs: 100, feedbackSettleMs: 200, ...small } },
    ],
    relay: { batchSize: 50, idleIntervalMs: 20 },
    lifecycle: { expiryEnabled: false },
    auth: { enabled: false },
    log: { level: 'warn' },
  });
  const spawn = async () => {
    const child = await spawnGateway({
      databaseUrl: db.url, brokers: kafkaBrokers(), configFile, env: { KILL_TEST_TOKEN: TOKEN, KILL_TEST_EXCHANGE_URL: exchange.url },
    });
    children.push(child);
    return child;
  };
  const [a] = [await spawn(), await spawn()];
  const total = 400;
  for (let b = 0; b < total / 200; b++) {
    const records = Array.from({ length: 200 }, (_, i) => sampleRecordInput('admin_license', 92_000 + b * 200 + i));
    const res = await fetch(`${a!.url}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
    expect(res.status).toBe(200);
  }
  await vi.waitFor(() => {
    if (intake.applied.size < 20 || intake.applied.size >= total) throw new Error(`not mid-delivery: ${intake.applied.size} applied`);
  }, { timeout: 60_000, interval: 5 });
  a!.proc.kill('SIGKILL');
  expect(await a!.exited).toBe('SIGKILL');

  const eventsOf = async (destination: string) =>
    new Set((await listRecordEvents(pool, { destination })).map((e) => e.eventId));
  const svcEvents = await eventsOf(svc);
  const dbEvents = await eventsOf(dbw);
  expect(svcEvents.size).toBe(total);
  expect(dbEvents.size).toBe(total);

  // the intake: every event, each applied once; one that came again came at most once more
  await expect.poll(() => intake.applied.size, { timeout: 120_000, interval: 200, message: 'the other process did not deliver the rest' }).toBe(total);
  expect(new Set(intake.applied.keys())).toEqual(svcEvents);
  expect(new Set(intake.duplicates).size).toBe(intake.duplicates.length);
  expect(intake.malformed).toEqual([]);
  expect(intake.unauthorized).toEqual([]);

  // the exchange tables: a row per record holding its event, none changed after it was written
  await expect.poll(async () => (await tables.rows('admin_license')).length, { timeout: 120_000, interval: 200 }).toBe(total);
  expect(new Set((await tables.rows('admin_license')).map((r) => r.event_id))).toEqual(dbEvents);
  expect(tables.duplicates).toEqual([]);

  // every event recorded once, in one package, and every answer applied
  for (const destination of [svc, dbw]) {
    const { rows: [recorded] } = await pool.query<{ events: number }>('SELECT sum(events)::int AS events FROM delivery_packages WHERE destination = $1', [destination]);
    expect(recorded!.events).toBe(total);
    await expect.poll(async () => (await pool.query(`SELECT 1 FROM deliveries WHERE destination = $1 AND state = 'accepted'`, [destination])).rowCount, { timeout: 60_000 }).toBe(total);
  }
}, 300_000);
