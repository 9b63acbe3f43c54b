/**
 * The auth writer's admissions (the PostgreSQL admission store) on the real database: concurrent requests are admitted in batches,
 * and a batch must still give each request its own answer — a jti is fresh exactly once (also when
 * the same token arrives twice in one batch, or at two gateway processes at once), and each request
 * gets its own place in its partner's rate window.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admission } from '../../src/auth/admission-store.js';
import { AuthWriter } from '../../src/auth/auth-writer.js';
import { migrate } from '../../src/store/migrate.js';
import { createTestDatabase } from '../support/env.js';

let db: { url: string; drop(): Promise<void> };
let pool: pg.Pool;
const stores: AuthWriter[] = [];

const NOW = Date.UTC(2026, 10, 23, 8, 0, 10);
const HOUR = { requests: 250, perSeconds: 3600 };
/** NOW fixes the rate window; the jti is remembered until 5 minutes past the database's own clock */
const admission = (partnerId: string, jti: string, limit = HOUR): Admission => ({ partnerId, jti, rememberUntil: Date.now() / 1000 + 300, limit });

function newStore(): AuthWriter {
  const store = new AuthWriter(pool);
  stores.push(store);
  return store;
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  await migrate(pool);
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await pool?.end();
  await db?.drop();
});

describe('auth writer: admissions', () => {
  it('gives 300 concurrent requests the window counts 1..300, refusing none as replays', async () => {
    const store = newStore();
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => store.admit(admission('P-COUNT', `jti-${i}`), NOW)));
    expect(results.every((r) => !r.replayed)).toBe(true);
    expect(results.map((r) => r.hits).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(results.filter((r) => r.hits > HOUR.requests)).toHaveLength(50);
    expect(results[0]!.retryAfterSeconds).toBe(3600 - (NOW / 1000) % 3600);
    const { rows } = await pool.query(`SELECT hits FROM auth_rate_counters WHERE partner_id = 'P-COUNT'`);
    expect(rows).toEqual([{ hits: 300 }]);
  });

  it('counts each partner in its own window when their requests share a batch', async () => {
    const store = newStore();
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => store.admit(admission(i % 3 === 0 ? 'P-A' : 'P-B', `mixed-${i}`), NOW)),
    );
    const hitsOf = (p: string) => results.filter((_, i) => (i % 3 === 0 ? 'P-A' : 'P-B') === p).map((r) => r.hits).sort((a, b) => a - b);
    expect(hitsOf('P-A')).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(hitsOf('P-B')).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('admits a token sent twice at once to one process exactly once', async () => {
    const store = newStore();
    const results = await Promise.all([
      store.admit(admission('P-TWICE', 'same'), NOW),
      store.admit(admission('P-TWICE', 'other'), NOW),
      store.admit(admission('P-TWICE', 'same'), NOW),
    ]);
    expect(results.map((r) => r.replayed)).toEqual([false, false, true]);
    expect(results.map((r) => r.hits).sort()).toEqual([1, 2, 3]); // a replay is still a request against the limit
    expect((await store.admit(admission('P-TWICE', 'same'), NOW)).replayed).toBe(true);
  });

  it('admits each of 100 tokens exactly once when every token reaches two processes at once', async () => {
    const a = newStore();
    const b = newStore();
    const jtis = Array.from({ length: 100 }, (_, i) => `race-${i}`);
    const [fromA, fromB] = await Promise.all([
      Promise.all(jtis.map((j) => a.admit(admission('P-RACE', j), NOW))),
      Promise.all([...jtis].reverse().map((j) => b.admit(admission('P-RACE', j), NOW))),
    ]);
    const freshB = new Map([...jtis].reverse().map((j, i) => [j, !fromB[i]!.replayed]));
    for (const [i, j] of jtis.entries()) expect([!fromA[i]!.replayed, freshB.get(j)].filter(Boolean)).toHaveLength(1);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM auth_jti WHERE partner_id = 'P-RACE'`);
    expect(rows[0].n).toBe(100);
  });

  it('lets the jti of an expired token be used again', async () => {
    const store = newStore();
    const expired = { ...admission('P-EXPIRED', 'old'), rememberUntil: Date.now() / 1000 - 60 };
    expect((await store.admit(expired, NOW)).replayed).toBe(false);
    expect((await store.admit(admission('P-EXPIRED', 'old'), NOW)).replayed).toBe(false);
    expect((await store.admit(admission('P-EXPIRED', 'old'), NOW)).replayed).toBe(true);
  });

  it('rejects every request of a batch the database refuses, and admits again once it can', async () => {
    const store = newStore();
    await pool.query('ALTER TABLE auth_jti RENAME TO auth_jti_gone');
    try {
      const results = await Promise.allSettled([store.admit(admission('P-DOWN', 'a'), NOW), store.admit(admission('P-DOWN', 'b'), NOW)]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    } finally {
      await pool.query('ALTER TABLE auth_jti_gone RENAME TO auth_jti');
    }
    expect((await store.admit(admission('P-DOWN', 'a'), NOW)).replayed).toBe(false);
  });
});
