/**
 * Expiry on the real PostgreSQL and broker: two expiry jobs (two "processes": separate pools, one
 * database) run concurrently with a fixed clock; exactly the records past publishUntil expire, each
 * once (one version, one retraction per destination that had it); a pending repair lapses; a
 * second run does nothing. A run asked to stop ends after the batch it is writing.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExpiryJob, EXPIRY_ACTOR } from '../../src/lifecycle/expiry-job.js';
import { requestRepair } from '../../src/lifecycle/repairs.js';
import { fileObjection } from '../../src/lifecycle/objections.js';
import { readTopic, startTestGateway, waitForOutboxDrained, type TestGateway } from '../support/env.js';
import { httpClient } from '../support/http-client.js';
import { listRecordEvents } from '../../src/outbox/outbox.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';

let gw: TestGateway;
const pools: pg.Pool[] = [];
const { post } = httpClient(() => gw.url);
const topicOf = (name: string) => gw.config.destinations.find((d) => d.name === name)!.topic;

// The fixed clock: 2025-07-01 12:00 in Beijing. "Past" = publishUntil on or before 2025-06-30.
const NOW = new Date('2025-07-01T04:00:00Z');

beforeAll(async () => {
  gw = await startTestGateway({ lifecycle: { expiryEnabled: false, expiryBatchSize: 3 } });
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await gw?.stop();
  await gw?.db.drop();
});

describe('expiry job', () => {
  it('expires exactly the records past their date, once, with two jobs running at the same time', async () => {
    const past = ['2025-06-30', '2025-06-01', '2024-12-31', '2025-03-15', '2025-05-20', '2025-06-29', '2023-01-01', '2025-02-02'];
    const notPast = ['2025-07-01', '2025-12-31', '2026-06-30'];
    const items = [
      ...past.map((until, i) => sampleRecordInput('admin_penalty', 40_000 + i, { severity: 'general', decidedAt: '2024-06-01', publishUntil: until })),
      ...notPast.map((until, i) => sampleRecordInput('admin_penalty', 40_100 + i, { severity: 'general', decidedAt: '2024-06-01', publishUntil: until })),
      // no end date (有履行能力而拒不履行): never expires
      sampleRecordInput('dishonest_debtor', 40_200, { decidedAt: '2020-01-01' }),
      // bidding records go to "prov" only
      sampleRecordInput('bidding_misconduct', 40_300, { decidedAt: '2024-06-01', publishUntil: '2025-01-01' }),
    ];
    const res = await post('/v1/records', { records: items });
    expect(res.body.summary.created).toBe(items.length);
    const ids: string[] = res.body.results.map((r: any) => r.recordId);
    const pastIds = [...ids.slice(0, past.length), ids[ids.length - 1]!];
    const notPastIds = ids.slice(past.length, past.length + notPast.length + 1);
    expect(pastIds).toHaveLength(9);

    // one past record has a pending repair (it lapses); one is objected (suspended: not expired by the job)
    const deps = { pool: gw.ctx.pool, config: gw.config, outbox: gw.ctx.outbox, now: () => NOW };
    const caller = { actor: 'test', partnerId: null, grant: null };
    await requestRepair(deps, pastIds[1]!, { commitmentRef: 'XYCN-1', evidence: [] }, caller);
    const objectedPast = ids[2]!;
    await fileObjection(deps, objectedPast, { reason: '异议', evidence: [] }, caller);
    const expectedExpired = pastIds.filter((id) => id !== objectedPast);
    await waitForOutboxDrained(gw.ctx.pool);
    const before = (await listRecordEvents(gw.ctx.pool)).length;

    const jobOf = () => {
      const pool = new pg.Pool({ connectionString: gw.db.url, max: 2 });
      pools.push(pool);
      return new ExpiryJob({ pool, config: gw.config, log: gw.ctx.log, outbox: gw.ctx.outbox });
    };
    const [a, b] = [jobOf(), jobOf()];
    const counts = await Promise.all([a.runOnce(NOW), b.runOnce(NOW)]);
    expect(counts[0]! + counts[1]!).toBe(expectedExpired.length);

    const { rows } = await gw.ctx.pool.query<{ record_id: string; status: string }>('SELECT record_id, status FROM records WHERE record_id = ANY($1::uuid[])', [ids]);
    const statusOf = new Map(rows.map((r) => [r.record_id, r.status]));
    for (const id of expectedExpired) expect(statusOf.get(id)).toBe('expired');
    for (const id of notPastIds) expect(statusOf.get(id)).toBe('active');
    expect(statusOf.get(objectedPast)).toBe('objected');

    // exactly one move to "expired" per record and its retraction (the next version), by the job, saying why
    const { rows: versions } = await gw.ctx.pool.query<{ record_id: string; moves: number; retractions: number; consecutive: boolean; actor: string; reason: string }>(
      `SELECT record_id, count(*) FILTER (WHERE change_kind = 'status_changed')::int AS moves,
              count(*) FILTER (WHERE change_kind = 'retracted')::int AS retractions,
              max(version) FILTER (WHERE change_kind = 'retracted') = max(version) FILTER (WHERE change_kind = 'status_changed') + 1 AS consecutive,
              min(actor) AS actor, min(reason) AS reason
         FROM record_versions WHERE status = 'expired' GROUP BY record_id`,
    );
    expect(versions.map((v) => v.record_id).sort()).toEqual([...expectedExpired].sort());
    for (const v of versions) expect(v).toMatchObject({ moves: 1, retractions: 1, consecutive: true, actor: EXPIRY_ACTOR, reason: expect.stringContaining('公示期满') });

    // the pending repair lapsed with the record
    const { rows: repairs } = await gw.ctx.pool.query('SELECT status, decided_by FROM repairs WHERE record_id = $1', [pastIds[1]]);
    expect(repairs).toEqual([{ status: 'lapsed', decided_by: EXPIRY_ACTOR }]);

    // a second run (both jobs again) finds nothing
    expect(await Promise.all([a.runOnce(NOW), b.runOnce(NOW)])).toEqual([0, 0]);
    const after = (await listRecordEvents(gw.ctx.pool)).length;
    // per expired record: status_changed + retracted to each destination that had it (bidding: prov only)
    const destinationsHad = expectedExpired.length - 1; // admin_penalty records: prov and nat
    expect(after - before).toBe(2 * (destinationsHad * 2 + 1));

    const isRetraction = (m: { headers: Record<string, string> }) => m.headers['event-type'] === 'record.retracted';
    const prov = await readTopic(topicOf('prov'), { until: (m) => m.filter(isRetraction).length >= expectedExpired.length, settleMs: 1000 });
    const nat = await readTopic(topicOf('nat'), { until: (m) => m.filter(isRetraction).length >= expectedExpired.length - 1, settleMs: 1000 });
    expect(prov.filter(isRetraction).map((m) => m.headers['record-id']).sort()).toEqual([...expectedExpired].sort());
    expect(nat.filter(isRetraction).map((m) => m.headers['record-id']).sort()).toEqual(expectedExpired.filter((id) => id !== pastIds[pastIds.length - 1]).sort());
    expect(prov.filter(isRetraction).every((m) => m.value.record.status === 'expired')).toBe(true);
  });

  it('ends a run asked to stop after the batch it is writing; the next run expires the rest', async () => {
    const ends = ['2025-01-05', '2025-01-04', '2025-01-03', '2025-01-02', '2025-01-01', '2024-12-31', '2024-12-30'];
    const items = ends.map((until, i) => sampleRecordInput('admin_penalty', 41_000 + i, { severity: 'general', decidedAt: '2024-06-01', publishUntil: until }));
    const res = await post('/v1/records', { records: items });
    expect(res.body.summary.created).toBe(items.length);
    const ids: string[] = res.body.results.map((r: any) => r.recordId);
    const expiredOf = async () => (await gw.ctx.pool.query<{ record_id: string; reason: string }>(
      `SELECT record_id, reason FROM record_versions WHERE record_id = ANY($1::uuid[]) AND change_kind = 'status_changed' AND status = 'expired' ORDER BY record_id`, [ids],
    )).rows;

    const job = new ExpiryJob({ pool: gw.ctx.pool, config: gw.config, log: gw.ctx.log, outbox: gw.ctx.outbox });
    const run = job.runOnce(NOW);
    await job.stop();
    expect(await run).toBe(3); // one batch (expiryBatchSize 3), not all seven
    const first = await expiredOf();
    expect(first).toHaveLength(3);
    // the oldest ends first, each version saying its own end
    const untilOf = new Map(ids.map((id, i) => [id, ends[i]!]));
    expect(first.map((r) => untilOf.get(r.record_id)).sort()).toEqual(['2024-12-30', '2024-12-31', '2025-01-01']);
    for (const r of first) expect(r.reason).toContain(`公示截止 ${untilOf.get(r.record_id)}`);

    expect(await new ExpiryJob({ pool: gw.ctx.pool, config: gw.config, log: gw.ctx.log, outbox: gw.ctx.outbox }).runOnce(NOW)).toBe(4);
    expect(await expiredOf()).toHaveLength(7);
  });
});
