/**
 * The relay's feed (docs/architecture.md §2.5), tested from its contract on the real PostgreSQL and
 * broker, by what reaches the topics and what the store says:
 *   - a hole stays a hole until it is filled: a transaction that took feed positions and is still open
 *     holds back the later positions (committed by others) without blocking their writers; once it
 *     commits, its events and the later ones all go out, each event id once;
 *   - a rolled-back transaction's positions (a gap that never fills) do not stall the relay, and
 *     nothing it wrote is published — also not a version number a later commit reuses;
 *   - a destination removed from the configuration while versions for it wait is skipped (one warning
 *     in the log), the other destinations get all their events and the backlog drains to 0;
 *   - a status move goes only to the destinations that had the record: not to those whose rules do not
 *     take it, nor to one added later whose rules would.
 * Expected event ids are computed here (UUID v5 of destination, record, version, type), not read back
 * from the store.
 */
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnGateway, writeConfigFile, type ChildGateway } from '../../src/dev/child-gateway.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import type { CategoryId } from '../../src/domain/catalogue.js';
import type { RecordInput } from '../../src/domain/record.js';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { recordEventId, type RecordEventType } from '../../src/outbox/events.js';
import { listRecordEvents } from '../../src/outbox/outbox.js';
import { writeRecords, writeStatusChange, type PreparedRecord, type WriteOutcome } from '../../src/store/records-repo.js';
import { createTestDatabase, kafkaBrokers, readTopic, startTestGateway, uniqueName, waitForOutboxDrained, type ReadMessage, type TestGateway } from '../support/env.js';
import { observeFor } from '../support/wait.js';

// ---------------------------------------------------------------------------------------------------
// helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fails with `what` when `p` has not settled within `ms` (the promise itself is left to settle later). */
async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function prepare(gw: TestGateway, inputs: RecordInput[]): PreparedRecord[] {
  return inputs.map((input) => {
    const p = gw.ctx.preparer.prepare(input);
    if (!p.ok) throw new Error(JSON.stringify(p.errors));
    return p.record;
  });
}

/** Writes and commits in one transaction of the gateway's pool, waking the relay after the commit. */
function commitRecords(gw: TestGateway, records: PreparedRecord[]): Promise<WriteOutcome[]> {
  return gw.ctx.outbox.transaction(gw.ctx.pool, (c) => writeRecords(c, records, { actor: 'test', outbox: gw.ctx.outbox }));
}

/** Writers a failed test left open: rolled back before the gateway stops (else its pool never ends). */
const openWriters = new Set<{ rollback(): Promise<void> }>();
async function rollBackLeftovers(): Promise<void> {
  for (const w of openWriters) await w.rollback().catch(() => undefined);
  openWriters.clear();
}

