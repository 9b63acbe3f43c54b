/**
 * PostgreSQL failures, from the README Operations bullet: the process never exits because of a
 * database error; a request that needs PostgreSQL while it is down, or that waits longer than
 * store.statementTimeoutMs on a statement (a held lock), gets 503 GW_STORE_UNAVAILABLE with
 * Retry-After and its transaction is rolled back whole; the gateway serves again as soon as PostgreSQL
 * answers. (Audit rows that cannot be written fail the request with 503 GW_AUDIT_UNAVAILABLE.)
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import {
  type Answer,
  expectSigned,
  type GatewayEnv,
  isProblem,
  makePartner,
  makeUscc,
  penaltyItem,
  pgAdminUrl,
  request,
  scratchDatabase,
  show,
  signed,
  startGateway,
} from './helpers.js';

const P = makePartner({
  id: '11320583000012343X',
  name: '昆山市市场监督管理局',
  scopes: ['records:write', 'records:read'],
  sourceSystems: ['scjg.kunshan'],
  categories: ['*'],
  regions: ['*'],
});
const STATEMENT_TIMEOUT_MS = 1500;
const UNAVAILABLE = ['GW_STORE_UNAVAILABLE', 'GW_AUDIT_UNAVAILABLE'];

let db: ScratchDatabase;
let gw: GatewayEnv;
let serial = 70_000;
const subject = () => makeUscc('91', '320583', ++serial);

beforeAll(async () => {
  db = await scratchDatabase();
  gw = await startGateway(db.url, [P], { store: { statementTimeoutMs: STATEMENT_TIMEOUT_MS, connectionTimeoutMs: 1500, poolMax: 4 } });
});

afterAll(async () => {
  await gw?.stop();
  await db?.drop();
});

async function admin<T>(fn: (c: pg.Client) => Promise<T>, url = pgAdminUrl()): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const push = (uscc: string, key: string) => signed(gw.url, P, 'POST', '/v1/records', { body: { records: [penaltyItem({ system: 'scjg.kunshan', key, uscc })] } });

async function storedFor(uscc: string): Promise<unknown[]> {
  const ans = await signed(gw.url, P, 'GET', `/v1/records?uscc=${uscc}`);
  expect(ans.status, show(ans)).toBe(200);
  return ans.json.items;
}

function expectUnavailable(ans: Answer, what: string): void {
  expect(ans.status, `${what}: ${show(ans)}`).toBe(503);
  expect(isProblem(ans), `${what}: ${show(ans)}`).toBe(true);
  expect(UNAVAILABLE, `${what}: ${show(ans)}`).toContain(ans.json.code);
  if (ans.json.code === 'GW_STORE_UNAVAILABLE') expect(String(ans.headers['retry-after'] ?? ''), `${what}: Retry-After`).toMatch(/^\d+$/);
}

async function terminateGatewayConnections(): Promise<number> {
  return admin(async (c) => {
    const { rows } = await c.query<{ n: number }>('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db.name]);
    return rows[0]!.n;
  });
}

describe('PostgreSQL failures', () => {
  it('a push waiting on a held lock longer than statementTimeoutMs is a signed 503 GW_STORE_UNAVAILABLE with Retry-After, rolled back whole', async () => {
    const uscc = subject();
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    let ans: Answer;
    const t0 = Date.now();
    try {
      const { rows } = await locker.query<{ t: string | null }>("SELECT to_regclass('records')::text AS t");
      expect(rows[0]!.t, 'the records table named in the README').toBe('records');
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE records IN ACCESS EXCLUSIVE MODE');
      ans = await push(uscc, 'locked-1');
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    const waited = Date.now() - t0;
    expect(ans.status, show(ans)).toBe(503);
    expect(ans.json?.code, show(ans)).toBe('GW_STORE_UNAVAILABLE');
    expect(String(ans.headers['retry-after'] ?? ''), 'Retry-After').toMatch(/^\d+$/);
    await expectSigned(gw.url, ans);
    expect(waited, 'answered soon after the statement timeout').toBeLessThan(STATEMENT_TIMEOUT_MS + 8000);
    expect(await storedFor(uscc), 'nothing of the timed-out batch was stored').toHaveLength(0);
    // and the gateway serves again at once
    const again = await push(uscc, 'locked-1');
    expect(again.status, show(again)).toBe(200);
    expect(again.json.results[0].status).toBe('created');
  });

  it('connections killed under load: every answer is 200 or a 503 problem (never 500, never a dropped connection), the process lives, service comes back', async () => {
    const answers: (Answer | Error)[] = [];
    const inFlight: Promise<void>[] = [];
    let killed = 0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 20; i++) {
        const p = (i % 2 === 0 ? push(subject(), `kill-${round}-${i}`) : signed(gw.url, P, 'GET', '/v1/records?limit=5')).then(
          (a) => void answers.push(a),
          (e: Error) => void answers.push(e),
        );
        inFlight.push(p);
        if (i === 5) killed += await terminateGatewayConnections();
      }
      await Promise.all(inFlight);
    }
    expect(killed, 'the test did kill gateway connections').toBeGreaterThan(0);
    const bad: string[] = [];
    for (const a of answers) {
      if (a instanceof Error) bad.push(`connection error: ${a.message}`);
      else if (a.status === 200) continue;
      else if (a.status === 503 && isProblem(a) && UNAVAILABLE.includes(a.json.code) && (a.json.code !== 'GW_STORE_UNAVAILABLE' || /^\d+$/.test(String(a.headers['retry-after'] ?? '')))) continue;
      else bad.push(show(a));
    }
    expect(bad.slice(0, 5), `${bad.length} of ${answers.length} answers`).toEqual([]);
    expect(gw.child.proc.exitCode, gw.child.output().slice(-2000)).toBeNull();
    await expect.poll(async () => (await push(subject(), `after-kill-${Date.now()}`)).status, { timeout: 20_000, interval: 250 }).toBe(200);
  });

  it('PostgreSQL refusing connections: /readyz 503 "unavailable", /v1 a 503 problem, the process lives; it serves again when PostgreSQL is back', async () => {
    const uscc = subject();
    try {
      await admin((c) => c.query(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS false`));
      await terminateGatewayConnections();
      await expect.poll(async () => (await request(gw.url, { method: 'GET', path: '/readyz' })).status, { timeout: 20_000, interval: 250 }).toBe(503);
      const ready = await request(gw.url, { method: 'GET', path: '/readyz' });
      expect(ready.text).toMatch(/unavailable/);
      const ans = await push(uscc, 'down-1');
      expectUnavailable(ans, 'push while PostgreSQL refuses connections');
      await expectSigned(gw.url, ans);
      const read = await signed(gw.url, P, 'GET', '/v1/records?limit=1');
      expectUnavailable(read, 'read while PostgreSQL refuses connections');
      expect(gw.child.proc.exitCode, gw.child.output().slice(-2000)).toBeNull();
    } finally {
      await admin((c) => c.query(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS true`));
    }
    await expect.poll(async () => (await push(uscc, 'down-1')).status, { timeout: 30_000, interval: 500 }).toBe(200);
    expect(await storedFor(uscc)).toHaveLength(1);
    expect((await request(gw.url, { method: 'GET', path: '/readyz' })).status).toBeLessThan(503);
  });
});
