/**
 * Removal of records taken off a list, at scale: records missing from complete passes are removed
 * (after removalAfterRuns of them), the removal brake holds back a pass that would remove a large share
 * of the listing (run failed, alert, nothing removed) until an operator allows it, and a big removal
 * goes in several short transactions rather than one long one holding the change feed.
 *
 * Removal needs a complete listing: the instances read court-dishonest/zxgk-shixin (the court site's
 * list, `listing: complete`) from the fixture server in the site's shape — POST form paging by
 * currentPage, 10 rows a page, totalSize — with generated rows in the site's row shape (zxgkRow).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_PATHS } from '../../connectors/fixtures-server/fixture-data.js';
import { zxgkRow } from '../../connectors/fixtures-server/generate.js';
import { generatedRows, startFixtureSources, type FixtureSources } from '../../connectors/fixtures-server/server.js';
import { REMOVALS_PER_TRANSACTION } from '../../src/connectors/removal-sweep.js';
import { inTransaction } from '../../src/store/db.js';
import { writeStatusChange } from '../../src/store/records-repo.js';
import { listRecordEvents } from '../../src/outbox/outbox.js';
import { runConnectorOnce } from '../support/connector-runs.js';
import { createTestDatabase, startTestGateway, type TestGateway } from '../support/env.js';

const SOURCE = 'court-dishonest/zxgk-shixin';
const LISTED = 250;
const KEPT = 100;

let src: FixtureSources;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let gw: TestGateway;

/** Three instances of one source file, each with a system of its own (so records of their own). */
function instances(baseUrl: string, held: Record<string, unknown> = {}) {
  const common = { source: SOURCE, enabled: true, schedule: null, baseUrl: `${baseUrl}${FIXTURE_PATHS[SOURCE]!}` };
  return {
    held: { ...common, system: 'test.removal.held', ...held },
    allowed: { ...common, system: 'test.removal.allowed', removalMaxShare: 1 },
    // removed only after missing from two complete passes
    twice: { ...common, system: 'test.removal.twice', removalMaxShare: 1, removalAfterRuns: 2 },
  };
}

function start(held: Record<string, unknown> = {}) {
  return startTestGateway({
    // generated publication dates lie years back: the hourly expiry job must not change statuses mid-test
    lifecycle: { expiryEnabled: false },
    connectors: { defaults: { backoffBaseMs: 10, perHostRatePerSecond: 1000, removalAfterRuns: 1 }, instances: instances(src.url, held) },
  }, db);
}

const runOnce = (name: string) => runConnectorOnce(gw, name);

/** The source key of generated row i (the court site's case code and card number). */
const keyOf = (i: number) => `${String(zxgkRow(i).caseCode)}|${String(zxgkRow(i).cardNum)}`;

