/**
 * Delivery to platforms, the database way (issue 17), on the real PostgreSQL, MariaDB and broker: one
 * gateway delivers to two platforms' exchange databases — PostgreSQL (the gateway creates the tables)
 * and MariaDB (the platform created them) — each reached through a TCP proxy that can take it away.
 * Rows land once per record in the category's table, newest version kept, a redelivery changing
 * nothing; the platform's verdicts in the feedback table become the delivery states in the API; a
 * retraction is a retract row; the database down for a while — deliveries wait, the backlog shows in
 * /metrics, everything arrives after it returns; a platform that answers late and twice; an operator's
 * re-delivery (same version, a new event id) replaces the row. And a table that is not there
 * (createTables false) stops delivery with an error naming the table.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseWay } from '../../src/delivery/database-way.js';
import { readDeliveryEvent, type DeliveryEvent } from '../../src/delivery/delivery-event.js';
import { PlatformUnavailable, type HandedOver, type RecordHandOver } from '../../src/delivery/way.js';
import { inTransaction } from '../../src/store/db.js';
import { applyFeedback, recordPackage, type FeedbackEntry } from '../../src/store/deliveries-repo.js';
import { listRecordEvents } from '../../src/outbox/outbox.js';
import { DatabasePlatform } from '../../src/dev/database-platform.js';
import { connectSource } from '../../src/dev/exchange-tables.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { createScratchDatabase, type ScratchDatabase } from '../../src/dev/scratch-database.js';
import { TcpProxy } from '../../src/dev/tcp-proxy.js';
import { createTestMariaDb, pgAdminUrl, startTestGateway, uniqueName, type TestGateway } from '../support/env.js';
import { deliveryHelpers } from './delivery-helpers.js';

const MARKER = '拒收';
/** for a way driven here without the batch handler: its hand-overs are not recorded */
const recordNothing: RecordHandOver = async () => {};
type Dialect = 'postgres' | 'mariadb';
/** each platform takes categories of its own (the records of one side's tests do not reach the other): the main one, and one to retract */
const CATEGORIES: Record<Dialect, { main: 'admin_license' | 'admin_penalty'; retract: 'dishonest_debtor' | 'bidding_misconduct' }> = {
  postgres: { main: 'admin_license', retract: 'dishonest_debtor' },
  mariadb: { main: 'admin_penalty', retract: 'bidding_misconduct' },
};

interface Side {
  name: string;
  topic: string;
  urlEnv: string;
  db: ScratchDatabase;
  proxy: TcpProxy;
  platform: DatabasePlatform;
  categories: string[];
}

const sides = {} as Record<Dialect, Side>;
let gw: TestGateway;
const h = deliveryHelpers(() => gw);

beforeAll(async () => {
  const dbs: Record<Dialect, ScratchDatabase> = {
    postgres: await createScratchDatabase(pgAdminUrl(), 'gw_xpg'),
    mariadb: await createTestMariaDb(),
  };
  for (const dialect of ['postgres', 'mariadb'] as const) {
    const db = dbs[dialect];
    const u = new URL(db.url);
    const proxy = new TcpProxy({ host: u.hostname, port: Number(u.port || (dialect === 'postgres' ? 5432 : 3306)) });
    await proxy.start();
    const name = uniqueName(dialect === 'postgres' ? 'dp' : 'dm').replaceAll('_', '-').toLowerCase();
    const urlEnv = `DELIVERY_TEST_DB_${dialect.toUpperCase()}_${process.pid}`;
    process.env[urlEnv] = proxy.via(db.url);
    const categories = Object.values(CATEGORIES[dialect]);
    const platform = new DatabasePlatform({ url: db.url, categories, rejectMarker: MARKER, answerTwice: true, pollMs: 50 });
    sides[dialect] = { name, topic: `test.${name}.v1`, urlEnv, db, proxy, platform, categories };
  }
  // MariaDB's platform made its tables itself; at PostgreSQL the gateway creates them
  await sides.mariadb.platform.createTables();
  const delivery = (s: Side, createTables: boolean) => ({
    way: 'database', urlEnv: s.urlEnv, createTables, feedbackPollMs: 100, feedbackSettleMs: 200, maxBackoffMs: 1000, connectTimeoutMs: 1000,
  });
  gw = await startTestGateway({
    lifecycle: { expiryEnabled: false },
    destinations: [
      { name: sides.postgres.name, topic: sides.postgres.topic, categories: sides.postgres.categories, regions: [], delivery: delivery(sides.postgres, true) },
      { name: sides.mariadb.name, topic: sides.mariadb.topic, categories: sides.mariadb.categories, regions: [], delivery: delivery(sides.mariadb, false) },
    ],
  });
  for (const s of Object.values(sides)) s.platform.start();
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  for (const s of Object.values(sides)) {
    await s.platform?.stop();
    await s.proxy?.stop();
    await s.db?.drop();
    delete process.env[s.urlEnv];
  }
});

