/**
 * The relay's claim takes the oldest unsent events by walking the unsent index and stopping at the
 * limit, whatever the planner estimates. Stale statistics (taken while the relay kept up) and rows
 * scattered by past updates make an index scan look expensive; the planner then reads and sorts the
 * whole backlog in every round (seen on a bench database: a bitmap scan and an on-disk sort of 50,000
 * rows for each batch of 2,000). Here a high cpu_index_tuple_cost stands in for that estimate.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEGIN_CLAIM, CLAIM_UNSENT } from '../../src/store/outbox-repo.js';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import { explain, explainAnalyzed, planNodes, rowsRead, staleStatisticsDatabase } from '../support/plan-nodes.js';

const BACKLOG = 50_000;
const BATCH = 2000;
const INDEX_LOOKS_EXPENSIVE = 'SET LOCAL cpu_index_tuple_cost = 10';

let db: ScratchDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  ({ db, pool } = await staleStatisticsDatabase(['outbox', 'outbox_unsent'], 2));
  const insert = (sent: boolean, n: number) => pool.query(
    `WITH queued AS (
       INSERT INTO outbox (event_id, destination, topic, event_type, record_id, record_version, message_key, payload)
       SELECT gen_random_uuid(), 'prov', 'test.plan.v1', 'alert.raised', gen_random_uuid(), 1, 'k', '{}' FROM generate_series(1, $2::int)
       RETURNING id)
     INSERT INTO outbox_unsent (id) SELECT id FROM queued WHERE NOT $1`,
    [sent, n],
  );
  // statistics taken while the relay kept up: a few events in flight among many sent
  await insert(true, 5000);
  await insert(false, 500);
  await pool.query('ANALYZE outbox');
  await pool.query('ANALYZE outbox_unsent');
  await insert(false, BACKLOG);
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** The claim's plan as a list of nodes, top down ("Index Scan on outbox_pkey", "Seq Scan on outbox_unsent"). */
async function claimPlan(...setup: string[]): Promise<string[]> {
  const client = await pool.connect();
  try {
    for (const statement of setup) await client.query(statement);
    const plan = await explain(client, CLAIM_UNSENT, [BATCH]);
    await client.query('ROLLBACK');
    return planNodes(plan);
  } finally {
    client.release();
  }
}

/** The nodes below the claim's LIMIT: what it takes to find the batch. */
const belowLimit = (plan: string[]) => plan.slice(plan.indexOf('Limit') + 1);

describe('relay claim with a backlog the statistics do not know about', () => {
  it('the scenario is real: in a plain transaction the planner reads the whole backlog and sorts it', async () => {
    const plan = await claimPlan('BEGIN', INDEX_LOOKS_EXPENSIVE);
    expect(plan).toContain('Limit');
    expect(belowLimit(plan)).toContain('Sort');
  });

  it("in the relay's transaction it walks outbox_unsent's key in id order, reads each event by its key, and stops at the limit", async () => {
    for (const setup of [[BEGIN_CLAIM], [BEGIN_CLAIM, INDEX_LOOKS_EXPENSIVE]]) {
      const plan = await claimPlan(...setup);
      expect(plan).toContain('Limit');
      expect(belowLimit(plan)[0]).toMatch(/^Index (Only )?Scan on outbox_unsent_pkey$/);
      expect(belowLimit(plan)).not.toContain('Sort');
      expect(plan.filter((n) => /^(Seq Scan|Bitmap Heap Scan) on /.test(n))).toEqual([]);
      expect(plan.filter((n) => /^(Hash|Merge) Join$/.test(n))).toEqual([]); // each would read a whole index or table
    }
  });

  it('a claim reads about as many index entries as it claims, not the backlog or the whole outbox', async () => {
    const client = await pool.connect();
    try {
      await client.query(BEGIN_CLAIM);
      const plan = await explainAnalyzed(client, CLAIM_UNSENT, [BATCH]);
      await client.query('ROLLBACK');
      const read = (index: string) => rowsRead(plan, (node) => node['Index Name'] === index);
      // outbox_unsent: the batch found in id order, then each claimed row found again to delete it
      expect(read('outbox_unsent_pkey')).toBeLessThanOrEqual(2 * BATCH);
      expect(read('outbox_pkey')).toBe(BATCH);
    } finally {
      client.release();
    }
  });

  it('the claim returns the oldest unsent events, in id order', async () => {
    const client = await pool.connect();
    try {
      await client.query(BEGIN_CLAIM);
      const { rows } = await client.query<{ id: number }>(CLAIM_UNSENT, [BATCH]);
      await client.query('ROLLBACK');
      const { rows: expected } = await pool.query<{ id: number }>('SELECT id FROM outbox_unsent ORDER BY id LIMIT $1', [BATCH]);
      expect(rows).toHaveLength(BATCH);
      expect(rows.map((r) => r.id)).toEqual(expected.map((r) => r.id));
    } finally {
      client.release();
    }
  });
});
