/**
 * The slow-request log line (auth.slowRequestMs): a /v1 request that takes that long is logged with
 * when each of its steps ended, and the marks put the time on the step that took it — here the audit
 * row's commit, held up by a lock on the audit chain's head. A fast request is not logged.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestMarks } from '../../src/auth/request-marks.js';
import { spawnGateway, writeConfigFile, type ChildGateway } from '../../src/dev/child-gateway.js';
import { makePartner, TEST_AUDIENCE, type TestPartner } from '../../src/dev/partner.js';
import { scratchDir } from '../../src/dev/scratch-dir.js';
import { createTestDatabase, kafkaBrokers } from '../support/env.js';

const SLOW_MS = 1000;
const HOLD_MS = 1500;

type SlowRequest = RequestMarks & { route: string; method: string; partnerId: string | null; totalMs: number };

let db: { url: string; drop(): Promise<void> };
let gw: ChildGateway;
let partner: TestPartner;

const slowRequests = (): SlowRequest[] =>
  gw.output().split('\n').filter((l) => l.includes('"slowRequest"')).map((l) => (JSON.parse(l) as { slowRequest: SlowRequest }).slowRequest);

beforeAll(async () => {
  db = await createTestDatabase();
  partner = await makePartner({ scopes: ['records:read'] });
  const configFile = writeConfigFile({
    auth: { audience: TEST_AUDIENCE, signingKeys: { dir: scratchDir('gw-slow-keys-') }, slowRequestMs: SLOW_MS, partners: [partner.entry] },
    relay: { enabled: false },
    log: { level: 'warn' },
  });
  gw = await spawnGateway({ databaseUrl: db.url, brokers: kafkaBrokers(), configFile });
});

afterAll(async () => {
  gw?.proc.kill('SIGTERM');
  if (gw) await gw.exited;
  await db?.drop();
});

describe('slow /v1 requests', () => {
  it('logs a request held up by its audit row with the time on that step, and not a fast one', async () => {
    expect((await partner.signedFetch(`${gw.url}/v1/catalog`)).status).toBe(200);
    expect((await partner.signedFetch(`${gw.url}/v1/catalog`)).status).toBe(200);
    expect(slowRequests()).toEqual([]);

    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT * FROM audit_chain_head FOR UPDATE');
      const answer = partner.signedFetch(`${gw.url}/v1/catalog`);
      await new Promise((r) => setTimeout(r, HOLD_MS));
      await holder.query('COMMIT');
      expect((await answer).status).toBe(200);
    } finally {
      await holder.end();
    }

    const deadline = Date.now() + 5000;
    while (slowRequests().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const [slow, ...more] = slowRequests();
    expect(more).toEqual([]);
    expect(slow).toMatchObject({ route: '/v1/catalog', method: 'GET', partnerId: partner.id });
    const { verified, admitted, answered, audited, totalMs } = slow!;
    expect(totalMs).toBeGreaterThanOrEqual(HOLD_MS - 50);
    // the marks in order, and the wait on the audit step: neither the token check, nor the handler, nor the admission
    expect(verified!).toBeLessThanOrEqual(answered!);
    expect(audited!).toBeLessThanOrEqual(totalMs);
    expect(audited! - Math.max(answered!, admitted!)).toBeGreaterThanOrEqual(HOLD_MS - 200);
    expect(Math.max(answered!, admitted!)).toBeLessThan(HOLD_MS / 3);
  });
});
