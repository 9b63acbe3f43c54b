/**
 * bidding end to end on the real PostgreSQL and Kafka, through the fixture source's GBK-encoded HTML
 * list pages (charset declared only in a <meta> tag): rows read from the table by heading, pages
 * followed by their 下一页 link, GBK-only characters and HTML entities decoded, malformed rows
 * quarantined, no new events on an unchanged second run, a changed row → one new version, a row
 * gone from the list → `removed`; source faults (503s, a reset, a truncated page) ridden out, and a
 * run failed by a page that keeps failing resumed by the next run at that page.
 */
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureConnectorInstances, fixtureRows } from '../../connectors/fixtures-server/fixture-data.js';
import { rowsOf, startFixtureSources, type FixtureSources } from '../../connectors/fixtures-server/server.js';
import { readTopic, startTestGateway, type TestGateway } from '../support/env.js';
import { eventTypesOf, issuesOf, outboxCount, quarantineOf, recordBySourceKey, runConnectorOnce } from '../support/connector-runs.js';

const SYSTEM = 'ggzy.bad-records';
let src: FixtureSources;
let gw: TestGateway;
let rows: Array<Record<string, string>>;
let prov: string;

const keyOf = (r: Record<string, string>) => `${r['处理文号']}|${r['统一社会信用代码']}`;

beforeAll(async () => {
  src = await startFixtureSources();
  src.biddingPageSize = 4;
  const fixture = fixtureRows().bidding;
  // a GBK-only character (镕) and characters that must be escaped in HTML
  const special = { ...fixture[0]!, 序号: '10', 当事人: '朱镕建筑&安装<昆山>有限公司', 处理文号: '昆建招处〔2023〕21号', 项目名称: '昆山市“样例”路改造' };
  const unknownRole = { ...fixture[1]!, 序号: '11', 当事人类型: '投标代理人', 处理文号: '昆建招处〔2023〕22号' };
  rows = [...fixture, special, unknownRole];
  src.sets.bidding = rowsOf(rows);
  gw = await startTestGateway({
    connectors: {
      defaults: { backoffBaseMs: 10, perHostRatePerSecond: 1000, removalAfterRuns: 1, invalidThreshold: 0.5 },
      instances: fixtureConnectorInstances(src.url, 4),
    },
  });
  prov = gw.config.destinations[0]!.topic;
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  await src?.close();
});

