/**
 * The audit writer on the real PostgreSQL: two writers (as two gateway processes would) appending at
 * once build one intact chain; a write that cannot happen rejects every row it carried.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/auth/audit-chain.js';
import { verifyAuditLog } from '../../src/auth/audit-verify.js';
import { AuditWriter } from '../../src/auth/audit-writer.js';
import { migrate } from '../../src/store/migrate.js';
import { createTestDatabase } from '../support/env.js';

let db: { url: string; drop(): Promise<void> };
let poolA: pg.Pool;
let poolB: pg.Pool;

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
  await poolA?.end();
  await poolB?.end();
  await db?.drop();
});

describe('audit writer', () => {
  it('two writers appending at once form one intact chain with every row', async () => {
    const a = new AuditWriter(poolA);
    const b = new AuditWriter(poolB);
    const appends: Array<Promise<void>> = [];
    for (let i = 0; i < 150; i++) appends.push(a.append(entry('A', i)), b.append(entry('B', i)));
    await Promise.all(appends);
    const { rows } = await poolA.query('SELECT partner_id, count(*)::int AS n FROM audit_log GROUP BY 1 ORDER BY 1');
    expect(rows).toEqual([{ partner_id: 'A', n: 150 }, { partner_id: 'B', n: 150 }]);
    expect(await verifyAuditLog(poolA)).toEqual({ rows: 300, headSeq: 300, finding: null });
  });

  it('rejects the rows of a write that fails, and writes again once it can', async () => {
    const w = new AuditWriter(poolA);
    await w.append(entry('C', 0));
    await poolA.query('ALTER TABLE audit_log RENAME TO audit_log_gone');
    try {
      const results = await Promise.allSettled([w.append(entry('C', 1)), w.append(entry('C', 2))]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    } finally {
      await poolA.query('ALTER TABLE audit_log_gone RENAME TO audit_log');
    }
    await w.append(entry('C', 3));
    expect((await verifyAuditLog(poolA)).finding).toBeNull();
  });
});