/**
 * A database way of its own on the platform's database `db`, outside the gateway's delivery (no
 * consumer): its tables are `<prefix><category>`, its feedback table `<prefix>feedback`.
 */
function wayOn(db: ScratchDatabase, name: string, prefix: string, opts: { createTables: boolean; partitionsConcurrently: number }): DatabaseWay {
  const urlEnv = `DELIVERY_TEST_${prefix.toUpperCase()}${process.pid}`;
  return new DatabaseWay(
    { way: 'database', urlEnv, tablePrefix: prefix, feedbackTable: `${prefix}feedback`, createTables: opts.createTables, feedbackPollMs: 100, feedbackSettleMs: 0,
      statementTimeoutMs: 5000, connectTimeoutMs: 1000, maxBackoffMs: 1000, maxBytesPerPartition: 1048576, partitionsConcurrently: opts.partitionsConcurrently },
    { name, categories: ['admin_license'] },
    { pool: gw.ctx.pool, log: pino({ level: 'silent' }) },
    { [urlEnv]: db.url },
  );
}

/** An admin_license upsert as delivery reads it from the topic. */
function licenseEvent(eventId: string = randomUUID(), recordId: string = randomUUID()): DeliveryEvent {
  return readDeliveryEvent({
    offset: '0',
    value: Buffer.from(JSON.stringify({
      eventId, type: 'record.upserted', occurredAt: '2026-01-01T00:00:00Z',
      record: { recordId, version: 1, category: 'admin_license', subject: { name: '样例企业' }, data: {} },
    })),
  }) as DeliveryEvent;
}

/** One statement on the platform's database, straight (not through the proxy); its rows. */
async function onPlatform(dialect: Dialect, url: string, sql: string, params: unknown[] = []): Promise<unknown[]> {
  const db = await connectSource(dialect, url);
  try {
    return await db.rows(sql, params);
  } finally {
    await db.close();
  }
}

/** The platform's verdict on one event, written straight into its feedback table (a second ago). */
async function answerAccepted(dialect: Dialect, url: string, table: string, eventId: string): Promise<void> {
  const aSecondAgo = dialect === 'postgres' ? `now() - interval '1 second'` : 'NOW(6) - INTERVAL 1 SECOND';
  await onPlatform(dialect, url, `INSERT INTO ${table} (event_id, outcome, answered_at) VALUES (?, 'accepted', ${aSecondAgo})`, [eventId]);
}

