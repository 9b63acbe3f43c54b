/**
 * The relay's feed read takes the next versions by walking record_versions_feed_idx in position order
 * and stopping at the limit, whatever the planner estimates — the same risk as the outbox claim
 * (outbox-claim-plan.test.ts): statistics taken while the relay kept up, then a backlog (a broker
 * outage, a big pull) they do not know about. A high cpu_index_tuple_cost stands in for that estimate.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEGIN_CLAIM, READ_FEED } from '../../src/store/outbox-repo.js';
import { seedRecords } from '../../src/store/seed-records.js';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import { explain, explainAnalyzed, findNode, planNodes, rowsRead, staleStatisticsDatabase } from '../support/plan-nodes.js';

const BACKLOG = 30_000;
const BATCH = 2000;
const INDEX_LOOKS_EXPENSIVE = 'SET LOCAL cpu_index_tuple_cost = 10';

const SEED_ROWS = `
SELECT md5('feed-' || g)::uuid AS record_id, 'admin_license' AS category, 'N:' || g AS subject_key, NULL AS uscc, '320583' AS region,
       'active' AS status, 'sha256:' || md5(g::text) AS content_hash,
       jsonb_build_object('category', 'admin_license', 'subject', jsonb_build_object('name', '某公司' || g, 'kind', 'enterprise', 'region', '320583'),
                          'source', jsonb_build_object('system', 'seed', 'key', 'K' || g), 'data', jsonb_build_object('text', repeat('许可', 200))) AS envelope,
       now() AS created_at
  FROM generate_series($1::int, $2::int) AS g`;

/** The seeded versions get their events as the store writes them: a feed position each, for the provincial destination. */
const GIVE_EVENTS = `UPDATE record_versions SET feed_seq = nextval('records_change_seq'), destinations = '{prov}', message_key = 'k'
  WHERE feed_seq IS NULL`;

let db: ScratchDatabase;
let pool: pg.Pool;
let cursor: number;
let horizon: number;

beforeAll(async () => {
  ({ db, pool } = await staleStatisticsDatabase(['records', 'record_versions'], 2));
  // statistics taken while the relay kept up: a few versions past the cursor among many published
  await seedRecords(pool, SEED_ROWS, [1, 5000]);
  await pool.query(GIVE_EVENTS);
  await pool.query(`UPDATE relay_cursor SET feed_seq = (SELECT max(feed_seq) - 50 FROM record_versions)`);
  await pool.query('ANALYZE records');
  await pool.query('ANALYZE record_versions');
  await seedRecords(pool, SEED_ROWS, [5001, 5000 + BACKLOG]);
  await pool.query(GIVE_EVENTS);
  cursor = (await pool.query<{ feed_seq: number }>('SELECT feed_seq FROM relay_cursor')).rows[0]!.feed_seq;
  horizon = (await pool.query<{ last: number }>('SELECT last_value AS last FROM records_change_seq')).rows[0]!.last;
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

async function inClaim<T>(setup: string[], work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    for (const statement of setup) await client.query(statement);
    return await work(client);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

describe('relay feed read with a backlog the statistics do not know about', () => {
  it("in the relay's transaction it walks record_versions_feed_idx in order and sorts nothing", async () => {
    for (const setup of [[BEGIN_CLAIM], [BEGIN_CLAIM, INDEX_LOOKS_EXPENSIVE]]) {
      const plan = await inClaim(setup, (c) => explain(c, READ_FEED, [cursor, horizon, BATCH]));
      const below = (findNode(plan, 'Limit')?.Plans ?? []).flatMap(planNodes);
      expect(below).toEqual(['Index Scan on record_versions_feed_idx']);
    }
  });

  it('reads as many index entries as it returns, and returns the versions next after the cursor, in order', async () => {
    const plan = await inClaim([BEGIN_CLAIM], (c) => explainAnalyzed(c, READ_FEED, [cursor, horizon, BATCH]));
    expect(rowsRead(plan, (node) => node['Index Name'] === 'record_versions_feed_idx')).toBe(BATCH);
    const rows = await inClaim([BEGIN_CLAIM], async (c) => (await c.query<{ feed_seq: number }>(READ_FEED, [cursor, horizon, BATCH])).rows);
    const { rows: expected } = await pool.query<{ feed_seq: number }>(
      'SELECT feed_seq FROM record_versions WHERE feed_seq > $1 ORDER BY feed_seq LIMIT $2', [cursor, BATCH]);
    expect(rows.map((r) => r.feed_seq)).toEqual(expected.map((r) => r.feed_seq));
    expect(rows).toHaveLength(BATCH);
  });

  it('stops at the horizon: a position past it is never read, however many there are', async () => {
    const rows = await inClaim([BEGIN_CLAIM], async (c) => (await c.query<{ feed_seq: number }>(READ_FEED, [cursor, cursor + 10, BATCH])).rows);
    expect(rows.map((r) => r.feed_seq).every((s) => s > cursor && s <= cursor + 10)).toBe(true);
    expect(rows.length).toBeGreaterThan(0);
  });
});