async function statuses(system: string): Promise<Record<string, number>> {
  const { rows } = await gw.ctx.pool.query<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM current_records WHERE envelope->'source'->>'system' = $1 GROUP BY status`, [system]);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

beforeAll(async () => {
  src = await startFixtureSources();
  src.sets.zxgk = generatedRows(LISTED, zxgkRow);
  db = await createTestDatabase();
  gw = await start();
  for (const name of ['held', 'allowed', 'twice']) {
    const run = await runOnce(name);
    expect(run).toMatchObject({ state: 'succeeded', created: LISTED, pages: LISTED / 10, rejected: 0 });
  }
  src.sets.zxgk = generatedRows(KEPT, zxgkRow); // the source now lists 100 of the 250
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
    const { rows } = await gw.ctx.pool.query<{ transactions: number; ids: string[] }>(
      `SELECT count(DISTINCT r.xmin::text)::int AS transactions, array_agg(r.record_id::text) AS ids
         FROM records r WHERE r.status = 'removed'
          AND r.record_id IN (SELECT record_id FROM current_records WHERE envelope->'source'->>'system' = 'test.removal.allowed')`);
    expect(rows[0]!.transactions).toBe(Math.ceil((LISTED - KEPT) / REMOVALS_PER_TRANSACTION));
    const removed = new Set(rows[0]!.ids);
    const events = await listRecordEvents(gw.ctx.pool, { destination: 'prov' });
    expect(events.filter((e) => e.type === 'record.status_changed' && removed.has(e.recordId))).toHaveLength(LISTED - KEPT);
  });
});

describe('removal after complete passes', () => {
  it('with removalAfterRuns 2, a record missing from one complete pass stays active; missing from a second, it is removed', async () => {
    const first = await runOnce('twice');
    expect(first.state).toBe('succeeded');
    expect(first).toMatchObject({ unchanged: KEPT, removed: 0 });
    expect(await statuses('test.removal.twice')).toEqual({ active: LISTED });
    const second = await runOnce('twice');
    expect(second.state).toBe('succeeded');
    expect(second).toMatchObject({ unchanged: KEPT, removed: LISTED - KEPT });
    expect(await statuses('test.removal.twice')).toEqual({ active: KEPT, removed: LISTED - KEPT });
    // the rows still listed are the ones kept: row KEPT - 1 active, row KEPT removed
    const { rows } = await gw.ctx.pool.query<{ key: string; status: string }>(
      `SELECT envelope->'source'->>'key' AS key, status FROM current_records WHERE envelope->'source'->>'system' = 'test.removal.twice' AND envelope->'source'->>'key' = ANY($1::text[]) ORDER BY 1`,
      [[keyOf(KEPT - 1), keyOf(KEPT)]]);
    expect(Object.fromEntries(rows.map((r) => [r.key, r.status]))).toEqual({ [keyOf(KEPT - 1)]: 'active', [keyOf(KEPT)]: 'removed' });
  });
});

describe('a record whose lifecycle ended', () => {
  it('is neither removed when the source drops it nor made active again when the source lists it again', async () => {
    const recordOf = async () => (await gw.ctx.pool.query<{ record_id: string; status: string; version: number }>(
      `SELECT record_id, status, version FROM current_records WHERE envelope->'source'->>'system' = 'test.removal.allowed' AND envelope->'source'->>'key' = $1`,
      [keyOf(KEPT - 1)])).rows[0]!;
    const listed = await recordOf();
    expect(listed.status).toBe('active');
    await inTransaction(gw.ctx.pool, (c) => writeStatusChange(c, listed.record_id, 'repaired', { actor: 'test', outbox: gw.ctx.outbox, reason: 'repair granted (test)' }));
    const repaired = await recordOf();
    expect(repaired).toMatchObject({ status: 'repaired', version: listed.version + 2 }); // status_changed, then retracted

    src.sets.zxgk = generatedRows(KEPT - 1, zxgkRow); // the source drops it
    expect(await runOnce('allowed')).toMatchObject({ state: 'succeeded', removed: 0 });
    expect(await recordOf()).toEqual(repaired);

    src.sets.zxgk = generatedRows(KEPT, zxgkRow); // and lists it again, unchanged
    expect(await runOnce('allowed')).toMatchObject({ state: 'succeeded', unchanged: KEPT });
    expect(await recordOf()).toEqual(repaired);
  });
});

describe('a removed record listed again', () => {
  it('with the same content is active again (relist), by the source, in the pass that lists it', async () => {
    const before = await statuses('test.removal.allowed');
    expect(before).toEqual({ active: KEPT - 1, repaired: 1, removed: LISTED - KEPT });
    src.sets.zxgk = generatedRows(KEPT + 5, zxgkRow); // five of the removed rows are listed again, unchanged
    expect(await runOnce('allowed')).toMatchObject({ state: 'succeeded', unchanged: KEPT + 5, removed: 0 });
    expect(await statuses('test.removal.allowed')).toEqual({ active: KEPT - 1 + 5, repaired: 1, removed: LISTED - KEPT - 5 });
    const { rows } = await gw.ctx.pool.query<{ status: string; reason: string }>(
      `SELECT v.status, v.reason FROM current_records r JOIN record_versions v ON v.record_id = r.record_id AND v.version = r.version
        WHERE r.envelope->'source'->>'system' = 'test.removal.allowed' AND r.envelope->'source'->>'key' = $1`,
      [keyOf(KEPT + 4)]);
    expect(rows).toEqual([{ status: 'active', reason: 'listed again by the source' }]);
  });
});
