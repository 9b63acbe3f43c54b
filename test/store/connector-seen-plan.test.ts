/**
 * What marking a page's keys as listed reads (connectors-repo MARK_SEEN), on a connector whose listing
 * grew after the statistics were taken: each key of the page by its own lookup, never the rows of every
 * key the connector listed before. Seen in bench:pull: the keys marked removed were found by reading
 * all of the connector's rows for each page (29 ms a page at 300,000 keys, growing with the listing).
 * And what listing the same keys again writes: each key's row updated in place (migration 027).
 */
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import { MARK_SEEN, markSeen } from '../../src/store/connectors-repo.js';
import { inTransaction } from '../../src/store/db.js';
import { explainAnalyzed, rowsRead, staleStatisticsDatabase, type PlanNode } from '../support/plan-nodes.js';

const LISTED = 100_000;

/** Keys K1..Kn of connector c, every hundredth marked removed, with record ids md5('seen-' || g). */
const STORE_KEYS = `
INSERT INTO connector_seen (connector, source_key, record_id, last_seen_pass, removed)
SELECT 'c', 'K' || g, md5('seen-' || g)::uuid, 1, g % 100 = 0 FROM generate_series($1::int, $2::int) AS g`;

let db: ScratchDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  ({ db, pool } = await staleStatisticsDatabase(['connector_seen'], 2));
  await pool.query(STORE_KEYS, [1, 50]);
  await pool.query('ANALYZE connector_seen');
  await pool.query(STORE_KEYS, [51, LISTED]);
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** The plan's scans of connector_seen (of its heap or its indexes). */
const readsSeen = (node: PlanNode) => node['Node Type'].includes('Scan')
  && (node['Relation Name'] === 'connector_seen' || (node['Index Name']?.startsWith('connector_seen') ?? false));

/** A page of 500 keys: five listed before and marked removed (K100..K500), the rest new. */
const page = () => Array.from({ length: 500 }, (_, i) => (i < 5 ? `K${(i + 1) * 100}` : `new-${i}`));

it('a page of 500 keys reads at most its own keys, not the connector\'s 100,000', async () => {
  const keys = page();
  const client = await pool.connect();
  let read: number;
  try {
    await client.query('BEGIN'); // the analysed statement runs: nothing of it stays
    read = rowsRead(await explainAnalyzed(client, MARK_SEEN, ['c', 2, keys, keys.map(() => null)]), readsSeen);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
  expect(read).toBeLessThanOrEqual(keys.length); // (the next test checks that the five removed keys are found)
});

it('returns the record ids of the keys that had been marked removed, and lists every key in the pass', async () => {
  const keys = page();
  const back = await inTransaction(pool, (client) => markSeen(client, 'c', 2, keys.map((key) => ({ key, recordId: null }))));
  const expected = await pool.query<{ id: string }>(`SELECT md5('seen-' || g)::uuid::text AS id FROM unnest(ARRAY[100, 200, 300, 400, 500]) AS g`);
  expect(back.sort()).toEqual(expected.rows.map((r) => r.id).sort());
  const { rows } = await pool.query<{ n: number; removed: number }>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE removed)::int AS removed FROM connector_seen WHERE connector = 'c' AND source_key = ANY($1) AND last_seen_pass = 2`, [keys],
  );
  expect(rows[0]).toEqual({ n: 500, removed: 0 });
});

it('a page listed again updates each key\'s row in place, touching no index (heap-only tuples, migration 027)', async () => {
  // listed in pass 1 and not marked removed (every hundredth is), untouched by the tests above
  const keys = Array.from({ length: 1000 }, (_, i) => 1001 + i).filter((g) => g % 100 !== 0).map((g) => `K${g}`);
  const updates = await inTransaction(pool, async (client) => {
    // the backend's counts not yet reported include earlier transactions' on this connection: the difference is this page's
    const counts = async () => (await client.query<{ updated: number; in_place: number }>(
      `SELECT n_tup_upd::int AS updated, n_tup_hot_upd::int AS in_place FROM pg_stat_xact_user_tables WHERE relname = 'connector_seen'`,
    )).rows[0] ?? { updated: 0, in_place: 0 };
    const before = await counts();
    await markSeen(client, 'c', 3, keys.map((key) => ({ key, recordId: null })));
    const after = await counts();
    return { updated: after.updated - before.updated, in_place: after.in_place - before.in_place };
  });
  expect(updates).toEqual({ updated: keys.length, in_place: keys.length });
});