/** An open transaction that has written `records` (and so holds their feed positions) until told to end. */
async function openWriter(gw: TestGateway, records: PreparedRecord[]) {
  const client = await gw.ctx.pool.connect();
  let ended = false;
  const end = async (how: 'COMMIT' | 'ROLLBACK') => {
    if (ended) return;
    ended = true;
    try {
      await client.query(how);
      if (how === 'COMMIT') gw.ctx.outbox.committed();
    } finally {
      client.release();
    }
  };
  try {
    await client.query('BEGIN');
    const outcomes = await writeRecords(client, records, { actor: 'test', outbox: gw.ctx.outbox });
    const positions = await feedPositions(client, outcomes);
    const writer = { client, outcomes, positions, commit: () => end('COMMIT'), rollback: () => end('ROLLBACK') };
    openWriters.add(writer);
    return writer;
  } catch (err) {
    await end('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The feed positions of these versions, as the given connection sees them. */
async function feedPositions(db: pg.ClientBase | pg.Pool, versions: Array<{ recordId: string; version: number }>): Promise<number[]> {
  const { rows } = await db.query<{ feed_seq: string }>(
    `SELECT v.feed_seq FROM record_versions v JOIN unnest($1::uuid[], $2::int[]) AS w(record_id, version) USING (record_id, version)
      WHERE v.feed_seq IS NOT NULL ORDER BY v.feed_seq`,
    [versions.map((x) => x.recordId), versions.map((x) => x.version)]);
  return rows.map((r) => Number(r.feed_seq));
}

type Ev = { recordId: string; version: number; type?: RecordEventType };
const idsFor = (destinations: string[], events: Ev[]): string[] =>
  destinations.flatMap((d) => events.map((e) => recordEventId(d, e.recordId, e.version, e.type ?? 'record.upserted')));
const upserts = (outcomes: WriteOutcome[]): Ev[] => outcomes.map((o) => ({ recordId: o.recordId, version: o.version }));

function decodeHeaders(m: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) out[k] = Array.isArray(v) ? String(v[0]) : String(v);
  return out;
}

const kafka = () => new Kafka({ clientId: 'relay-feed-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });

/** Messages stored in a topic (high minus low watermark over its partitions); null when the topic does not exist. */
async function storedMessages(topic: string): Promise<number | null> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return null;
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + (Number(p.high) - Number(p.low)), 0);
  } finally {
    await admin.disconnect();
  }
}

interface Seen extends ReadMessage { topic: string; at: number }

/** A consumer of `topics` from their beginning that keeps what it reads (and when) until stopped. */
async function startCollector(topics: string[]): Promise<{ seen: Seen[]; stop(): Promise<void> }> {
  const k = kafka();
  const admin = k.admin();
  await admin.connect();
  try {
    await vi.waitFor(async () => {
      const listed = await admin.listTopics();
      const missing = topics.filter((t) => !listed.includes(t));
      if (missing.length) throw new Error(`topics not created yet: ${missing.join(', ')}`);
    }, { timeout: 30_000, interval: 100 });
  } finally {
    await admin.disconnect();
  }
  const consumer = k.consumer({ groupId: uniqueName('relay-feed'), retry: { retries: 10 } });
  const seen: Seen[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      seen.push({ topic, partition, offset: message.offset, key: message.key?.toString() ?? '', value: JSON.parse(message.value!.toString()), headers: decodeHeaders(message), at: Date.now() });
    },
  });
  return { seen, stop: () => consumer.disconnect() };
}

const eventIdsOf = (msgs: ReadMessage[]) => msgs.map((m) => m.headers['event-id']!);
const hasAll = (msgs: ReadMessage[], ids: string[]) => {
  const have = new Set(eventIdsOf(msgs));
  return ids.every((id) => have.has(id));
};
/** Each id in `ids` exactly once among `msgs` (a missing id or a second copy shows in the diff). */
function expectEachOnce(msgs: ReadMessage[], ids: string[], what: string) {
  const wanted = new Set(ids);
  const got = eventIdsOf(msgs).filter((id) => wanted.has(id)).sort();
  expect(got, what).toEqual([...ids].sort());
}

