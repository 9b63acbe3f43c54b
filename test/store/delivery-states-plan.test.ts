/**
 * Before each hand-over, delivery looks up the states the destination already has for the batch's
 * records (eventsHandedBefore). Seen in bench:deliver: on a deliveries table that grew from empty, with
 * statistics from when it was small, `record_id = ANY(...)` was answered from the destination's index —
 * every row of the destination read for each batch of ~330 events (29 ms at 100,000 rows, growing with
 * each batch). Here 30,000 states are stored after the statistics were taken.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsHandedBefore, STATES_OF_RECORDS } from '../../src/store/deliveries-repo.js';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import { explain, planNodes, staleStatisticsDatabase } from '../support/plan-nodes.js';

const DESTINATION = 'provincial';
const STORED = 30_000;

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
  ({ db, pool } = await staleStatisticsDatabase(['deliveries'], 2));
  await pool.query(STORE_STATES, [1, 50, DESTINATION]);
  await pool.query('ANALYZE deliveries');
  await pool.query(STORE_STATES, [51, STORED, DESTINATION]);
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
