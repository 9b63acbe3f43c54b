/**
 * The replay store and rate limit are shared by every gateway process: two gateways on the same
 * database (PostgreSQL store), and two on the same Redis (REDIS_URL / auth.redisUrl; a redis-server
 * of this test's own on a spare port). The same token sent to both at once: exactly one succeeds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyAuditLog } from '../../src/auth/audit-verify.js';
import { authOverrides, makePartner, type TestPartner } from '../../src/dev/partner.js';
import { startTestGateway, type TestGateway } from '../support/env.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  // poll until it answers PING
  try {
    await vi.waitFor(async () => {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        const answer = await probe.ping();
        if (answer !== 'PONG') throw new Error(`answered ${answer}`);
      } catch (err) {
        throw new Error(`redis-server did not start within 10 s (${(err as Error).message})`);
      } finally {
        probe.disconnect();
      }
    }, { timeout: 10_000, interval: 100 });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return { url, child };
}

/** Sends the same signed request to both gateways at the same moment; returns both statuses. */
async function race(partner: TestPartner, a: TestGateway, b: TestGateway): Promise<number[]> {
  const path = '/v1/catalog';
  // htu is the path and query only, so one token fits both gateways
  const headers = await partner.sign(a.url + path);
  const [ra, rb] = await Promise.all([fetch(a.url + path, { headers }), fetch(b.url + path, { headers })]);
  return [ra.status, rb.status].sort();
}

describe.each([
  { store: 'PostgreSQL', redis: false },
  { store: 'Redis', redis: true },
])('two gateway processes sharing the $store replay store', ({ redis }) => {
  let one: TestGateway;
  let two: TestGateway;
  let partner: TestPartner;
  let limited: TestPartner;
  let redisServer: { url: string; child: ChildProcess } | undefined;

  beforeAll(async () => {
    partner = await makePartner({ scopes: ['records:read'] });
    limited = await makePartner({ scopes: ['records:read'], rateLimit: { requests: 4, perSeconds: 3600 } });
    if (redis) redisServer = await startRedis();
    const overrides = authOverrides([partner, limited], redisServer ? { redisUrl: redisServer.url } : {});
    one = await startTestGateway(overrides);
    two = await startTestGateway(overrides, one.db);
  });

  afterAll(async () => {
    await two?.stop();
    await one?.stop();
    await one?.db.drop();
    redisServer?.child.kill('SIGTERM');
  });

  it('the same token sent to both at once: exactly one succeeds, the other is a replay', async () => {
    for (let i = 0; i < 10; i++) {
      expect(await race(partner, one, two)).toEqual([200, 401]);
    }
  });

  it('a token used on one is refused on the other', async () => {
    const headers = await partner.sign(one.url + '/v1/catalog');
    expect((await fetch(one.url + '/v1/catalog', { headers })).status).toBe(200);
    const again = await fetch(two.url + '/v1/catalog', { headers });
    expect(again.status).toBe(401);
    expect(((await again.json()) as { code: string }).code).toBe('GW_AUTH_TOKEN_REPLAYED');
  });

  it('the rate limit is counted across both', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await limited.signedFetch((i % 2 ? two : one).url + '/v1/catalog')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it('both processes append to one intact audit chain', async () => {
    const { rows } = await one.ctx.pool.query('SELECT count(*)::int AS n FROM audit_log');
    expect(rows[0].n).toBeGreaterThanOrEqual(28);
    expect(await verifyAuditLog(one.ctx.pool)).toMatchObject({ rows: rows[0].n, finding: null });
  });

  it('keeps the replay entries until the token expires', async () => {
    if (redisServer) {
      const probe = new Redis(redisServer.url);
      try {
        const keys = await probe.keys('credit-gateway:jti:*');
        expect(keys.length).toBeGreaterThanOrEqual(11);
        const ttl = await probe.pttl(keys[0]!);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual((60 + one.config.auth.clockSkewSeconds) * 1000);
      } finally {
        probe.disconnect();
      }
    } else {
      const { rows } = await one.ctx.pool.query(`SELECT count(*)::int AS n FROM auth_jti WHERE partner_id = $1 AND expires_at > now()`, [partner.id]);
      expect(rows[0].n).toBeGreaterThanOrEqual(11);
    }
  });
});