/** Whether a relay connection's latest statement looks at the change feed's writers (its horizon read waiting for them). */
async function relayWaitsForWriters(gw: TestGateway): Promise<boolean> {
  const { rows } = await gw.ctx.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'credit-gateway-relay' AND query LIKE '%FROM pg_locks%'`);
  return rows[0]!.n > 0;
}

// ---------------------------------------------------------------------------------------------------
// 1 and 2: open and rolled-back writers beside the relay, in one gateway

describe('open and rolled-back writers beside the relay', () => {
  let gw: TestGateway;
  let collector: Awaited<ReturnType<typeof startCollector>> | undefined;
  const tag = uniqueName('feed');
  // "prov" takes everything, "nat" admin_penalty: the records below go to both
  const destinations = [
    { name: 'prov', topic: `test.${tag}.prov.v1`, categories: ['*'], regions: [], maskPersonalIds: true },
    { name: 'nat', topic: `test.${tag}.nat.v1`, categories: ['admin_penalty'], regions: [], maskPersonalIds: true, requireUscc: true },
  ];
  const topics = destinations.map((d) => d.topic);
  const both = destinations.map((d) => d.name);
  const penalties = (from: number, count: number) => prepare(gw, Array.from({ length: count }, (_, i) => sampleRecordInput('admin_penalty', from + i)));
  const changed = (n: number, text: string) => prepare(gw, [sampleRecordInput('admin_penalty', n, { data: { CF_NR: text } })])[0]!;
  const seenIds = () => new Set(eventIdsOf(collector!.seen));
  const seenRecordIds = () => new Set(collector!.seen.map((m) => m.headers['record-id']!));

  beforeAll(async () => {
    gw = await startTestGateway({ destinations, lifecycle: { expiryEnabled: false }, relay: { idleIntervalMs: 50 } });
    // warm-up: the relay has created both topics and published, and the collector reads them
    const warm = await commitRecords(gw, penalties(90_000, 1));
    collector = await startCollector(topics);
    const ids = idsFor(both, upserts(warm));
    await vi.waitFor(() => {
      if (!ids.every((id) => seenIds().has(id))) throw new Error('the warm-up events were not read');
    }, { timeout: 30_000, interval: 100 });
  }, 120_000);

  afterAll(async () => {
    await rollBackLeftovers();
    await collector?.stop();
    await gw?.stop();
    await gw?.db.drop();
  });

  it('a hole stays a hole until it is filled: later commits wait behind an open writer, then all of it goes out once', async () => {
    // a record published before, changed by the open writer (its version 2 is in the hole)
    const [before] = await commitRecords(gw, penalties(91_000, 1));
    const beforeIds = idsFor(both, [{ recordId: before!.recordId, version: 1 }]);
    await vi.waitFor(() => {
      if (!beforeIds.every((id) => seenIds().has(id))) throw new Error('the first version was not published');
    }, { timeout: 30_000, interval: 100 });

    const aRecords = [changed(91_000, '罚款人民币6万元（更正前的开放事务）。'), ...penalties(91_100, 4)];
    const a = await within(10_000, 'transaction A writing', openWriter(gw, aRecords));
    let bOutcomes: WriteOutcome[] = [];
    try {
      expect(a.outcomes.map((o) => o.result)).toEqual(['updated', 'created', 'created', 'created', 'created']);
      expect(a.positions.length, 'A took a feed position per version').toBe(aRecords.length);

      // B: two committed transactions after A took its positions; a writer is never delayed until A ends
      // (test/store/feed-horizon.test.ts holds it to not waiting at all)
      const b1Start = Date.now();
      const b1 = await within(8_000, 'transaction B1 (committed while A is open)', commitRecords(gw, penalties(91_200, 3)));
      const b1Ms = Date.now() - b1Start;
      await sleep(1_200); // the relay runs rounds meanwhile, each facing the open hole
      const b2Start = Date.now();
      const b2 = await within(8_000, 'transaction B2 (committed while A is open)', commitRecords(gw, [changed(91_200, '罚款人民币7万元（B2 的更正）。'), ...penalties(91_300, 2)]));
      const b2Ms = Date.now() - b2Start;
      bOutcomes = [...b1, ...b2];
      expect(b1.map((o) => o.result)).toEqual(['created', 'created', 'created']);
      expect(b2.map((o) => o.result)).toEqual(['updated', 'created', 'created']);
      expect(Math.max(b1Ms, b2Ms), 'a writer beside the open transaction A waited longer than a horizon read may hold it up').toBeLessThan(5_000);

      // premise: B's positions all lie after A's (else there is no hole in front of B)
      const bPositions = await feedPositions(gw.ctx.pool, bOutcomes);
      expect(bPositions.length).toBe(bOutcomes.length);
      expect(Math.min(...bPositions)).toBeGreaterThan(Math.max(...a.positions));

      // while A is open, nothing after its positions is published (the cursor would pass the hole)
      const bRecordIds = new Set(bOutcomes.map((o) => o.recordId));
      let relayWaited = false;
      await observeFor(2_000, async () => {
        const early = [...seenRecordIds()].filter((id) => bRecordIds.has(id));
        expect.soft(early, 'events of positions after the open transaction A were published before A committed').toEqual([]);
        relayWaited ||= await relayWaitsForWriters(gw);
      }, 100);
      // premise: the relay did try to read past A meanwhile (its horizon read waiting for A to end)
      expect(relayWaited, 'the relay never waited for the writers while A was open: no round faced the hole').toBe(true);
      const bEvents = await listRecordEvents(gw.ctx.pool);
      const bStored = bEvents.filter((e) => bRecordIds.has(e.recordId));
      expect(bStored.length, 'B\'s events are stored').toBe(both.length * bOutcomes.length);
      expect.soft(bStored.filter((e) => e.sent).map((e) => `${e.destination}:${e.recordId}@${e.version}`), 'B\'s events counted as sent while A is open').toEqual([]);
    } finally {
      await a.commit();
    }

    // A filled the hole: A's and B's events all arrive
    const expected = idsFor(both, [...upserts(a.outcomes), ...upserts(bOutcomes)]);
    expect(a.outcomes[0]!.version).toBe(2);
    await vi.waitFor(() => {
      const missing = expected.filter((id) => !seenIds().has(id));
      if (missing.length) throw new Error(`${missing.length} of ${expected.length} events of A and B not published`);
    }, { timeout: 30_000, interval: 100 });
    expect(await waitForOutboxDrained(gw.ctx.pool, 15_000)).toBe(0);

    // read back from the beginning of each topic: every event id once, the store agrees they were sent
    for (const d of destinations) {
      const msgs = await readTopic(d.topic, { until: (m) => hasAll(m, idsFor([d.name], [...upserts(a.outcomes), ...upserts(bOutcomes)])), timeoutMs: 30_000, settleMs: 1_000 });
      expectEachOnce(msgs, idsFor([d.name], [...upserts(a.outcomes), ...upserts(bOutcomes)]), `${d.name}: A's and B's events`);
      // the changed record: version 1, then A's version 2, in that order on its partition, with A's content
      const ofChanged = msgs.filter((m) => m.headers['record-id'] === before!.recordId);
      expect(ofChanged.map((m) => Number(m.headers['record-version']))).toEqual([1, 2]);
      expect(ofChanged[1]!.value.record.data.CF_NR).toBe('罚款人民币6万元（更正前的开放事务）。');
    }
    const stored = (await listRecordEvents(gw.ctx.pool)).filter((e) => expected.includes(e.eventId));
    expect(stored.map((e) => e.eventId).sort()).toEqual([...expected].sort());
    expect(stored.filter((e) => !e.sent)).toEqual([]);
  }, 120_000);

  it('a rolled-back writer leaves a gap that does not stall the relay; nothing it wrote is published', async () => {
    const [q] = await commitRecords(gw, penalties(92_000, 1)); // changed by a rolled-back and then a committed transaction
    const seqBefore = Number((await gw.ctx.pool.query<{ v: string }>('SELECT last_value AS v FROM records_change_seq')).rows[0]!.v);

    // R1: writes new records and a version 2 of q, rolls back
    const r1Records = [changed(92_000, '回滚的内容（不得发布）。'), ...penalties(92_100, 3)];
    const r1 = await within(10_000, 'transaction R1', openWriter(gw, r1Records));
    try {
      expect(r1.positions.length, 'R1 took a feed position per version').toBe(r1Records.length);
    } finally {
      await r1.rollback();
    }
    const seqAfter = Number((await gw.ctx.pool.query<{ v: string }>('SELECT last_value AS v FROM records_change_seq')).rows[0]!.v);
    expect(seqAfter, 'premise: the rolled-back transaction used up positions').toBeGreaterThanOrEqual(seqBefore + r1Records.length);

    // C1: commits after the gap, q's version 2 with other content (the same event ids R1's version 2 would have had)
    const c1 = await within(8_000, 'transaction C1', commitRecords(gw, [changed(92_000, '提交的内容。'), ...penalties(92_200, 3)]));
    expect(c1.map((o) => o.result)).toEqual(['updated', 'created', 'created', 'created']);
    expect(c1[0]!.version).toBe(2);

    // R2: open while C2 commits after it, then rolled back: a hole that becomes a gap
    const r2Records = penalties(92_300, 3);
    const r2 = await within(10_000, 'transaction R2', openWriter(gw, r2Records));
    let c2: WriteOutcome[];
    try {
      c2 = await within(8_000, 'transaction C2 (committed while R2 is open)', commitRecords(gw, penalties(92_400, 3)));
      await sleep(1_200);
    } finally {
      await r2.rollback();
    }
    gw.ctx.outbox.committed(); // nothing committed by the rollback; wake the relay anyway
    const c3 = await within(8_000, 'transaction C3', commitRecords(gw, penalties(92_500, 2)));

    const committed = [...upserts(c1), ...upserts(c2), ...upserts(c3)];
    const rolledBack = new Set([...r1Records.slice(1), ...r2Records].map((r) => r.recordId));
    expect(await waitForOutboxDrained(gw.ctx.pool, 30_000), 'backlog left after the gaps').toBe(0);
    for (const d of destinations) {
      const ids = idsFor([d.name], committed);
      const msgs = await readTopic(d.topic, {
        until: (m) => hasAll(m, ids),
        timeoutMs: 30_000,
        settleMs: 2_000,
        whileSettling: (m) => expect(m.filter((x) => rolledBack.has(x.headers['record-id']!)).map((x) => x.headers['record-id']), `${d.name}: rolled-back records published`).toEqual([]),
      });
      expectEachOnce(msgs, ids, `${d.name}: committed events`);
      expect(msgs.filter((x) => rolledBack.has(x.headers['record-id']!))).toEqual([]);
      // q: versions 1 and 2 once each, version 2 with the committed content, never the rolled-back one
      const ofQ = msgs.filter((m) => m.headers['record-id'] === q!.recordId);
      expect(ofQ.map((m) => Number(m.headers['record-version']))).toEqual([1, 2]);
      expect(ofQ[1]!.value.record.data.CF_NR).toBe('提交的内容。');
      expect(ofQ.some((m) => JSON.stringify(m.value).includes('回滚的内容'))).toBe(false);
    }
    // the store has no event of a rolled-back record, and every committed one sent
    const events = await listRecordEvents(gw.ctx.pool);
    expect(events.filter((e) => rolledBack.has(e.recordId))).toEqual([]);
    const committedIds = new Set(idsFor(both, committed));
    expect(events.filter((e) => committedIds.has(e.eventId) && e.sent).length).toBe(committedIds.size);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------------
// 3: a destination removed while versions for it wait

describe('a destination removed from the configuration while its events wait', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  let child: ChildGateway | undefined;
  const tag = uniqueName('removed');
  // keep: licences and penalties; gone: penalties and bidding — so a licence goes to keep only,
  // a penalty to both and a bidding record to gone only
  const keep = { name: 'keep', topic: `test.${tag}.keep.v1`, categories: ['admin_license', 'admin_penalty'], regions: [], maskPersonalIds: true };
  const gone = { name: 'gone', topic: `test.${tag}.gone.v1`, categories: ['admin_penalty', 'bidding_misconduct'], regions: [], maskPersonalIds: true };
  const common = { auth: { enabled: false }, log: { level: 'warn' }, lifecycle: { expiryEnabled: false }, monitoring: { alertsTopic: `test.${uniqueName('alerts')}.v1` } };

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
  });

  afterAll(async () => {
    child?.proc.kill('SIGKILL');
    await pool?.end();
    await db?.drop();
  });

  async function push(records: RecordInput[]): Promise<Array<{ recordId: string; version: number }>> {
    const res = await fetch(`${child!.url}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
    const body = (await res.json()) as any;
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.summary.rejected, JSON.stringify(body.results)).toBe(0);
    return body.results;
  }
  const many = (category: CategoryId, from: number, count: number) => Array.from({ length: count }, (_, i) => sampleRecordInput(category, from + i));

  it('skips the removed destination, publishes every event of the one still configured, and drains the backlog', async () => {
    // first: both destinations, no relay; the versions and their destinations are stored, nothing published
    child = await spawnGateway({ databaseUrl: db.url, brokers: kafkaBrokers(), configFile: writeConfigFile({ ...common, destinations: [keep, gone], relay: { enabled: false } }) });
    const licences1 = await push(many('admin_license', 93_000, 10));
    const bidding1 = await push(many('bidding_misconduct', 93_100, 30)); // a long run of versions only for "gone"
    const penalties = await push(many('admin_penalty', 93_200, 10));
    const bidding2 = await push(many('bidding_misconduct', 93_300, 20));
    const licences2 = await push(many('admin_license', 93_400, 10));
    // second versions: a penalty (both) and a bidding record (gone only)
    const changedPenalty = await push([sampleRecordInput('admin_penalty', 93_200, { data: { CF_NR: '罚款人民币9万元。' } })]);
    const changedBidding = await push([sampleRecordInput('bidding_misconduct', 93_300, { data: { handlingDecision: '通报批评（变更）' } } as never)]);
    expect(changedPenalty[0]!.version).toBe(2);
    expect(changedBidding[0]!.version).toBe(2);

    const forKeep = idsFor([keep.name], [...licences1, ...penalties, ...licences2, ...changedPenalty]);
    const forGone = idsFor([gone.name], [...bidding1, ...penalties, ...bidding2, ...changedPenalty, ...changedBidding]);
    const storedBefore = await listRecordEvents(pool);
    expect(storedBefore.filter((e) => e.destination === keep.name).map((e) => e.eventId).sort()).toEqual([...forKeep].sort());
    expect(storedBefore.filter((e) => e.destination === gone.name).map((e) => e.eventId).sort()).toEqual([...forGone].sort());
    expect(storedBefore.filter((e) => e.sent), 'published with the relay disabled').toEqual([]);
    expect(await waitForOutboxDrained(pool, 0), 'backlog with the relay disabled').toBeGreaterThan(0);
    expect(await storedMessages(keep.topic) ?? 0, 'the relay was disabled, yet published').toBe(0);

    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    child = undefined;

    // then: only "keep", relay on, small rounds (several rounds hold nothing but "gone" versions)
    child = await spawnGateway({ databaseUrl: db.url, brokers: kafkaBrokers(), configFile: writeConfigFile({ ...common, destinations: [keep], relay: { batchSize: 5, idleIntervalMs: 20 } }) });
    expect(await waitForOutboxDrained(pool, 60_000), 'backlog left after the restart without "gone"').toBe(0);
    const msgs = await readTopic(keep.topic, { until: (m) => hasAll(m, forKeep), timeoutMs: 30_000, settleMs: 1_500 });
    expect(eventIdsOf(msgs).sort(), 'keep: exactly its events, each once').toEqual([...forKeep].sort());
    expect(await storedMessages(gone.topic) ?? 0, 'messages on the removed destination\'s topic').toBe(0);

    // one warning naming the removed destination, however many rounds met its versions
    const warnings = child.output().split('\n').filter((l) => l.includes('a record version names a destination no longer configured'));
    expect(warnings, child.output().slice(-4000)).toHaveLength(1);
    expect(warnings[0]).toContain('gone');

    // the relay is not stuck: a new record still goes out
    const later = await push([sampleRecordInput('admin_license', 93_500)]);
    const laterId = idsFor([keep.name], later);
    const after = await readTopic(keep.topic, { until: (m) => hasAll(m, laterId), timeoutMs: 30_000 });
    expectEachOnce(after, laterId, 'keep: the record written after the restart');

    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    child = undefined;
  }, 240_000);
});

