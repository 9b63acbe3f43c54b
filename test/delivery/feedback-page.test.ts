/**
 * The database way's read of a platform's feedback table (exchange-schema.ts feedbackPageStatement),
 * on the real PostgreSQL and MariaDB: pages after the cursor walk every settled answer once, in
 * (answered_at, event_id) order, answers sharing a time included; and each page is found through the
 * (answered_at, event_id) index, not by sorting every answer after the cursor (with 185,000 answers
 * waiting, that took 70 ms a page) — also when PostgreSQL's statistics of the table are older than its
 * growth, with the reader's settings. The lookup of answered events' rows uses event_id's unique index.
 */
import { randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../../src/connectors/exchange-db/source-query.js';
import { createExchangeTableSql, createFeedbackTableSql, exchangeColumns, feedbackPageStatement, readerSettings, rowsOfEventsStatement } from '../../src/delivery/exchange-schema.js';
import { createScratchDatabase, type ScratchDatabase } from '../../src/dev/scratch-database.js';
import { createTestMariaDb, pgAdminUrl } from '../support/env.js';
import { explain, planNodes } from '../support/plan-nodes.js';

const ANSWERS = 3000;
const PAGE = 250;
const TABLE = 'credit_feedback';

interface Db {
  rows(sql: string, params: unknown[]): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

const sides: Partial<Record<Dialect, { scratch: ScratchDatabase; db: Db }>> = {};

async function open(dialect: Dialect, url: string): Promise<Db> {
  if (dialect === 'mysql') {
    const conn = await mysql.createConnection({ uri: url, dateStrings: true });
    return { rows: async (sql, params) => (await conn.query(sql, params))[0] as Array<Record<string, unknown>>, close: () => conn.end() };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return { rows: async (sql, params) => (await client.query(sql, params)).rows, close: () => client.end() };
}

/** ANSWERS answers, ten to each time (so the event id decides within a time), all older than the settle time. */
async function fill(dialect: Dialect, db: Db): Promise<void> {
  for (const sql of createFeedbackTableSql(dialect, TABLE)) await db.rows(sql, []);
  for (let i = 0; i < ANSWERS; i += 500) {
    const values: unknown[] = [];
    const rows: string[] = [];
    for (let j = i; j < i + 500; j++) {
      const at = new Date(Date.UTC(2026, 11, 1, 8, 0, Math.floor(j / 10))).toISOString().replace('T', ' ').replace('Z', '');
      rows.push(dialect === 'postgres' ? `($${values.length + 1}::uuid, 'accepted', $${values.length + 2}::timestamptz)` : '(?, \'accepted\', ?)');
      values.push(randomUUID(), dialect === 'postgres' ? `${at}+00` : at);
    }
    await db.rows(`INSERT INTO ${TABLE} (event_id, outcome, answered_at) VALUES ${rows.join(', ')}`, values);
  }
  await db.rows(dialect === 'postgres' ? `ANALYZE ${TABLE}` : `ANALYZE TABLE ${TABLE}`, []);
}

beforeAll(async () => {
  const pgScratch = await createScratchDatabase(pgAdminUrl(), 'gw_fbpage');
  const myScratch = await createTestMariaDb();
  for (const [dialect, scratch] of [['postgres', pgScratch], ['mysql', myScratch]] as const) {
    const db = await open(dialect, scratch.url);
    sides[dialect] = { scratch, db };
    await fill(dialect, db);
  }
}, 60_000);

afterAll(async () => {
  for (const side of Object.values(sides)) {
    await side.db.close();
    await side.scratch.drop();
  }
});

describe.each(['postgres', 'mysql'] as const)('%s', (dialect) => {
  it('pages after the cursor walk every settled answer once, in (answered_at, event_id) order', async () => {
    const { db } = sides[dialect]!;
    const all = await db.rows(`SELECT event_id${dialect === 'postgres' ? '::text' : ''} AS e FROM ${TABLE} ORDER BY answered_at, event_id`, []);
    const seen: string[] = [];
    let cursor: { answeredAt: string; eventId: string } | null = null;
    for (let pages = 0; pages <= ANSWERS / PAGE + 1; pages++) {
      const s = feedbackPageStatement(dialect, TABLE, cursor, 500, PAGE);
      const rows = await db.rows(s.sql, s.params);
      if (!rows.length) break;
      seen.push(...rows.map((r) => String(r.event_id)));
      const last = rows[rows.length - 1]!;
      cursor = { answeredAt: String(last.answered_at), eventId: String(last.event_id) };
    }
    expect(seen).toHaveLength(ANSWERS);
    expect(seen).toEqual(all.map((r) => String(r.e)));
  });

  it('a page is found through the (answered_at, event_id) index, not by sorting what follows the cursor', async () => {
    const { db } = sides[dialect]!;
    const text = (column: string) => (dialect === 'postgres' ? `${column}::text` : column);
    const [first] = await db.rows(`SELECT ${text('answered_at')} AS a, ${text('event_id')} AS e FROM ${TABLE} ORDER BY answered_at, event_id LIMIT 1 OFFSET 10`, []);
    const s = feedbackPageStatement(dialect, TABLE, { answeredAt: String(first!.a), eventId: String(first!.e) }, 500, PAGE);
    if (dialect === 'postgres') {
      const client = new pg.Client({ connectionString: sides.postgres!.scratch.url });
      await client.connect();
      try {
        expect(planNodes(await explain(client, s.sql, s.params))).toEqual(['Limit', `Index Scan on ${TABLE}_answered`]);
      } finally {
        await client.end();
      }
    } else {
      const plan = await db.rows(`EXPLAIN ${s.sql}`, s.params);
      expect(plan).toHaveLength(1);
      expect(plan[0]).toMatchObject({ table: 'f', type: 'range', key: 'answered_at' });
      expect(String(plan[0]!.Extra)).not.toMatch(/filesort/);
    }
  });
});

it('the rows of answered events are looked up through event_id\'s unique index (PostgreSQL)', async () => {
  const client = new pg.Client({ connectionString: sides.postgres!.scratch.url });
  await client.connect();
  try {
    const table = 'credit_admin_penalty';
    await client.query(createExchangeTableSql('postgres', table, exchangeColumns('admin_penalty')));
    await client.query(`INSERT INTO ${table} (record_id, event_id, version, op) SELECT gen_random_uuid(), gen_random_uuid(), 1, 'upsert' FROM generate_series(1, 2000)`);
    await client.query(`ANALYZE ${table}`);
    const [{ e }] = (await client.query<{ e: string }>(`SELECT event_id::text AS e FROM ${table} LIMIT 1`)).rows as [{ e: string }];
    const s = rowsOfEventsStatement('postgres', table, [e, randomUUID()]);
    expect((await client.query(s.sql, s.params)).rows.map((r: { event_id: string }) => r.event_id)).toEqual([e]);
    const nodes = planNodes(await explain(client, s.sql, s.params));
    expect(nodes.filter((n) => n.startsWith('Seq Scan'))).toEqual([]);
    expect(nodes).toContainEqual(expect.stringMatching(new RegExp(`^(Index Scan|Bitmap Index Scan) on ${table}_event_id_key$`)));
  } finally {
    await client.end();
  }
});

it('with statistics older than the table\'s growth, the reader\'s settings keep a page on the index, for its transaction only (PostgreSQL)', async () => {
  const client = new pg.Client({ connectionString: sides.postgres!.scratch.url });
  await client.connect();
  try {
    const table = 'stale_feedback';
    for (const sql of createFeedbackTableSql('postgres', table)) await client.query(sql);
    await client.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
    // analysed after its first 5,000 answers; 60,000 newer ones since, the cursor among them
    const answers = (from: number, count: number) => client.query(`INSERT INTO ${table} (event_id, outcome, answered_at)
      SELECT gen_random_uuid(), 'accepted', now() - interval '10 minutes' + ($1::int + i) * interval '1 ms' FROM generate_series(1, $2::int) AS i`, [from, count]);
    await answers(0, 5000);
    await client.query(`ANALYZE ${table}`);
    await answers(5000, 60_000);
    const [cursor] = (await client.query<{ a: string; e: string }>(`SELECT answered_at::text AS a, event_id::text AS e FROM ${table} ORDER BY answered_at, event_id OFFSET 6000 LIMIT 1`)).rows;
    // a page as the database way reads one (FEEDBACK_PAGE)
    const s = feedbackPageStatement('postgres', table, { answeredAt: cursor!.a, eventId: cursor!.e }, 500, 1000);
    // what a session without them does: every answer after the cursor read and sorted
    expect(planNodes(await explain(client, s.sql, s.params))).toContain('Sort');
    const page = async () => (await client.query(s.sql, s.params)).rows.map((r: { event_id: string }) => r.event_id);
    const sorted = await page();
    // the reader's settings hold for its statement's transaction
    await client.query('BEGIN');
    for (const sql of readerSettings('postgres')) await client.query(sql);
    expect(planNodes(await explain(client, s.sql, s.params))).toEqual(['Limit', `Index Scan on ${table}_answered`]);
    expect(await page()).toEqual(sorted);
    await client.query('COMMIT');
    expect(sorted).toHaveLength(1000);
    // and not after it (a pooler may hand the connection to another client)
    expect((await client.query('SHOW enable_sort')).rows).toEqual([{ enable_sort: 'on' }]);
  } finally {
    await client.end();
  }
});
