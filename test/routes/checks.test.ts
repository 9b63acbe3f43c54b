/**
 * POST /v1/checks on the real PostgreSQL: one check of 1,000 codes — invalid, clean, punished,
 * general-only, objected, repaired, and past publishUntil not yet expired by the job — gives the
 * right answer for each, in the order sent; the purpose is required; more than 1,000 is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths, chinaDayOf } from '../../src/domain/publication-periods.js';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { CHECK_SQL } from '../../src/store/checks-repo.js';
import { PUBLIC_STATUSES } from '../../src/store/records-read.js';
import { startTestGateway, type TestGateway } from '../support/env.js';
import { httpClient } from '../support/http-client.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';

let gw: TestGateway;
const { post } = httpClient(() => gw.url);
const PURPOSE = { 'x-request-purpose': encodeURIComponent('招标项目投标人资格审查 E3205830001') };

const today = chinaDayOf(new Date());
const decided = addMonths(today, -13);
const until = addMonths(today, 12);

type Kind = 'invalid' | 'clean' | 'punished' | 'procurement' | 'general' | 'objected' | 'repaired' | 'lapsed';
const PLAN: Array<[Kind, number]> = [
  ['invalid', 150], ['clean', 300], ['punished', 150], ['procurement', 50], ['general', 100], ['objected', 100], ['repaired', 100], ['lapsed', 50],
];

function corrupt(code: string): string {
  const last = code[17] === '0' ? '1' : '0';
  return code.slice(0, 17) + last;
}

beforeAll(async () => {
  gw = await startTestGateway({ lifecycle: { expiryEnabled: false } });
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

describe('POST /v1/checks', () => {
  it('answers 1,000 codes correctly, one per code in the order sent', async () => {
    const cases: Array<{ kind: Kind; code: string; n: number }> = [];
    let n = 50_000;
    for (const [kind, count] of PLAN) for (let i = 0; i < count; i++, n++) cases.push({ kind, n, code: kind === 'invalid' ? corrupt(syntheticUscc(n)) : syntheticUscc(n) });
    // every code appears once; shuffle deterministically so kinds interleave
    cases.sort((a, b) => ((a.n * 7919) % 1000) - ((b.n * 7919) % 1000));
    expect(cases).toHaveLength(1000);

    const recordFor = (c: { kind: Kind; n: number }) => {
      switch (c.kind) {
        case 'procurement': return sampleRecordInput('procurement_breach', c.n, { severity: 'severe', decidedAt: decided, publishUntil: until });
        case 'general': return sampleRecordInput('admin_penalty', c.n, { severity: 'general', decidedAt: decided, publishUntil: until });
        case 'lapsed': return sampleRecordInput('admin_penalty', c.n, { severity: 'severe', decidedAt: addMonths(today, -40), publishUntil: addMonths(today, -4) });
        default: return sampleRecordInput('dishonest_debtor', c.n, { decidedAt: decided });
      }
    };
    const withRecords = cases.filter((c) => !['invalid', 'clean'].includes(c.kind));
    const ingest = await post('/v1/records', { records: withRecords.map(recordFor) });
    expect(ingest.body.summary).toMatchObject({ created: withRecords.length, rejected: 0 });
    const idOf = new Map(withRecords.map((c, i) => [c.code, ingest.body.results[i].recordId as string]));

    await eachLimited(cases.filter((c) => c.kind === 'objected'), 4, async (c) => {
      const res = await post(`/v1/records/${idOf.get(c.code)}/objections`, { reason: '异议' });
      expect(res.status).toBe(201);
    });
    await eachLimited(cases.filter((c) => c.kind === 'repaired'), 4, async (c) => {
      const asked = await post(`/v1/records/${idOf.get(c.code)}/repairs`, { commitmentRef: `XYCN-${c.n}` });
      expect(asked.status).toBe(201);
      const granted = await post(`/v1/repairs/${asked.body.repair.repairId}/decision`, { decision: 'granted', reason: '已履行' });
      expect(granted.status).toBe(200);
    });

    const res = await post('/v1/checks', { codes: cases.map((c) => c.code) }, PURPOSE);
    expect(res.status).toBe(200);
    expect(res.body.purpose).toBe('招标项目投标人资格审查 E3205830001');
    expect(res.body.results).toHaveLength(1000);
    const nameOf = new Map<string, string>(res.body.measures.map((m: any) => [m.id, m.nameZh]));

    const expected = { invalid: 0, punished: 0, clear: 0 };
    res.body.results.forEach((r: any, i: number) => {
      const c = cases[i]!;
      expect(r.input).toBe(c.code);
      switch (c.kind) {
        case 'invalid':
          expect(r).toMatchObject({ valid: false, verdict: 'invalid', underJointPunishment: false, records: [] });
          expect(r.errors[0].rule).toBe('uscc.check_digit');
          expected.invalid++;
          break;
        case 'punished':
          expect(r).toMatchObject({ valid: true, verdict: 'punished', underJointPunishment: true, kind: 'enterprise' });
          expect(r.records).toEqual([expect.objectContaining({ recordId: idOf.get(c.code), category: 'dishonest_debtor', severity: 'severe', status: 'active' })]);
          expect(r.measures).toEqual(['government_procurement', 'bidding', 'state_funding', 'honours']);
          expected.punished++;
          break;
        case 'procurement':
          expect(r).toMatchObject({ verdict: 'punished', underJointPunishment: true });
          expect(r.measures.map((id: string) => nameOf.get(id))).toEqual(['限制参加政府采购活动', '限制参加招标投标', '限制参评评先评优']);
          expect(r.records[0]).toMatchObject({ recordId: idOf.get(c.code), publishUntil: until });
          expected.punished++;
          break;
        case 'general':
          expect(r).toMatchObject({ valid: true, verdict: 'clear', underJointPunishment: false, measures: [] });
          expect(r.records).toEqual([expect.objectContaining({ recordId: idOf.get(c.code), severity: 'general' })]);
          expected.clear++;
          break;
        default: // clean, objected, repaired, past its publication end
          expect(r).toMatchObject({ valid: true, verdict: 'clear', underJointPunishment: false, measures: [], records: [], kind: 'enterprise' });
          expected.clear++;
      }
    });
    expect(res.body.summary).toEqual({ codes: 1000, ...expected });
    expect(expected).toEqual({ invalid: 150, punished: 200, clear: 650 });

    // the same check again gives the same answer (stable for automatic interception)
    const again = await post('/v1/checks', { codes: cases.map((c) => c.code), purpose: 'repeat' });
    expect(again.body.results).toEqual(res.body.results);
  });

  it('needs a stated purpose, and at most 1,000 codes', async () => {
    const noPurpose = await post('/v1/checks', { codes: [syntheticUscc(1)] }, { 'accept-language': 'en' });
    expect(noPurpose.status).toBe(403);
    expect(noPurpose.body.code).toBe('GW_CHECK_PURPOSE_REQUIRED');
    const inBody = await post('/v1/checks', { codes: [syntheticUscc(1)], purpose: '政府采购供应商资格审查' });
    expect(inBody.status).toBe(200);
    const tooMany = await post('/v1/checks', { codes: Array.from({ length: 1001 }, (_, i) => syntheticUscc(i)) }, PURPOSE);
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.code).toBe('GW_CHECK_TOO_MANY_CODES');
    const empty = await post('/v1/checks', { codes: [] }, PURPOSE);
    expect(empty.status).toBe(400);
  });

  it('answers from the checks index (records_checks_idx), not a table scan', async () => {
    const client = await gw.ctx.pool.connect();
    try {
      // With this little data the planner may prefer a sequential scan; ask whether the index serves the
      // query, with the visibility map set as autovacuum keeps it (an index-only scan needs it).
      await client.query('VACUUM records');
      await client.query('SET enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${CHECK_SQL}`, [[syntheticUscc(1), syntheticUscc(2)], PUBLIC_STATUSES, today]);
      expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Only Scan using records_checks_idx/);
    } finally {
      await client.query('RESET enable_seqscan');
      client.release();
    }
  });
});
