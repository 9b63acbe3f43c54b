/**
 * The expiry job's batch is found by walking records_expiry_idx in its order and stopping at the
 * limit, whatever the planner estimates. Seen on a bench database after a pull of 100,000 records whose
 * periods had ended years before, most on one day: statistics taken before the pull, every batch of
 * 500 read and sorted all the expiring envelopes (2.6 s and 190 MB on disk each, for 270 batches).
 * Here 20,000 records end on one day, stored after the statistics were taken.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_EXPIRING, lockExpiringRecords } from '../../src/store/records-repo.js';
import { seedRecords } from '../../src/store/seed-records.js';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import { explain, findNode, planNodes, staleStatisticsDatabase } from '../support/plan-nodes.js';

const EXPIRING = 20_000;
const BATCH = 500;
const TODAY = '2026-12-06';

/** EXPIRING records, each with a 600-character penalty text; all ended on 2019-10-07 but every tenth, which ended on 2019-04-01. */
const SEED_ROWS = `
SELECT r.id AS record_id, 'bidding_misconduct' AS category, 'N:' || r.g AS subject_key, NULL AS uscc, '320583' AS region,
       'active' AS status, 'sha256:' || md5(r.id::text) AS content_hash,
       jsonb_build_object('recordId', r.id, 'category', 'bidding_misconduct', 'polarity', 'negative', 'severity', 'general',
         'subject', jsonb_build_object('name', '某建设工程有限公司' || r.g, 'kind', 'enterprise', 'region', '320583'),
         'source', jsonb_build_object('system', 'seed-ggzy', 'key', 'K' || r.g),
         'decidedAt', '2019-04-08', 'publishFrom', '2019-04-08', 'publishUntil', r.until, 'status', 'active', 'version', 1,
         'data', jsonb_build_object('text', repeat('围标串标，弄虚作假骗取中标。', 40))) AS envelope,
       now() AS created_at
  FROM (SELECT g, md5('expiring-' || g)::uuid AS id, CASE WHEN g % 10 = 0 THEN '2019-04-01' ELSE '2019-10-07' END AS until
          FROM generate_series($1::int, $2::int) AS g) AS r`;

let db: ScratchDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  ({ db, pool } = await staleStatisticsDatabase(['records', 'record_versions'], 3));
  await seedRecords(pool, SEED_ROWS, [1, 50]);
  await pool.query('ANALYZE records');
  await pool.query('ANALYZE record_versions');
  await seedRecords(pool, SEED_ROWS, [51, EXPIRING]);
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** The nodes below the batch's LIMIT (in the CTE that picks the rows), top down ("LockRows", "Index Scan on records_expiry_idx"). */
async function belowLimit(): Promise<string[]> {
  const limit = findNode(await explain(pool, LOCK_EXPIRING, [TODAY, BATCH]), 'Limit');
  return (limit?.Plans ?? []).flatMap(planNodes);
}

describe('expiry batch with 20,000 expiring records the statistics do not know about', () => {
  it('walks records_expiry_idx in order and sorts nothing before the limit', async () => {
    expect(await belowLimit()).toEqual(['LockRows', 'Index Scan on records_expiry_idx']);
  });

  it('gives the oldest ends first, in (publishUntil, recordId) order, and two transactions never the same record', async () => {
    const [a, b] = [await pool.connect(), await pool.connect()];
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      const first = await lockExpiringRecords(a, TODAY, BATCH);
      const second = await lockExpiringRecords(b, TODAY, BATCH);
      expect(first).toHaveLength(BATCH);
      expect(second).toHaveLength(BATCH);
      const keys = [...first, ...second].map(({ current: e }) => `${e.publishUntil} ${e.recordId}`);
      expect(keys).toEqual([...keys].sort());
      expect(new Set(keys).size).toBe(2 * BATCH);
      // 2,000 records ended on 2019-04-01: the first two batches are all of them
      expect(keys.every((k) => k.startsWith('2019-04-01 '))).toBe(true);
    } finally {
      await a.query('ROLLBACK');
      await b.query('ROLLBACK');
      a.release();
      b.release();
    }
  });

  it('leaves out records whose period has not ended and records that are not published', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      expect(await lockExpiringRecords(client, '2019-04-01', BATCH)).toEqual([]); // ends before 2019-04-01: none
      await client.query(`UPDATE records SET status = 'objected' WHERE publish_until = '2019-04-01'`);
      const batch = await lockExpiringRecords(client, '2019-04-02', BATCH);
      expect(batch).toEqual([]);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
