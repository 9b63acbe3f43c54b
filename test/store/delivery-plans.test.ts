/**
 * What delivery asks the store before each hand-over, on tables that grew after their statistics were
 * taken: the package that holds the batch's first offset and where the next one starts (packagesAround), and the states the
 * destination already has for the batch's records (eventsHandedBefore); and what applying the platform's answers asks
 * (recordedEvents, applyFeedback), on such a table and on one never analysed.
 *
 * The states: Seen in bench:deliver: on a deliveries table that grew from empty, with
 * statistics from when it was small, `record_id = ANY(...)` was answered from the destination's index —
 * every row of the destination read for each batch of ~330 events (29 ms at 100,000 rows, growing with
 * each batch). Here 30,000 states are stored after the statistics were taken.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/store/db.js';
import {
  APPLY_ANSWERS, applyFeedback, eventsHandedBefore, LOCK_ANSWERED, PACKAGES_AROUND, packagesAround, RECORDED_EVENTS, STATES_OF_RECORDS, BY_ADDRESS,
} from '../../src/store/deliveries-repo.js';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import { explain, explainAnalyzed, planNodes, rowsRead, staleStatisticsDatabase, type PlanNode } from '../support/plan-nodes.js';

const DESTINATION = 'provincial';
const STORED = 30_000;
/** packages of 100 offsets each in partition 0 */
const PACKAGES = 20_000;

/** States of records md5('state-' || g) at version 1 for the destination, g in [$1, $2]. */
const STORE_STATES = `
INSERT INTO deliveries (record_id, destination, event_id, record_version, event_type, state)
SELECT md5('state-' || g)::uuid, $3, md5('event-' || g)::uuid, 1, 'record.upserted', 'delivered'
  FROM generate_series($1::int, $2::int) AS g`;

let db: ScratchDatabase;
let pool: pg.Pool;

/** The record id of stored state g. */
async function recordIdOf(g: number): Promise<string> {
  return (await pool.query<{ id: string }>(`SELECT md5('state-' || $1::int)::uuid::text AS id`, [g])).rows[0]!.id;
}

