/**
 * court-judgments end to end on the real PostgreSQL and Kafka, through the fixture source: one record
 * per government party (cases without one are skipped), malformed rows quarantined with their errors,
 * the cursor at the latest publication day, a second run with no new events, a changed (republished)
 * row → one new version, and a newly published row → created.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureConnectorInstances, fixtureRows } from '../../connectors/fixtures-server/fixture-data.js';
import { rowsOf, startFixtureSources, type FixtureSources } from '../../connectors/fixtures-server/server.js';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { readTopic, startTestGateway, type TestGateway } from '../support/env.js';
import { eventTypesOf, issuesOf, outboxCount, quarantineOf, recordBySourceKey, runConnectorOnce } from '../support/connector-runs.js';

const SYSTEM = 'wenshu.court';
let src: FixtureSources;
let gw: TestGateway;
let fixture: Array<Record<string, any>>;
let rows: Array<Record<string, any>>;

const organ = syntheticUscc(7701, { kindCode: '11' });
const company = syntheticUscc(7702);

/** A valid judgment with a government defendant, published on `fbrq`. */
function judgment(wsid: string, fbrq: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    wsid, ajmc: `样例公司诉昆山市样例局${wsid}行政判决书`, fymc: '昆山市人民法院', wslx: '判决书', ah: `（2023）苏0583行初9${wsid.slice(-2)}号`,
    ajlx: '行政案件', spcx: '一审', ay: '行政许可、行政处罚', cprq: '2023-02-20', fbrq,
    dsr: [{ mc: '样例建材有限公司', ssdw: '原告', tyshxydm: company }, { mc: '昆山市样例行政审批局', ssdw: '被告', tyshxydm: organ }],
    ...extra,
  };
}

const malformed = [
  judgment('bad-doc-type-00000000000000000001', '2023-02-02', { wslx: '裁决书' }),
  // a government organ party known only by name: it cannot be filed without its USCC
  judgment('bad-no-uscc-000000000000000000002', '2023-02-03', { dsr: [{ mc: '昆山市样例镇人民政府', ssdw: '被告' }, { mc: '张某', ssdw: '原告' }] }),
  judgment('bad-date-0000000000000000000000003', '2023-02-04', { cprq: '二〇二三年二月' }),
];
const latest = judgment('good-latest-0000000000000000000099', '2023-03-01', { lyxx: '来源信息（未知字段）' });

beforeAll(async () => {
  src = await startFixtureSources();
  fixture = fixtureRows().judgments;
  rows = [...fixture, ...malformed, latest];
  src.sets.judgments = rowsOf(rows);
  gw = await startTestGateway({
    connectors: { defaults: { backoffBaseMs: 10, perHostRatePerSecond: 1000, invalidThreshold: 0.5 }, instances: fixtureConnectorInstances(src.url, 4) },
  });
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  await src?.close();
});

