/**
 * A batch's lookups by key on a small store: the records and subjects a batch of 500 names are found
 * through their primary keys, not by reading the whole tables.
 *
 * A store of 30,000 records, written through writeRecords in batches as ingest writes them and then
 * analysed. The next batch (250 records seen before, 250 new) is written on a connection that EXPLAINs
 * each statement first. With the gateway's planner settings (sessionOptions: random_page_cost 1.1)
 * no plan scans records or subjects sequentially, nor looks a subject up by its exact name through the
 * trigram index (learnSubjects once did, at 7 ms a row: 3.7 s for the batch); with PostgreSQL's default
 * random_page_cost of 4 the same batch reads both tables whole (bench:ingest's first 30,000 records
 * read 27 rows of each per record written).
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { RecordPreparer } from '../../src/ingest/prepare.js';
import { inTransaction } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { writeRecords, type PreparedRecord } from '../../src/store/records-repo.js';
import { RecordValidator } from '../../src/validation/validator.js';
import { createTestDatabase, testConfig } from '../support/env.js';
import { explainingClient, plannedLikeTheGateway, planNodes, type PlanNode } from '../support/plan-nodes.js';

const STORED = 30_000;
const BATCH = 500;
const NO_DESTINATIONS = { destinationsFor: () => [], stillConfigured: () => [] };

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let preparer: RecordPreparer;

function prepared(from: number, count: number): PreparedRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const p = preparer.prepare(sampleRecordInput(n % 2 ? 'admin_license' : 'dishonest_debtor', n));
    if (!p.ok) throw new Error(`sample record ${n}: ${JSON.stringify(p.errors)}`);
    return p.record;
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = plannedLikeTheGateway(db.url, 2);
  await migrate(pool);
  preparer = new RecordPreparer(new RecordValidator(), testConfig(db.url).publicationPeriods);
  for (let from = 0; from < STORED; from += BATCH) {
    const batch = prepared(from, BATCH);
    await inTransaction(pool, (c) => writeRecords(c, batch, { actor: 'test', outbox: NO_DESTINATIONS }));
  }
  await pool.query('ANALYZE records; ANALYZE subjects; ANALYZE record_versions');
}, 300_000);

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** Every plan node of the statements the next batch's write sends (rolled back); `randomPageCost` overrides the connection's. */
async function nextBatchPlans(randomPageCost?: number): Promise<string[]> {
  const nodes: string[] = [];
  const batch = [...prepared(STORED - BATCH / 2, BATCH / 2), ...prepared(STORED, BATCH / 2)];
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    if (randomPageCost !== undefined) await client.query(`SET LOCAL random_page_cost = ${randomPageCost}`);
    const explaining = explainingClient<PlanNode>(client, (_sql, plan) => nodes.push(...planNodes(plan)));
    const outcomes = await writeRecords(explaining, batch, { actor: 'test', outbox: NO_DESTINATIONS });
    expect(outcomes.map((o) => o.result).sort()).toEqual([...Array<string>(BATCH / 2).fill('created'), ...Array<string>(BATCH / 2).fill('unchanged')]);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
  return nodes;
}

describe('a batch of 500 on a store of 30,000 records', () => {
  it('finds its records and subjects by primary key with the gateway\'s planner settings', async () => {
    expect((await pool.query<{ random_page_cost: string }>('SHOW random_page_cost')).rows[0]?.random_page_cost).toBe('1.1');
    const nodes = await nextBatchPlans();
    expect(nodes).not.toContain('Seq Scan on records');
    expect(nodes).not.toContain('Seq Scan on subjects');
    expect(nodes.some((n) => n.endsWith(' on records_pkey'))).toBe(true);
    expect(nodes.some((n) => n.endsWith(' on subjects_pkey'))).toBe(true);
    // the trigram index is for searching by part of a name; an exact name through it cost 7 ms a row here
    expect(nodes.filter((n) => n.includes('_trgm_idx'))).toEqual([]);
  });

  it('reads them whole at PostgreSQL\'s default random_page_cost (why the gateway sets its own)', async () => {
    const nodes = await nextBatchPlans(4);
    expect(nodes.filter((n) => n === 'Seq Scan on records' || n === 'Seq Scan on subjects').length).toBeGreaterThan(0);
  });
});