beforeAll(async () => {
  ({ db, pool } = await staleStatisticsDatabase(['deliveries', 'delivery_packages'], 2));
  await pool.query(STORE_STATES, [1, 50, DESTINATION]);
  await pool.query('ANALYZE deliveries');
  await pool.query(STORE_STATES, [51, STORED, DESTINATION]);
  await pool.query(
    `INSERT INTO delivery_packages (destination, partition, first_offset, last_offset, name, sha256, events)
     SELECT $1, 0, g * 100, g * 100 + 99, 'p-' || g, md5(g::text), 100 FROM generate_series(0, $2::int - 1) AS g`,
    [DESTINATION, PACKAGES],
  );
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('the states of a batch\'s records, on 30,000 states the statistics do not know about', () => {
  it('are looked up by primary key, record by record, never by reading the destination\'s rows', async () => {
    const ids = Array.from({ length: 330 }, () => randomUUID());
    const nodes = planNodes(await explain(pool, STATES_OF_RECORDS, [DESTINATION, ids]));
    expect(nodes[0]).toBe('Nested Loop');
    expect(nodes.some((n) => n.endsWith(' on deliveries_pkey'))).toBe(true);
    expect(nodes.filter((n) => n.includes('deliveries_destination_state_idx') || n === 'Seq Scan on deliveries')).toEqual([]);
  });

  it('give what was handed before: a stored state at this version or later, not the others', async () => {
    const stored = await recordIdOf(STORED - 1);
    const fresh = randomUUID();
    const handed = await eventsHandedBefore(pool, DESTINATION, [
      { eventId: randomUUID(), type: 'record.upserted', recordId: stored, version: 1 },
      { eventId: randomUUID(), type: 'record.upserted', recordId: fresh, version: 1 },
    ]);
    expect(handed.size).toBe(1);
    const again = await eventsHandedBefore(pool, DESTINATION, [{ eventId: randomUUID(), type: 'record.upserted', recordId: stored, version: 2 }]);
    expect(again.size).toBe(0); // a newer version is new to the platform
  });
});

/** The plan's index scans: what they read is index entries (returned, or removed by their filters). */
const isIndexScan = (node: PlanNode) => node['Node Type'].startsWith('Index');

describe('the packages around an offset, among 20,000 packages of one partition', () => {
  it('are found by reading two packages (the one that holds it, the next), not every package before it', async () => {
    const offset = (PACKAGES - 10) * 100 + 42;
    const plan = await explainAnalyzed(pool, PACKAGES_AROUND, [DESTINATION, 0, offset]);
    expect(rowsRead(plan, isIndexScan)).toBe(2);
  });

  it('are the package whose range holds it (none past the last package or in a gap) and the start of the next', async () => {
    expect(await packagesAround(pool, DESTINATION, 0, 123_456)).toMatchObject({ covering: { name: 'p-1234', firstOffset: 123_400, lastOffset: 123_499 }, nextStart: 123_500 });
    expect(await packagesAround(pool, DESTINATION, 0, 0)).toMatchObject({ covering: { name: 'p-0' }, nextStart: 100 });
    expect(await packagesAround(pool, DESTINATION, 0, PACKAGES * 100)).toEqual({ covering: null, nextStart: null });
    expect(await packagesAround(pool, DESTINATION, 1, 123_456)).toEqual({ covering: null, nextStart: null });
    await pool.query(`INSERT INTO delivery_packages (destination, partition, first_offset, last_offset, name, sha256, events) VALUES ($1, 2, 10, 19, 'gap-a', 'x', 10), ($1, 2, 30, 39, 'gap-b', 'x', 10)`, [DESTINATION]);
    expect(await packagesAround(pool, DESTINATION, 2, 25)).toEqual({ covering: null, nextStart: 30 });
    expect(await packagesAround(pool, DESTINATION, 2, 39)).toMatchObject({ covering: { name: 'gap-b' }, nextStart: null });
    expect(await packagesAround(pool, DESTINATION, 2, 5)).toEqual({ covering: null, nextStart: 10 });
  });
});

describe.each([
  ['30,000 states the statistics do not know about', () => ({ pool, db: null })],
  ['30,000 states of a table never analysed', async () => {
    const fresh = await staleStatisticsDatabase(['deliveries'], 2);
    await fresh.pool.query(STORE_STATES, [1, STORED, DESTINATION]);
    return fresh;
  }],
] as const)('the platform\'s answers to a page of 1,000 events, on %s', (_, open) => {
  let on: pg.Pool;
  let own: ScratchDatabase | null = null;
  beforeAll(async () => {
    const opened = await open();
    on = opened.pool;
    own = opened.db;
  }, 60_000);
  afterAll(async () => {
    if (!own) return;
    await on.end();
    await own.drop();
  });

  const eventsOf = async (from: number, to: number) =>
    (await on.query<{ e: string }>(`SELECT md5('event-' || g)::uuid::text AS e FROM generate_series($1::int, $2::int) AS g`, [from, to])).rows.map((r) => r.e);

  it('find each answered event\'s state by its own lookup of the event index, never by reading the table or another index', async () => {
    const ids = await eventsOf(1001, 2000);
    const tids = Array.from({ length: 1000 }, (_, n) => `(${n + 1},1)`);
    for (const [sql, values, index] of [
      [RECORDED_EVENTS, [DESTINATION, ids], 'deliveries_event_idx'],
      [LOCK_ANSWERED, [DESTINATION, ids, ids.map(() => 'accepted'), ids.map(() => null), ids.map(() => null)], 'deliveries_event_idx'],
      [APPLY_ANSWERS, [tids, tids.map(() => 'accepted'), tids.map(() => null), tids.map(() => null)], null],
    ] as const) {
      const client = await on.connect();
      let nodes: string[];
      try {
        await client.query('BEGIN');
        if (!index) await client.query(BY_ADDRESS.from);
        nodes = planNodes(await explain(client, sql, [...values]));
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
      if (index) expect(nodes.some((n) => n.endsWith(` on ${index}`))).toBe(true);
      else expect(nodes).toContain('Tid Scan on deliveries');
      const otherWays = nodes.filter((n) => n.startsWith('Seq Scan') || n === 'Materialize' || (/ on deliveries_/.test(n) && !n.endsWith(` on ${index}`)));
      expect(otherWays).toEqual([]);
    }
  });

  it('apply each answer to the newest version of its state, and not to a state that moved to another event meanwhile', async () => {
    const [keptEvent, movedEvent] = await eventsOf(2001, 2002);
    const [kept, moved] = [await recordIdOf(2001), await recordIdOf(2002)];
    // another transaction holds both states: one answered 'rejected' (same event), one replaced by version 2 (a new event)
    const other = await on.connect();
    try {
      await other.query('BEGIN');
      await other.query(`UPDATE deliveries SET state = 'rejected', reason = 'first answer' WHERE record_id = $1`, [kept]);
      await other.query(`UPDATE deliveries SET event_id = $2, record_version = 2, state = 'delivered' WHERE record_id = $1`, [moved, randomUUID()]);
      const answers = [keptEvent!, movedEvent!].map((eventId) => ({ eventId, outcome: 'accepted' as const, reason: null, field: null }));
      const applying = inTransaction(on, (client) => applyFeedback(client, DESTINATION, answers));
      await new Promise((r) => setTimeout(r, 200)); // the answers wait for the other transaction's locks
      await other.query('COMMIT');
      expect(await applying).toEqual({ accepted: 1, rejected: 0 });
    } finally {
      other.release();
    }
    const { rows } = await on.query<{ record_id: string; state: string; reason: string | null; record_version: number }>(
      'SELECT record_id::text, state, reason, record_version FROM deliveries WHERE record_id = ANY($1::uuid[])', [[kept, moved]],
    );
    expect(rows.find((r) => r.record_id === kept)).toMatchObject({ state: 'accepted', reason: null });
    expect(rows.find((r) => r.record_id === moved)).toMatchObject({ state: 'delivered', record_version: 2 });
    // answered again: nothing changes
    expect(await inTransaction(on, (client) => applyFeedback(client, DESTINATION, [{ eventId: keptEvent!, outcome: 'accepted', reason: null, field: null }]))).toEqual({ accepted: 0, rejected: 0 });
  });
});