describe.each(['postgres', 'mariadb'] as const)('%s', (dialect) => {
  const side = () => sides[dialect];
  const { main, retract } = CATEGORIES[dialect];

  it('upserts a row per record once, and the platform\'s verdicts in the feedback table come back as delivery states', async () => {
    const { name, platform } = side();
    const items = Array.from({ length: 15 }, (_, i) => sampleRecordInput(main, 71_000 + i, i < 2 ? { subject: { name: `${MARKER}样例企业${i}` } } : undefined));
    const ids = await h.ingest(items);
    for (const id of ids.slice(2)) await expect.poll(async () => (await h.stateOf(id, name))?.state, { timeout: 60_000 }).toBe('accepted');
    for (const id of ids.slice(0, 2)) await expect.poll(async () => (await h.stateOf(id, name))?.state, { timeout: 60_000 }).toBe('rejected');
    expect(await h.stateOf(ids[0]!, name)).toMatchObject({ recordVersion: 1, eventType: 'record.upserted', reason: `subject name contains "${MARKER}"`, field: '/subject/name' });
    // one row per record (the other dialect's records are in this table too: both destinations take every record)
    const rows = (await platform.rows(main)).filter((r) => ids.includes(r.record_id));
    expect(rows.map((r) => r.record_id).sort()).toEqual([...ids].sort());
    expect(rows.every((r) => r.op === 'upsert' && r.version === 1)).toBe(true);
    expect(rows.find((r) => r.record_id === ids[0])?.subject_name).toBe(`${MARKER}样例企业0`);
    expect(platform.duplicates).toEqual([]);
    // the platform answered each event twice: the states did not change
    await expect.poll(() => platform.answers, { timeout: 30_000 }).toBeGreaterThanOrEqual(30);
    expect((await h.stateOf(ids[0]!, name)).state).toBe('rejected');
    expect(await h.metric('gateway_deliveries_total', `destination="${name}",state="rejected"`)).toBe(2);
    expect(await h.metric('gateway_deliveries_total', `destination="${name}",state="accepted"`)).toBe(13);

    // a rejected record whose content changes replaces its row and is accepted
    await h.ingest([sampleRecordInput(main, 71_000, { subject: { name: '样例企业（更正）' } })]);
    await expect.poll(async () => {
      const s = await h.stateOf(ids[0]!, name);
      return [s.recordVersion, s.state];
    }, { timeout: 60_000 }).toEqual([2, 'accepted']);
    const row = (await platform.rows(main)).find((r) => r.record_id === ids[0]);
    expect(row).toMatchObject({ version: 2, subject_name: '样例企业（更正）' });
  }, 180_000);

  it('a retraction reaches the platform as a retract row, and the feedback confirms it', async () => {
    const { name, platform } = side();
    const [recordId] = await h.ingest([sampleRecordInput(retract, 72_001)]);
    await expect.poll(async () => (await h.stateOf(recordId!, name))?.state, { timeout: 60_000 }).toBe('accepted');
    await h.revoke(recordId!);
    await expect.poll(async () => {
      const s = await h.stateOf(recordId!, name);
      return [s.eventType, s.state];
    }, { timeout: 60_000 }).toEqual(['record.retracted', 'accepted']);
    const { recordVersion } = await h.stateOf(recordId!, name);
    const row = (await platform.rows(retract)).find((r) => r.record_id === recordId);
    expect(row).toMatchObject({ op: 'retract', version: recordVersion, status: 'revoked' });
  }, 120_000);

  it('the database down for a while: deliveries wait, the backlog shows in /metrics, everything arrives after it returns', async () => {
    const { name, proxy, platform } = side();
    await proxy.goDown();
    const ids = await h.ingest(Array.from({ length: 10 }, (_, i) => sampleRecordInput(main, 73_000 + i)));
    await expect.poll(() => h.metric('gateway_delivery_consumer_lag', `destination="${name}"`), { timeout: 30_000 }).toBeGreaterThanOrEqual(10);
    for (const id of ids) expect(await h.stateOf(id, name)).toBeUndefined();
    await proxy.comeBack();
    for (const id of ids) await expect.poll(async () => (await h.stateOf(id, name))?.state, { timeout: 60_000 }).toBe('accepted');
    await expect.poll(() => h.metric('gateway_delivery_consumer_lag', `destination="${name}"`), { timeout: 30_000 }).toBe(0);
    expect(platform.duplicates).toEqual([]);
  }, 180_000);

  it('a platform that answers late: the state is delivered first, then its verdict', async () => {
    const { name, platform } = side();
    platform.delayMs = 2_000;
    const [recordId] = await h.ingest([sampleRecordInput(main, 74_001)]);
    await expect.poll(async () => (await h.stateOf(recordId!, name))?.state, { timeout: 60_000 }).toBe('delivered');
    const delivered = Date.now();
    await expect.poll(async () => (await h.stateOf(recordId!, name))?.state, { timeout: 60_000 }).toBe('accepted');
    platform.delayMs = 0;
    // the verdict came after the platform's delay, and only then did the state move
    expect(Date.now() - delivered).toBeGreaterThanOrEqual(1_500);
    expect(platform.duplicates).toEqual([]);
  }, 120_000);

  it('an event the relay published twice changes nothing at the platform', async () => {
    const { name, topic, platform } = side();
    const [recordId] = await h.ingest([sampleRecordInput(main, 75_001)]);
    await expect.poll(async () => (await h.stateOf(recordId!, name))?.state, { timeout: 60_000 }).toBe('accepted');
    const before = (await platform.rows(main)).find((r) => r.record_id === recordId);
    await h.publishAgain(topic, recordId!);
    const [after] = await h.ingest([sampleRecordInput(main, 75_002)]);
    await expect.poll(async () => (await h.stateOf(after!, name))?.state, { timeout: 60_000 }).toBe('accepted');
    expect((await platform.rows(main)).find((r) => r.record_id === recordId)).toEqual(before);
    expect(platform.duplicates).toEqual([]);
    // every event recorded once, in one package
    const { rows: [recorded] } = await gw.ctx.pool.query<{ events: number }>('SELECT sum(events)::int AS events FROM delivery_packages WHERE destination = $1', [name]);
    expect(recorded!.events).toBe((await listRecordEvents(gw.ctx.pool, { destination: name })).length);
  }, 120_000);

  it('a record an operator delivers again reaches the platform again, under its new event id', async () => {
    const { name, platform } = side();
    const [recordId] = await h.ingest([sampleRecordInput(main, 76_001, { subject: { name: `${MARKER}样例企业76001` } })]);
    await expect.poll(async () => (await h.stateOf(recordId!, name))?.state, { timeout: 60_000 }).toBe('rejected');
    const first = await h.stateOf(recordId!, name);
    const again = await h.post(`/v1/records/${recordId}/deliveries/${name}/redelivery`, {});
    expect(again.status).toBe(202);
    await expect.poll(async () => {
      const s = await h.stateOf(recordId!, name);
      return s.eventId !== first.eventId && s.state === 'rejected';
    }, { timeout: 60_000 }).toBe(true);
    const { eventId } = await h.stateOf(recordId!, name);
    const row = (await platform.rows(main)).find((r) => r.record_id === recordId);
    expect(row).toMatchObject({ event_id: eventId, version: 1 });
    expect(platform.applied.has(eventId)).toBe(true);
    expect(platform.duplicates).toEqual([]);
  }, 120_000);

  it('without createTables, a table that is not there stops delivery with an error naming it', async () => {
    const way = wayOn(side().db, 'absent', 'absent_', { createTables: false, partitionsConcurrently: 1 });
    const event = licenseEvent('6d1c7a52-8a0e-4d57-9d0b-6a3f1d0c2b11', '0b8e2f7e-3d8c-4f0e-9a43-2a1f5c7d9e10');
    const failure = await way.deliver({ destination: 'absent', topic: 't', partition: 0 }, [event], recordNothing).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PlatformUnavailable);
    expect((failure as Error).message).toMatch(/table absent_admin_license does not exist.*createTables is false/);
    await way.close();
  });

  it('batches of two partitions delivered at once commit or fail each on its own: one that fails takes nothing of the other with it', async () => {
    // The platform refuses one batch (a constraint of its own); the other batch, handed over at the same
    // moment, must be in its table when its delivery says so — whichever of the two reaches the database first.
    const { db } = side();
    const prefix = `lanes_${dialect}_`;
    const way = wayOn(db, `lanes-${dialect}`, prefix, { createTables: true, partitionsConcurrently: 2 });
    const refused = () => `ffffffff-${randomUUID().slice(9)}`;
    const table = `${prefix}admin_license`;
    const platformRows = async (eventId: string) => (await onPlatform(dialect, db.url, `SELECT 1 FROM ${table} WHERE event_id = ?`, [eventId])).length;
    try {
      await way.deliver({ destination: `lanes-${dialect}`, topic: 't', partition: 0 }, [licenseEvent()], recordNothing); // creates the table
      // the platform's own rule: event ids starting ffffffff are refused
      const eventIdText = dialect === 'postgres' ? 'event_id::text' : 'event_id';
      await onPlatform(dialect, db.url, `ALTER TABLE ${table} ADD CONSTRAINT ${prefix}refuses CHECK (${eventIdText} NOT LIKE 'ffffffff%')`);
      for (const refusedFirst of [true, false, true, false]) {
        const good = licenseEvent();
        const bad = licenseEvent(refused());
        const deliverGood = () => way.deliver({ destination: `lanes-${dialect}`, topic: 't', partition: 1 }, [good], recordNothing);
        const deliverBad = () => way.deliver({ destination: `lanes-${dialect}`, topic: 't', partition: 2 }, [bad], recordNothing);
        const [first, second] = refusedFirst ? [deliverBad(), deliverGood()] : [deliverGood(), deliverBad()];
        const [goodOutcome, badOutcome] = refusedFirst ? await Promise.allSettled([second, first]) : await Promise.allSettled([first, second]);
        expect(badOutcome.status).toBe('rejected');
        expect((badOutcome as PromiseRejectedResult).reason).toBeInstanceOf(PlatformUnavailable);
        expect(goodOutcome.status, `refused batch first: ${refusedFirst}`).toBe('fulfilled');
        expect(await platformRows(good.eventId), `refused batch first: ${refusedFirst}`).toBe(1);
        expect(await platformRows(bad.eventId)).toBe(0);
      }
    } finally {
      await way.close();
    }
  });

  it('an answer whose state is recorded while the feedback pass decides what to wait for is applied, not passed by', async () => {
    // A process hands an event over and records its state a moment later; the platform answers in between.
    // The pass reads the recorded states, then looks for answered events not recorded yet: the state is
    // recorded between those two reads here, every time.
    const { db } = side();
    const destination = `race-${dialect}`;
    const way = wayOn(db, destination, `race_${dialect}_`, { createTables: true, partitionsConcurrently: 1 });
    const event = licenseEvent();
    const where = { destination, topic: 't', partition: 0 };
    try {
      const recorded: HandedOver[] = [];
      const handed = await way.deliver(where, [event], async (h) => void recorded.push(h));
      expect(recorded).toEqual([handed]);
      const warnings: string[] = [];
      const sink = {
        destination,
        packageRecorded: async () => true,
        apply: async (entries: FeedbackEntry[]) => void (await inTransaction(gw.ctx.pool, (client) => applyFeedback(client, destination, entries))),
        warn: (_details: Record<string, unknown>, message: string) => void warnings.push(message),
      };
      await way.poll(sink); // creates the feedback table; nothing answered yet
      await answerAccepted(dialect, db.url, `race_${dialect}_feedback`, event.eventId);
      const racy = way as unknown as { notRecordedYet: (...args: unknown[]) => Promise<Set<string>> };
      const notRecordedYet = racy.notRecordedYet.bind(way);
      racy.notRecordedYet = async (...args: unknown[]) => {
        await recordPackage(gw.ctx.pool, { destination, partition: 0, firstOffset: handed.firstOffset, lastOffset: handed.lastOffset, name: handed.name, sha256: handed.sha256, events: 1 }, handed.events);
        return notRecordedYet(...args);
      };
      await way.poll(sink);
      const { rows } = await gw.ctx.pool.query<{ state: string }>('SELECT state FROM deliveries WHERE destination = $1 AND event_id = $2', [destination, event.eventId]);
      expect(rows.map((r) => r.state)).toEqual(['accepted']);
      expect(warnings).toEqual([]);
    } finally {
      await way.close();
    }
  });
});
