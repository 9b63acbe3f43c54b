/**
 * Two gateways on one database, both asked to run the same connector at the same moment: exactly
 * one run happens (the other is refused as busy elsewhere), every source row is stored once with one
 * event per destination, and once the run ends the lock is free for the other gateway.
 *
 * The connector reads court-dishonest/zxgk-shixin from the fixture server in the court site's shape
 * (POST form paging by currentPage, 10 rows a page, totalSize), with generated rows in the site's row
 * shape (zxgkRow): 25 rows, so a pass is three pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_PATHS, fixtureConnectorInstances, instanceNameOf } from '../../connectors/fixtures-server/fixture-data.js';
import { zxgkRow } from '../../connectors/fixtures-server/generate.js';
import { rowsOf, startFixtureSources, type FixtureSources } from '../../connectors/fixtures-server/server.js';
import { createTestDatabase, startTestGateway, testDestinations, uniqueName, waitForOutboxDrained, type TestGateway } from '../support/env.js';
import { listRecordEvents } from '../../src/outbox/outbox.js';

let src: FixtureSources;
let a: TestGateway;
let b: TestGateway;
const SOURCE = 'court-dishonest/zxgk-shixin';
const CONNECTOR = instanceNameOf(SOURCE);
const PATH = FIXTURE_PATHS[SOURCE]!;
const ROWS = Array.from({ length: 25 }, (_, i) => zxgkRow(60_000 + i));
const PAGES_PER_PASS = 3;
/** organisations known only by a 组织机构代码 are stored pending: the national destination (requireUscc) does not take them */
const PENDING_ROWS = ROWS.filter((r) => r.partyTypeName === '581' && String(r.cardNum).length === 9).length;

async function runsOf(gw: TestGateway): Promise<Array<{ run_id: number; state: string; host: string; created: number; unchanged: number }>> {
  const { rows } = await gw.ctx.pool.query('SELECT run_id, state, host, created, unchanged FROM connector_runs WHERE connector = $1 ORDER BY run_id', [CONNECTOR]);
  return rows;
}

async function waitForNoRunningRun(gw: TestGateway, timeoutMs = 20_000): Promise<void> {
  await expect.poll(async () => (await runsOf(gw)).filter((r) => r.state === 'running').map((r) => r.run_id), {
    timeout: timeoutMs,
    interval: 50,
    message: 'the connector run did not finish in time',
  }).toEqual([]);
}

beforeAll(async () => {
  src = await startFixtureSources();
  src.sets.zxgk = rowsOf(ROWS);
  const db = await createTestDatabase();
  const overrides = {
    destinations: testDestinations(uniqueName('conn2')),
    // generated publication dates lie years back: the hourly expiry job must not add versions mid-test
    lifecycle: { expiryEnabled: false },
    connectors: {
      defaults: { backoffBaseMs: 10, perHostRatePerSecond: 1000 },
      instances: { [CONNECTOR]: fixtureConnectorInstances(src.url)[CONNECTOR] },
    },
  };
  a = await startTestGateway(overrides, db);
  b = await startTestGateway(overrides, db);
  // each process looks for interrupted runs at start-up; that look must not overlap the runs below
  await Promise.all([a.ctx.connectors!.resumed, b.ctx.connectors!.resumed]);
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await a?.db.drop();
  await src?.close();
});

describe('one connector, two gateway processes', () => {
  it('both asked over HTTP at once: one runs, the other is refused as busy elsewhere; rows stored once', async () => {
    expect(PENDING_ROWS).toBeGreaterThan(0);
    expect(PENDING_ROWS).toBeLessThan(ROWS.length);
    // the first page is slow, so the winning run certainly still holds the lock when the other asks
    src.fault(PATH, { kind: 'slow', delayMs: 600, times: 1 });
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
    expect(runs[0]).toMatchObject({ state: 'succeeded', created: ROWS.length });

    expect(await waitForOutboxDrained(a.ctx.pool)).toBe(0);
    const { rows: records } = await a.ctx.pool.query<{ n: number; versions: number }>(
      `SELECT count(*)::int AS n, (SELECT count(*)::int FROM record_versions) AS versions FROM records WHERE category = 'dishonest_debtor'`);
    expect(records[0]).toEqual({ n: ROWS.length, versions: ROWS.length });
    const events = await listRecordEvents(a.ctx.pool);
    const perDestination = Object.fromEntries(['nat', 'prov'].map((d) => [d, events.filter((e) => e.destination === d).length]));
    expect(perDestination).toEqual({ nat: ROWS.length - PENDING_ROWS, prov: ROWS.length });
    expect(events).toHaveLength(ROWS.length * 2 - PENDING_ROWS);
    const { rows: q } = await a.ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM connector_quarantine');
    expect(q[0]!.n).toBe(0);
    // the source was paged through once
    expect(src.requests.filter((r) => r.path === PATH).map((r) => r.params.currentPage)).toEqual(['1', '2', '3']);
  });

  it('started through the service API on both at once, many times: never two runs, and the lock is freed after each', async () => {
    const requestsBefore = src.requests.length;
    for (let round = 0; round < 3; round++) {
      src.fault(PATH, { kind: 'slow', delayMs: 300, times: 1 });
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
      expect(run).toMatchObject({ state: 'succeeded', unchanged: ROWS.length, created: 0 });
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
    // five passes of three pages, none of them interleaved with another
    const pages = src.requests.slice(requestsBefore).filter((r) => r.path === PATH).map((r) => r.params.currentPage);
    expect(pages).toEqual(Array.from({ length: 5 * PAGES_PER_PASS }, (_, i) => String((i % PAGES_PER_PASS) + 1)));
    const { rows } = await a.ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM record_versions');
    expect(rows[0]!.n).toBe(ROWS.length);
  });

  it('a start-up resumption runs only when the run left "running" belongs to a process that died', async () => {
    // a live run of the other process: its row says "running", and its lock says it is alive
    src.fault(PATH, { kind: 'slow', delayMs: 600, times: 1 });
    const live = await a.ctx.connectors!.start(CONNECTOR, 'api');
    expect(live.started).toBe(true);
    expect(await b.ctx.connectors!.start(CONNECTOR, 'startup')).toEqual({ started: false, reason: 'running_elsewhere' });
    if (live.started) await live.done;
    // the run ended between a look at its row and the resumption: nothing to resume, no run
    expect(await b.ctx.connectors!.start(CONNECTOR, 'startup')).toEqual({ started: false, reason: 'nothing_to_resume' });
    const before = await runsOf(a);

    // a row left "running" by a process that died (no lock held): resumed, and the row abandoned
    const { rows } = await a.ctx.pool.query<{ run_id: number }>(
      `INSERT INTO connector_runs (connector, trigger, state, host) VALUES ($1, 'api', 'running', 'gone:1') RETURNING run_id`, [CONNECTOR]);
    const resumed = await b.ctx.connectors!.start(CONNECTOR, 'startup');
    expect(resumed.started).toBe(true);
    if (resumed.started) expect((await resumed.done).state).toBe('succeeded');
    const after = await runsOf(a);
    expect(after).toHaveLength(before.length + 2);
    expect(after.find((r) => r.run_id === rows[0]!.run_id)!.state).toBe('abandoned');
  });
});