// ---------------------------------------------------------------------------------------------------
// 4: a status move goes to the destinations that had the record

describe('a status move after the fact', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let gw: TestGateway | undefined;
  const tag = uniqueName('moves');
  // x: penalties of Jiangsu (32); y: licences only; z: every category of Beijing (11)
  const x = { name: 'x', topic: `test.${tag}.x.v1`, categories: ['admin_penalty'], regions: ['32'], maskPersonalIds: true };
  const y = { name: 'y', topic: `test.${tag}.y.v1`, categories: ['admin_license'], regions: [], maskPersonalIds: true };
  const z = { name: 'z', topic: `test.${tag}.z.v1`, categories: ['*'], regions: ['11'], maskPersonalIds: true };
  // w: added later; its rules take every record
  const w = { name: 'w', topic: `test.${tag}.w.v1`, categories: ['*'], regions: [], maskPersonalIds: true };
  const start = (destinations: object[]) => startTestGateway({ destinations, lifecycle: { expiryEnabled: false } }, db);
  /** A penalty whose subject lies in `region` (a USCC of that region; the party fields follow it). */
  const penaltyIn = (n: number, region: string) => {
    const uscc = syntheticUscc(n, { region });
    return sampleRecordInput('admin_penalty', n, { subject: { uscc, kind: undefined, region: undefined }, data: { CF_XDR_SHXYM: uscc } });
  };
  const move = (recordId: string, status: 'objected' | 'removed') =>
    gw!.ctx.outbox.transaction(gw!.ctx.pool, (c) => writeStatusChange(c, recordId, status, { actor: 'test', outbox: gw!.ctx.outbox, reason: 'test' }));
  const eventsOf = async (recordId: string) =>
    (await listRecordEvents(gw!.ctx.pool, { recordId })).map((e) => `${e.destination} ${e.type} v${e.version}`).sort();
  const ofRecord = (msgs: ReadMessage[], recordId: string) =>
    msgs.filter((m) => m.headers['record-id'] === recordId).map((m) => `${m.headers['event-type']} v${m.headers['record-version']}`);
  let only: string; // routed to x alone
  let moved: string; // routed to x, then (its subject moved to Beijing) to z

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await start([x, y, z]);
    const [a] = await commitRecords(gw, prepare(gw, [penaltyIn(94_000, '320583')]));
    only = a!.recordId;
    const [b] = await commitRecords(gw, prepare(gw, [penaltyIn(94_100, '320583')]));
    moved = b!.recordId;
    const [b2] = await commitRecords(gw, prepare(gw, [penaltyIn(94_100, '110105')]));
    expect(b2).toMatchObject({ recordId: moved, result: 'updated', version: 2 });
    expect(await waitForOutboxDrained(gw.ctx.pool, 30_000)).toBe(0);
    // routing when written: only x for `only`; x, then z for `moved`
    expect(await eventsOf(only)).toEqual(['x record.upserted v1']);
    expect(await eventsOf(moved)).toEqual(['x record.upserted v1', 'z record.upserted v2']);
    // restart with w added: w's rules take both records, but w never had them
    await gw.stop();
    gw = await start([x, y, z, w]);
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await db?.drop();
  });

  it('goes only to the destination that had the record, not to one whose rules would take it now', async () => {
    // a new record after the restart, routed to x and w: w's topic exists and is live
    const [fresh] = await commitRecords(gw!, prepare(gw!, [penaltyIn(94_200, '320583')]));
    await move(only, 'objected');
    expect(await eventsOf(only)).toEqual(['x record.status_changed v2', 'x record.upserted v1']);
    await move(only, 'removed');
    // into a retracted status: a status_changed, then a retracted one version higher
    expect(await eventsOf(only)).toEqual(['x record.retracted v4', 'x record.status_changed v2', 'x record.status_changed v3', 'x record.upserted v1']);
    expect(await waitForOutboxDrained(gw!.ctx.pool, 30_000)).toBe(0);

    const wanted = idsFor([x.name], [
      { recordId: only, version: 1 },
      { recordId: only, version: 2, type: 'record.status_changed' },
      { recordId: only, version: 3, type: 'record.status_changed' },
      { recordId: only, version: 4, type: 'record.retracted' },
    ]);
    const onX = await readTopic(x.topic, { until: (m) => hasAll(m, wanted), timeoutMs: 30_000, settleMs: 1_000 });
    expectEachOnce(onX, wanted, 'x: the record and its moves');
    expect(ofRecord(onX, only)).toEqual(['record.upserted v1', 'record.status_changed v2', 'record.status_changed v3', 'record.retracted v4']);
    const moves = onX.filter((m) => m.headers['record-id'] === only && m.headers['event-type'] !== 'record.upserted');
    expect(moves.map((m) => m.value.record.status)).toEqual(['objected', 'removed', 'removed']);
    // the key is the record's subject key, the same as the created record's
    expect(new Set(onX.filter((m) => m.headers['record-id'] === only).map((m) => m.key)).size).toBe(1);

    const freshOnW = idsFor([w.name], upserts([fresh!]));
    const onW = await readTopic(w.topic, { until: (m) => hasAll(m, freshOnW), timeoutMs: 30_000, settleMs: 1_000 });
    expect(eventIdsOf(onW), 'w: only the record written after it was added').toEqual(freshOnW);
    expect(await storedMessages(y.topic) ?? 0, 'y (licences only) got messages').toBe(0);
    const onZ = await readTopic(z.topic, { until: (m) => m.length >= 1, timeoutMs: 30_000, settleMs: 500 });
    expect(ofRecord(onZ, only), 'z (Beijing) got events of a Jiangsu record').toEqual([]);
  }, 120_000);

  it('goes to every destination that had one of its versions, still configured', async () => {
    await move(moved, 'objected');
    expect(await eventsOf(moved)).toEqual(['x record.status_changed v3', 'x record.upserted v1', 'z record.status_changed v3', 'z record.upserted v2']);
    expect(await waitForOutboxDrained(gw!.ctx.pool, 30_000)).toBe(0);
    const onX = await readTopic(x.topic, { until: (m) => ofRecord(m, moved).length >= 2, timeoutMs: 30_000, settleMs: 1_000 });
    // the subject (so the key) changed with version 2: partitions may differ, the order across them is not the topic's
    expect(ofRecord(onX, moved).sort()).toEqual(['record.status_changed v3', 'record.upserted v1']);
    const onZ = await readTopic(z.topic, { until: (m) => ofRecord(m, moved).length >= 2, timeoutMs: 30_000, settleMs: 1_000 });
    expect(ofRecord(onZ, moved)).toEqual(['record.upserted v2', 'record.status_changed v3']); // one key: one partition, in order
    const onW = await readTopic(w.topic, { until: (m) => m.length >= 1, timeoutMs: 30_000, settleMs: 500 });
    expect(ofRecord(onW, moved), 'w (added later) got a status move of a record it never had').toEqual([]);
  }, 120_000);
});
