/**
 * The auth writer's audit rows on the real PostgreSQL: two writers (as two gateway processes would)
 * appending at once build one intact chain, also while they admit requests in the same statements,
 * and a retried audit row never counts its request twice; a write that cannot happen rejects every row
 * it carried.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/auth/audit-chain.js';
import { verifyAuditLog } from '../../src/auth/audit-verify.js';
import { AuthWriter } from '../../src/auth/auth-writer.js';
import { createMetrics } from '../../src/metrics.js';
import { migrate } from '../../src/store/migrate.js';
import { createTestDatabase } from '../support/env.js';

let db: { url: string; drop(): Promise<void> };
let poolA: pg.Pool;
let poolB: pg.Pool;
const writers: AuthWriter[] = [];

function newWriter(pool: pg.Pool, metrics?: ReturnType<typeof createMetrics>): AuthWriter {
  const w = new AuthWriter(pool, metrics);
  writers.push(w);
  return w;
}

const entry = (writer: string, i: number): AuditEntry => ({
  at: new Date().toISOString(), partnerId: writer, claimedIss: writer, route: '/v1/catalog', method: 'GET', path: '/v1/catalog',
  status: 200, errorCode: null, subjects: [], purpose: null, jti: `${writer}-${i}`, requestDigest: null,
  responseDigest: 'sha-256=:AAAA:', durationUs: i, clientAddr: '127.0.0.1',
});

beforeAll(async () => {
  db = await createTestDatabase();
  poolA = new pg.Pool({ connectionString: db.url, max: 4 });
  poolB = new pg.Pool({ connectionString: db.url, max: 4 });
  await migrate(poolA);
});

afterAll(async () => {
  await Promise.all(writers.map((w) => w.close()));
  await poolA?.end();
  await poolB?.end();
  await db?.drop();
});

describe('auth writer: audit rows', () => {
  it('two writers appending at once form one intact chain with every row', async () => {
    const a = newWriter(poolA);
    const b = newWriter(poolB);
    const appends: Array<Promise<void>> = [];
    for (let i = 0; i < 150; i++) appends.push(a.append(entry('A', i)), b.append(entry('B', i)));
    await Promise.all(appends);
    const { rows } = await poolA.query('SELECT partner_id, count(*)::int AS n FROM audit_log GROUP BY 1 ORDER BY 1');
    expect(rows).toEqual([{ partner_id: 'A', n: 150 }, { partner_id: 'B', n: 150 }]);
    expect(await verifyAuditLog(poolA)).toEqual({ rows: 300, headSeq: 300, finding: null });
  });

  it('admits each request once while the audit rows sharing its statements are retried onto a moving head', async () => {
    const a = newWriter(poolA);
    const b = newWriter(poolB);
    const limit = { requests: 10_000, perSeconds: 3600 };
    const admissions: Array<Promise<{ replayed: boolean; hits: number }>> = [];
    const appends: Array<Promise<void>> = [];
    for (let i = 0; i < 200; i++) {
      for (const [name, w] of [['D', a], ['E', b]] as const) {
        admissions.push(w.admit({ partnerId: 'P-MIXED', jti: `${name}-${i}`, rememberUntil: Date.now() / 1000 + 300, limit }, Date.UTC(2026, 10, 24, 9)));
        appends.push(w.append(entry(name, i)));
      }
    }
    const admitted = await Promise.all(admissions);
    await Promise.all(appends);
    expect(admitted.filter((r) => r.replayed)).toEqual([]);
    expect(admitted.map((r) => r.hits).sort((x, y) => x - y)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    const { rows } = await poolA.query(`SELECT partner_id, count(*)::int AS n FROM audit_log WHERE partner_id IN ('D', 'E') GROUP BY 1 ORDER BY 1`);
    expect(rows).toEqual([{ partner_id: 'D', n: 200 }, { partner_id: 'E', n: 200 }]);
    expect((await verifyAuditLog(poolA)).finding).toBeNull();
  });

  it('rejects the rows of a write that fails, and writes again once it can', async () => {
    const w = newWriter(poolA);
    await w.append(entry('C', 0));
    await poolA.query('ALTER TABLE audit_log RENAME TO audit_log_gone');
    try {
      const results = await Promise.allSettled([w.append(entry('C', 1)), w.append(entry('C', 2))]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      // the writer no longer knows the chain end: the statement that would read it fails too, and says so
      await expect(w.append(entry('C', 3))).rejects.toThrow(/audit_log/);
    } finally {
      await poolA.query('ALTER TABLE audit_log_gone RENAME TO audit_log');
    }
    await w.append(entry('C', 4));
    expect((await verifyAuditLog(poolA)).finding).toBeNull();
  });

  it('gives each request its wait on /metrics, by part, and each statement its duration', async () => {
    const metrics = createMetrics();
    const w = newWriter(poolA, metrics);
    const limit = { requests: 10_000, perSeconds: 3600 };
    await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => w.admit({ partnerId: 'P-TIMED', jti: `T-${i}`, rememberUntil: Date.now() / 1000 + 300, limit })),
      ...Array.from({ length: 25 }, (_, i) => w.append(entry('T', i))),
    ]);
    await w.append(entry('T', 25)); // a statement of its own, after the others
    const text = await metrics.registry.metrics();
    const sample = (name: string) => Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(sample('gateway_auth_write_wait_seconds_count{part="admission"}')).toBe(40);
    expect(sample('gateway_auth_write_wait_seconds_count{part="audit"}')).toBe(26);
    const statements = sample('gateway_auth_write_statement_seconds_count');
    expect(statements).toBeGreaterThanOrEqual(2); // the batch (and its head read), then the last row alone
    expect(statements).toBeLessThan(66);
    // every wait covers at least its own statement: the waits add up to more than the statements took
    expect(sample('gateway_auth_write_wait_seconds_sum{part="audit"}')).toBeGreaterThan(sample('gateway_auth_write_statement_seconds_sum') / statements);
  });
});