describe('bidding connector', () => {
  it('the fixture pages really are GBK with the charset only in a <meta> tag', async () => {
    const res = await fetch(`${src.url}/bidding?page=1`);
    expect(res.headers.get('content-type')).toBe('text/html');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.toString('utf8')).not.toContain('当事人');
    expect(iconv.decode(bytes, 'gbk')).toContain('<meta http-equiv="Content-Type" content="text/html; charset=gbk">');
  });

  it('stores the table rows of every page, decoded, and quarantines malformed rows', async () => {
    const run = await runConnectorOnce(gw, 'bidding');
    expect(run.state).toBe('succeeded');
    expect(run.pulled).toBe(rows.length);
    expect(run.pages).toBe(3);
    expect(src.requests.filter((r) => r.path === '/bidding' && r.outcome === 200).map((r) => r.query.page)).toEqual(['1', '1', '2', '3']);
    // the fixture's last row has an unreadable date; plus the unknown-role row added here
    expect(run.rejected).toBe(2);
    expect(run.created).toBe(rows.length - 2);

    const first = (await recordBySourceKey(gw, SYSTEM, keyOf(rows[0]!)))!;
    expect(first.envelope).toMatchObject({
      category: 'bidding_misconduct',
      subject: { name: rows[0]!['当事人'], uscc: rows[0]!['统一社会信用代码'], kind: 'enterprise' },
      flags: { governmentSubject: false },
      decidedAt: '2023-01-03', publishFrom: '2023-01-03', publishUntil: '2023-07-04',
      data: { projectCode: rows[0]!['项目编号'], partyRole: '投标人', decisionAuthority: '昆山市住房和城乡建设局', behaviour: '以他人名义投标' },
    });
    const special = (await recordBySourceKey(gw, SYSTEM, `昆建招处〔2023〕21号|${rows[0]!['统一社会信用代码']}`))!;
    expect(special.envelope.subject.name).toBe('朱镕建筑&安装<昆山>有限公司');
    expect(special.envelope.data.projectName).toBe('昆山市“样例”路改造');

    const q = await quarantineOf(gw, 'bidding');
    const rules = Object.fromEntries(q.map((x) => [x.sourceKey, x.errors.map((e) => `${e.pointer} ${e.rule}`)]));
    expect(rules).toEqual({
      [keyOf(rows[8]!)]: ['/处理日期 source.date'],
      [keyOf(rows[10]!)]: ['/当事人类型 source.unknown_code'],
    });
    expect(q.find((x) => x.sourceKey === keyOf(rows[10]!))!.raw).toEqual(rows[10]);
    expect(await issuesOf(gw, 'bidding')).toEqual([{ kind: 'unknown_code', field: '当事人类型', value: '投标代理人' }]);

    const msgs = await readTopic(prov, { until: (m) => m.length >= run.created, settleMs: 300 });
    expect(msgs).toHaveLength(run.created);
    expect(msgs.every((m) => m.headers['event-type'] === 'record.upserted')).toBe(true);
  });

  it('a second run over unchanged pages makes no new events', async () => {
    const before = await outboxCount(gw, prov);
    const run = await runConnectorOnce(gw, 'bidding');
    expect(run.unchanged).toBe(rows.length - 2);
    expect(run.created + run.updated + run.removed).toBe(0);
    expect(await outboxCount(gw, prov)).toBe(before);
  });

  it('a changed row makes one new version; a row gone from the list becomes removed', async () => {
    const changed = { ...rows[1]!, 处理决定: '记不良行为记录一次，暂停投标资格十二个月' };
    src.sets.bidding = rowsOf([rows[0]!, changed, ...rows.slice(3)]); // rows[2] leaves the list
    const before = await outboxCount(gw, prov);
    const run = await runConnectorOnce(gw, 'bidding');
    expect(run.updated).toBe(1);
    expect(run.removed).toBe(1);
    expect(run.created).toBe(0);
    expect(await outboxCount(gw, prov)).toBe(before + 2);

    const updated = (await recordBySourceKey(gw, SYSTEM, keyOf(rows[1]!)))!;
    expect(updated.versions).toEqual(['created', 'updated']);
    expect(updated.envelope.data.handlingDecision).toBe('记不良行为记录一次，暂停投标资格十二个月');
    const gone = (await recordBySourceKey(gw, SYSTEM, keyOf(rows[2]!)))!;
    expect(gone.status).toBe('removed');
    expect(gone.versions).toEqual(['created', 'status_changed']);
    expect(await eventTypesOf(gw, gone.recordId, 'prov')).toEqual(['record.upserted', 'record.status_changed']);
  });

  it('rides out 503s, a reset and a truncated page; a page that keeps failing fails the run, and the next run resumes there', async () => {
    const listed = src.sets.bidding.length;
    src.fault('/bidding', { kind: 'status', status: 503, times: 2, page: 1 });
    src.fault('/bidding', { kind: 'reset', times: 1, page: 2 });
    src.fault('/bidding', { kind: 'truncate', times: 1, page: 3 });
    const before = src.requests.length;
    const ok = await runConnectorOnce(gw, 'bidding');
    expect(ok.state).toBe('succeeded');
    expect(ok.pulled).toBe(listed);
    expect(ok.created + ok.updated + ok.removed).toBe(0);
    expect(src.requests.slice(before).map((r) => `${r.query.page}:${r.outcome}`)).toEqual(['1:503', '1:503', '1:200', '2:reset', '2:200', '3:truncate', '3:200']);

    // page 2 answers 500 to every one of the run's attempts (maxAttempts 5): the run fails after page 1
    src.fault('/bidding', { kind: 'status', status: 500, times: gw.config.connectors.defaults.maxAttempts, page: 2 });
    const failed = await runConnectorOnce(gw, 'bidding');
    expect(failed.state).toBe('failed');
    expect(failed.pages).toBe(1);
    expect(failed.error).toContain('HTTP 500');
    const { rows: state } = await gw.ctx.pool.query('SELECT cursor FROM connector_state WHERE connector = $1', ['bidding']);
    expect(state[0]!.cursor).toEqual({ page: 2 });
    const list = await (await fetch(`${gw.url}/v1/connectors`)).json() as any;
    expect(list.connectors.find((c: any) => c.name === 'bidding').lastError.message).toContain('HTTP 500');

    // the next run resumes at page 2 and completes the pass: nothing duplicated, nothing wrongly removed
    const resumedFrom = src.requests.length;
    const resumed = await runConnectorOnce(gw, 'bidding');
    expect(resumed.state).toBe('succeeded');
    expect(src.requests.slice(resumedFrom).map((r) => r.query.page)).toEqual(['2', '3']);
    const onPages2and3 = listed - src.biddingPageSize;
    expect(resumed.pulled).toBe(onPages2and3);
    expect(resumed.unchanged + resumed.rejected).toBe(onPages2and3);
    expect(resumed.created + resumed.updated + resumed.removed).toBe(0);
    const { rows: removed } = await gw.ctx.pool.query(`SELECT count(*)::int AS n FROM records WHERE status = 'removed'`);
    expect(removed[0].n).toBe(1);
  });
});
