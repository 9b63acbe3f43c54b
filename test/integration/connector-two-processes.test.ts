/**
 * Two gateways on one database, both asked to run the same connector at the same moment: exactly
 * one run happens (the other is refused as busy elsewhere), every source row is stored once with one
 * event per destination, and once the run ends the lock is free for the other gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureConnectorInstances, fixtureRows } from '../../connectors/fixtures-server/fixture-data.js';
import { rowsOf, startFixtureSources, type FixtureSources } from '../../connectors/fixtures-server/server.js';
import { createTestDatabase, startTestGateway, testDestinations, uniqueName, waitForOutboxDrained, type TestGateway } from '../support/env.js';

let src: FixtureSources;
let a: TestGateway;
let b: TestGateway;
const CONNECTOR = 'court-dishonest';
const VALID_ROWS = 12; // the fixture has 14 rows, two of them malformed

async function runsOf(gw: TestGateway): Promise<Array<{ run_id: number; state: string; host: string; created: number; unchanged: number }>> {
  const { rows } = await gw.ctx.pool.query('SELECT run_id, state, host, created, unchanged FROM connector_runs WHERE connector = $1 ORDER BY run_id', [CONNECTOR]);
  return rows;
}

async function waitForNoRunningRun(gw: TestGateway, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await runsOf(gw)).some((r) => r.state === 'running')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the connector run did not finish in time');
}

beforeAll(async () => {
  src = await startFixtureSources();
  src.sets.dishonest = rowsOf(fixtureRows().dishonest);
  const db = await createTestDatabase();
  const overrides = {
    destinations: testDestinations(uniqueName('conn2')),
    connectors: { defaults: { backoffBaseMs: 10, perHostRatePerSecond: 1000, invalidThreshold: 0.5 }, instances: fixtureConnectorInstances(src.url, 5) },
  };
  a = await startTestGateway(overrides, db);
  b = await startTestGateway(overrides, db);
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await a?.db.drop();
  await src?.close();
});

describe('one connector, two gateway processes', () => {
  it('both asked over HTTP at once: one runs, the other is refused as busy elsewhere; rows stored once', async () => {
    // the first page is slow, so the winning run certainly still holds the lock when the other asks
    src.fault('/court-dishonest', { kind: 'slow', delayMs: 600, times: 1 });
    const post = (gw: TestGateway) => fetch(`${gw.url}/v1/connectors/${CONNECTOR}/runs`, { method: 'POST', headers: { 'accept-language': 'en' } });
    const [ra, rb] = await Promise.all([post(a), post(b)]);
    const statuses = [ra.status, rb.status].sort();
    expect(statuses).toEqual([202, 409]);
    const refused = ra.status === 409 ? ra : rb;
    const problem = await refused.json() as { code: string; detail: string };
    expect(problem.code).toBe('GW_CONNECTOR_BUSY');
    expect(problem.detail).toContain('another gateway process');
    const [winner, loser] = ra.status === 202 ? [a, b] : [b, a];
    expect(winner.ctx.connectors!.isRunningHere(CONNECTOR)).toBe(true);
    expect(loser.ctx.connectors!.isRunningHere(CONNECTOR)).toBe(false);

    await waitForNoRunningRun(a);
    const runs = await runsOf(a);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ state: 'succeeded', created: VALID_ROWS });

    await waitForOutboxDrained(a.ctx.pool);
    const { rows: records } = await a.ctx.pool.query<{ n: number; versions: number }>(
      `SELECT count(*)::int AS n, (SELECT count(*)::int FROM record_versions) AS versions FROM records WHERE category = 'dishonest_debtor'`);
    expect(records[0]).toEqual({ n: VALID_ROWS, versions: VALID_ROWS });
    const { rows: outbox } = await a.ctx.pool.query<{ destination: string; n: number }>(
      'SELECT destination, count(*)::int AS n FROM outbox GROUP BY destination ORDER BY destination');
    expect(outbox).toEqual([{ destination: 'nat', n: VALID_ROWS }, { destination: 'prov', n: VALID_ROWS }]);
    const { rows: q } = await a.ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM connector_quarantine');
    expect(q[0]!.n).toBe(2);
    // the source was paged through once
    expect(src.requests.filter((r) => r.path === '/court-dishonest')).toHaveLength(3);
  });

  it('started through the service API on both at once, many times: never two runs, and the lock is freed after each', async () => {
    const requestsBefore = src.requests.length;
    for (let round = 0; round < 3; round++) {
      src.fault('/court-dishonest', { kind: 'slow', delayMs: 300, times: 1 });
      const results = await Promise.all([a, b, a, b].map((gw) => gw.ctx.connectors!.start(CONNECTOR, 'api')));
      const started = results.filter((r) => r.started);
      expect(started).toHaveLength(1);
      // asks in order a, b, a, b: each gateway claims the name before it asks the database, so its
      // second ask is refused as "running here"; of the first two, one wins the database lock and the
      // other is refused as "running elsewhere"
      const reasons = results.map((r) => (r.started ? 'started' : r.reason));
      expect(reasons.slice(2)).toEqual(['running_here', 'running_here']);
      expect(reasons.slice(0, 2).sort()).toEqual(['running_elsewhere', 'started']);
      const run = await (started[0] as { done: Promise<{ state: string; unchanged: number; created: number }> }).done;
      expect(run).toMatchObject({ state: 'succeeded', unchanged: VALID_ROWS, created: 0 });
    }
    // with no run in progress, either gateway may start one on its own
    for (const gw of [a, b]) {
      const alone = await gw.ctx.connectors!.start(CONNECTOR, 'api');
      expect(alone.started).toBe(true);
      if (alone.started) expect((await alone.done).state).toBe('succeeded');
    }
    const runs = await runsOf(a);
    expect(runs).toHaveLength(6);
    expect(runs.every((r) => r.state === 'succeeded')).toBe(true);
    expect(src.requests.slice(requestsBefore).filter((r) => r.path === '/court-dishonest')).toHaveLength(15);
    const { rows } = await a.ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM record_versions');
    expect(rows[0]!.n).toBe(VALID_ROWS);
  });
});
