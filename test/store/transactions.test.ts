/** inTransaction on the real PostgreSQL: a transaction aborted to break a real deadlock is run again. */
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { inTransaction } from '../../src/store/db.js';
import { createTestDatabase } from '../support/env.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

it('two transactions that deadlock both complete: PostgreSQL aborts one, inTransaction runs it again', async () => {
  const attempts = { a: 0, b: 0 };
  let aHolds = false;
  let bHolds = false;
  // Each first attempt waits until the other transaction holds its first lock, so the two surely
  // deadlock; if the other never gets there, the attempt fails (and with it the test) with `what`.
  const waitUntil = (what: string, cond: () => boolean) => vi.waitFor(() => {
    if (!cond()) throw new Error(`${what} within 10 s`);
  }, { timeout: 10_000, interval: 10 });
  const a = inTransaction(pool, async (c) => {
    attempts.a++;
    await c.query('SELECT pg_advisory_xact_lock(9001)');
    aHolds = true;
    if (attempts.a === 1) await waitUntil('b did not take its first lock', () => bHolds);
    await c.query('SELECT pg_advisory_xact_lock(9002)');
    return 'a';
  });
  const b = inTransaction(pool, async (c) => {
    attempts.b++;
    await c.query('SELECT pg_advisory_xact_lock(9002)');
    bHolds = true;
    if (attempts.b === 1) await waitUntil('a did not take its first lock', () => aHolds);
    await c.query('SELECT pg_advisory_xact_lock(9001)');
    return 'b';
  });
  expect(await Promise.all([a, b])).toEqual(['a', 'b']);
  // exactly one of them was chosen as the deadlock victim and ran twice
  expect(attempts.a + attempts.b).toBe(3);
});

it('other errors are not retried', async () => {
  let attempts = 0;
  await expect(inTransaction(pool, async (c) => {
    attempts++;
    await c.query('SELECT 1/0');
  })).rejects.toThrow(/division by zero/);
  expect(attempts).toBe(1);
});
