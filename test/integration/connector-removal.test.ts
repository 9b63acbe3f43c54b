/**
 * Removal of records taken off a list, at scale: the removal brake holds back a pass that would remove
 * a large share of the listing (run failed, alert, nothing removed) until an operator allows it, and
 * a big removal goes in several short transactions rather than one long one holding the change feed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dishonestRow } from '../../connectors/fixtures-server/generate.js';
import { generatedRows, startFixtureSources, type FixtureSources } from '../../connectors/fixtures-server/server.js';
import { REMOVALS_PER_TRANSACTION } from '../../src/connectors/removal-sweep.js';
import { runConnectorOnce } from '../support/connector-runs.js';
import { createTestDatabase, startTestGateway, type TestGateway } from '../support/env.js';

const LISTED = 250;
const KEPT = 100;

let src: FixtureSources;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let gw: TestGateway;

function instances(baseUrl: string, held: Record<string, unknown> = {}) {
  const common = { type: 'court-dishonest', enabled: true, schedule: null, pageSize: 50, baseUrl: `${baseUrl}/court-dishonest` };
  return {
    held: { ...common, system: 'test.removal.held', ...held },
    allowed: { ...common, system: 'test.removal.allowed', removalMaxShare: 1 },
  };
}

function start(held: Record<string, unknown> = {}) {
  return startTestGateway({
    connectors: { defaults: { backoffBaseMs: 10, perHostRatePerSecond: 1000, removalAfterRuns: 1 }, instances: instances(src.url, held) },
  }, db);
}

const runOnce = (name: string) => runConnectorOnce(gw, name);

async function statuses(system: string): Promise<Record<string, number>> {
  const { rows } = await gw.ctx.pool.query<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM records WHERE envelope->'source'->>'system' = $1 GROUP BY status`, [system]);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

beforeAll(async () => {
  src = await startFixtureSources();
  src.sets.dishonest = generatedRows(LISTED, dishonestRow);
  db = await createTestDatabase();
  gw = await start();
  for (const name of ['held', 'allowed']) expect((await runOnce(name)).created).toBe(LISTED);
  src.sets.dishonest = generatedRows(KEPT, dishonestRow); // the source now lists 100 of the 250
}, 120_000);

afterAll(async () => {
  await gw?.stop();
  await db?.drop();
  await src?.close();
});

describe('removal brake', () => {
  it('a pass that would remove 60% of the listing removes nothing, fails and raises an alert', async () => {
    const run = await runOnce('held');
    expect(run.state).toBe('failed');
    expect(run.error).toContain(`removal held back: ${LISTED - KEPT} of ${LISTED} listed records (60.0%)`);
    expect(run.removed).toBe(0);
    expect(run.unchanged).toBe(KEPT);
    expect(await statuses('test.removal.held')).toEqual({ active: LISTED });
    const { rows: alerts } = await gw.ctx.pool.query<{ details: { reason: string } }>(
      `SELECT details FROM monitoring_alerts WHERE connector = 'held' AND connector_run_id = $1`, [run.runId]);
    expect(alerts.map((a) => a.details.reason)).toEqual(['removal_held']);
  });

  it('held again on the next pass, until an operator raises removalMaxShare; then the records are removed', async () => {
    expect((await runOnce('held')).removed).toBe(0);
    await gw.stop();
    gw = await start({ removalMaxShare: 0.7 });
    const run = await runOnce('held');
    expect(run.state).toBe('succeeded');
    expect(run.removed).toBe(LISTED - KEPT);
    expect(await statuses('test.removal.held')).toEqual({ active: KEPT, removed: LISTED - KEPT });
  });
});

describe('a large removal', () => {
  it(`goes in transactions of ${REMOVALS_PER_TRANSACTION}, each record with one status_changed event`, async () => {
    const run = await runOnce('allowed');
    expect(run.state).toBe('succeeded');
    expect(run.removed).toBe(LISTED - KEPT);
    expect(await statuses('test.removal.allowed')).toEqual({ active: KEPT, removed: LISTED - KEPT });
    // each transaction that removed records left its id (xmin) on the rows it changed
    const { rows } = await gw.ctx.pool.query<{ transactions: number; events: number }>(
      `SELECT count(DISTINCT r.xmin::text)::int AS transactions,
              (SELECT count(*)::int FROM outbox o WHERE o.event_type = 'record.status_changed' AND o.destination = 'prov'
                  AND o.record_id IN (SELECT record_id FROM records WHERE envelope->'source'->>'system' = 'test.removal.allowed')) AS events
         FROM records r WHERE r.envelope->'source'->>'system' = 'test.removal.allowed' AND r.status = 'removed'`);
    expect(rows[0]!.transactions).toBe(Math.ceil((LISTED - KEPT) / REMOVALS_PER_TRANSACTION));
    expect(rows[0]!.events).toBe(LISTED - KEPT);
  });
});