describe('court-judgments connector', () => {
  it('stores one record per government party, skips cases without one, quarantines malformed rows', async () => {
    // the fixture file: government cases, cases between companies, and one case of an unknown type (知识产权案件)
    const unknownType = fixture.filter((r) => r.ajlx === '知识产权案件');
    expect(unknownType).toHaveLength(1);
    const governmentCases = fixture.filter((r) => r.dsr.some((p: any) => String(p.tyshxydm).startsWith('11')));
    const companyCases = fixture.filter((r) => !governmentCases.includes(r) && !unknownType.includes(r));
    expect(governmentCases.length).toBeGreaterThan(0);
    expect(companyCases.length).toBeGreaterThan(0);

    const run = await runConnectorOnce(gw, 'court-judgments');
    expect(run.state).toBe('succeeded');
    expect(run.pulled).toBe(rows.length);
    expect(run.pages).toBe(Math.ceil(rows.length / 4));
    expect(run.created).toBe(governmentCases.length + 1);
    expect(run.skipped).toBe(companyCases.length);
    expect(run.rejected).toBe(4);

    const { rows: stored } = await gw.ctx.pool.query<{ envelope: any }>(`SELECT envelope FROM records WHERE category = 'court_judgment'`);
    expect(stored).toHaveLength(governmentCases.length + 1);
    for (const { envelope } of stored) {
      expect(envelope.subject.kind).toBe('organ');
      expect(envelope.flags).toEqual({ governmentSubject: true });
      expect(envelope.data.governmentParty).toBe(true);
    }
    const first = await recordBySourceKey(gw, SYSTEM, `${governmentCases[0]!.wsid}|${governmentCases[0]!.dsr[1].tyshxydm}`);
    expect(first!.envelope.data).toMatchObject({
      documentId: governmentCases[0]!.wsid, caseNumber: governmentCases[0]!.ah, caseType: '行政', procedure: '一审',
      judgmentDate: governmentCases[0]!.cprq, publishDate: governmentCases[0]!.fbrq,
    });
    expect(first!.envelope.data.parties).toHaveLength(2);
    expect(first!.envelope.publishFrom).toBe(governmentCases[0]!.fbrq);

    const q = await quarantineOf(gw, 'court-judgments');
    const byKey = new Map(q.map((x) => [x.sourceKey, x]));
    expect([...byKey.keys()].sort()).toEqual([
      unknownType[0]!.wsid,
      'bad-doc-type-00000000000000000001',
      'bad-no-uscc-000000000000000000002|昆山市样例镇人民政府',
      'bad-date-0000000000000000000000003',
    ].sort());
    expect(byKey.get(unknownType[0]!.wsid)!.errors.map((e) => [e.pointer, e.rule])).toEqual([['/ajlx', 'source.unknown_code']]);
    expect(byKey.get('bad-doc-type-00000000000000000001')!.errors.map((e) => [e.pointer, e.rule])).toEqual([['/wslx', 'source.unknown_code']]);
    expect(byKey.get('bad-doc-type-00000000000000000001')!.raw).toEqual(malformed[0]);
    expect(byKey.get('bad-no-uscc-000000000000000000002|昆山市样例镇人民政府')!.errors.map((e) => e.rule)).toEqual(['source.subject_uscc']);
    const badDate = byKey.get('bad-date-0000000000000000000000003')!;
    expect(badDate.errors.map((e) => [e.pointer, e.rule])).toEqual([['/cprq', 'source.date']]);
    expect(badDate.errors[0]!.zh).toContain('二〇二三年二月');
    expect(badDate.runId).toBe(run.runId);
    const issues = await issuesOf(gw, 'court-judgments');
    expect(issues).toContainEqual({ kind: 'unknown_code', field: 'wslx', value: '裁决书' });
    expect(issues).toContainEqual({ kind: 'unknown_code', field: 'ajlx', value: '知识产权案件' });
    expect(issues).toContainEqual({ kind: 'unknown_field', field: 'lyxx', value: '' });

    // the next pass starts at the latest publication day seen
    const { rows: state } = await gw.ctx.pool.query('SELECT cursor FROM connector_state WHERE connector = $1', ['court-judgments']);
    expect(state[0]!.cursor).toEqual({ since: '2023-03-01', page: 1, latest: null });

    const topic = gw.config.destinations[0]!.topic;
    const msgs = await readTopic(topic, { until: (m) => m.length >= stored.length, settleMs: 300 });
    expect(msgs).toHaveLength(stored.length);
    expect(msgs.every((m) => m.headers['event-type'] === 'record.upserted')).toBe(true);
    expect(await outboxCount(gw, gw.config.destinations[1]!.topic)).toBe(0); // "nat" does not take court_judgment
  });

  it('a second run reads only from the latest day on and makes no new events', async () => {
    const before = await outboxCount(gw, gw.config.destinations[0]!.topic);
    const requestsBefore = src.requests.length;
    const run = await runConnectorOnce(gw, 'court-judgments');
    expect(run.state).toBe('succeeded');
    expect(run.pulled).toBe(1);
    expect(run.unchanged).toBe(1);
    expect(run.created + run.updated + run.rejected).toBe(0);
    expect(src.requests.slice(requestsBefore).map((r) => r.query.fbrqFrom)).toEqual(['2023-03-01']);
    expect(await outboxCount(gw, gw.config.destinations[0]!.topic)).toBe(before);
  });

  it('a republished, corrected row makes one new version; a newly published row is created', async () => {
    const corrected = { ...latest, ajmc: `${latest.ajmc}（更正）`, fbrq: '2023-03-02' };
    const fresh = judgment('good-fresh-00000000000000000000100', '2023-03-03');
    src.sets.judgments = rowsOf([...rows.filter((r) => r !== latest), corrected, fresh]);
    const before = await outboxCount(gw, gw.config.destinations[0]!.topic);

    const run = await runConnectorOnce(gw, 'court-judgments');
    expect(run.updated).toBe(1);
    expect(run.created).toBe(1);
    expect(run.unchanged + run.rejected).toBe(0);
    expect(await outboxCount(gw, gw.config.destinations[0]!.topic)).toBe(before + 2);

    const updated = await recordBySourceKey(gw, SYSTEM, `${latest.wsid}|${organ}`);
    expect(updated!.versions).toEqual(['created', 'updated']);
    expect(updated!.envelope.data.caseName).toContain('（更正）');
    expect(updated!.envelope.data.publishDate).toBe('2023-03-02');
    expect(await eventTypesOf(gw, updated!.recordId, 'prov')).toEqual(['record.upserted', 'record.upserted']);
  });
});
