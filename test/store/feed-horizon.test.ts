/**
 * The change feed with writers side by side (src/store/feed-horizon.ts), on the real PostgreSQL: a
 * transaction that took its positions first but commits last neither blocks the writers after it nor
 * lets a reader's cursor (the change feed, the alert detector's) pass its positions before it commits.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { RecordPreparer } from '../../src/ingest/prepare.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { changeFeedHead, recordsChangedAfter } from '../../src/store/alerts-repo.js';
import { inTransaction } from '../../src/store/db.js';
import { feedHorizon, joinFeedWriters } from '../../src/store/feed-horizon.js';
import { migrate } from '../../src/store/migrate.js';
import { changeFeed } from '../../src/store/records-read.js';
import { writeRecords, type PreparedRecord } from '../../src/store/records-repo.js';
import { RecordValidator } from '../../src/validation/validator.js';
import { createTestDatabase, testConfig } from '../support/env.js';

const NO_DESTINATIONS = new Outbox({ destinations: [], alertsTopic: 'unused' });

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let preparer: RecordPreparer;

function prepared(from: number, count: number): PreparedRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const p = preparer.prepare(sampleRecordInput('admin_penalty', from + i));
    if (!p.ok) throw new Error(JSON.stringify(p.errors));
    return p.record;
  });
}

const write = (records: PreparedRecord[]) => inTransaction(pool, (c) => writeRecords(c, records, { actor: 'test', outbox: NO_DESTINATIONS }));

/** Every record id of the feed after `after`, page by page of 3, as a partner with a cursor reads it. */
async function readFeed(after: number): Promise<{ ids: string[]; last: number }> {
  const ids: string[] = [];
  let last = after;
  for (;;) {
    const page = await changeFeed(pool, {}, null, last, 3);
    if (!page.length) return { ids, last };
    ids.push(...page.map((r) => r.envelope.recordId));
    last = page[page.length - 1]!.seq;
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 6 });
  await migrate(pool);
  preparer = new RecordPreparer(new RecordValidator(), testConfig(db.url).publicationPeriods);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

it('a slow writer holds back what the feed shows, not the writers after it; once it commits, a cursor sees everything once', async () => {
  const before = await readFeed(0);
  expect(before.ids).toEqual([]);
  const early = prepared(1, 5);
  const late = prepared(100, 5);

  // The slow writer takes its positions first and stays open until told to commit.
  let commit!: () => void;
  const committed = new Promise<void>((resolve) => (commit = resolve));
  let slowWrote!: () => void;
  const slowHasPositions = new Promise<void>((resolve) => (slowWrote = resolve));
  const slow = inTransaction(pool, async (c) => {
    const outcomes = await writeRecords(c, early, { actor: 'test', outbox: NO_DESTINATIONS });
    slowWrote();
    await committed;
    return outcomes;
  });
  await slowHasPositions;

  let during: { ids: string[]; last: number };
  try {
    // A second writer is not blocked by the first (this write would wait forever under an exclusive lock).
    const outcomes = await write(late);
    expect(outcomes.map((o) => o.result)).toEqual(Array(5).fill('created'));
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM records');
    expect(rows[0]!.n).toBe(5); // the later writer's records are committed; the slow one's are not

    // The feed does not show the later writer's committed records above the slow one's open positions.
    const t0 = Date.now();
    during = await readFeed(before.last);
    expect(during.ids).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(5_000); // the horizon gave up waiting and used the last one
    expect(await recordsChangedAfter(pool, 0, await feedHorizon(pool), 100)).toEqual([]);
    // the score check's "anything changed since": not the later writer's position either
    expect(await changeFeedHead(pool, await feedHorizon(pool))).toBeNull();
  } finally {
    commit();
    await slow;
  }
  const after = await readFeed(during.last);
  // positions in the order they were handed out: the slow writer's first
  expect(after.ids).toEqual([...early, ...late].map((p) => p.recordId));
  expect((await readFeed(after.last)).ids).toEqual([]);
  expect((await recordsChangedAfter(pool, 0, await feedHorizon(pool), 100)).map((r) => r.recordId)).toEqual(after.ids);
  expect(await changeFeedHead(pool, await feedHorizon(pool))).toBe(after.last);
});

it('a horizon covers every change committed before it was asked for, also when calls overlap and share reads', async () => {
  const start = await feedHorizon(pool);
  const results = await Promise.all(Array.from({ length: 8 }, async (_, i) => {
    await write(prepared(1_000 + i * 10, 2));
    const { rows } = await pool.query<{ seq: number }>('SELECT max(change_seq)::int AS seq FROM records');
    return { committedUpTo: rows[0]!.seq, horizon: await feedHorizon(pool) };
  }));
  for (const r of results) expect(r.horizon).toBeGreaterThanOrEqual(r.committedUpTo);
  expect(Math.max(...results.map((r) => r.horizon))).toBeGreaterThan(start);
});

it('a writer never waits for a horizon read, even one waiting for a writer before it', async () => {
  // A transaction joined the writers and stays open: the horizon read waits for it (up to its bound)
  // while new writers come and go.
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await joinFeedWriters(client);
    let settled = false;
    const horizonRead = feedHorizon(pool).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 100)); // the read is now waiting for the open writer
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await write(prepared(2_000 + i, 1));
    expect(Date.now() - t0).toBeLessThan(700);
    expect(settled).toBe(false); // the writes went through while the read was still waiting
    const { rows: [open] } = await pool.query<{ seq: number }>('SELECT max(change_seq)::int AS seq FROM records');
    expect(await horizonRead).toBeLessThan(open!.seq); // it gave up on the open writer: the last horizon
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
  const horizon = await feedHorizon(pool);
  const { rows } = await pool.query<{ seq: number }>('SELECT max(change_seq)::int AS seq FROM records');
  expect(horizon).toBe(rows[0]!.seq);
});
