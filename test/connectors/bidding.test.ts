/**
 * 公共资源交易 不良行为记录 (bidding/ggzy-bad-records) end to end on the real PostgreSQL and Kafka.
 *
 * NO RECORDED PAGE of such a list exists in this repository (the source file says so): the pages are the
 * fixture server's, in the shape issue 14 describes — GBK bytes declared gb2312, the list table inside
 * layout tables and found by its headings, a pager of javascript: links (goPage(N)) with 共N页 on the
 * page, periods like 2019.04.08-2019.10.07 — filled with generated rows (generate.ts ggzyRow). Rows
 * marked "derived" are generated rows with fields changed, labelled where they are built.
 *
 * The list gives no USCC and the source file names no region: a company is known by its name only,
 * stored pending, in the region of the centre's jurisdiction — the instance's `region` (320583, 昆山市,
 * where the generated rows are published; fixtureConnectorInstances sets it).
 *
 * 评标专家: a party who is a person. The list names experts by a masked name (王某4) and gives no
 * identity number. Decision: such a row is quarantined with source.subject_id, and that is what a credit
 * centre should do — a record is attributed to a subject by a USCC or an identity number; a masked name
 * alone names no one (every 王某 would match), so storing it would publish a record nobody can be held
 * to or cleared of. The quarantine keeps the raw row for review (the centre's 专家库 has the number), and
 * its key still counts as listed, so it never causes removals. The cost: a list with more than
 * invalidThreshold (20%) of experts fails every run on invalid_share.
 *
 * A pass that cannot be read to its end — a next link that cannot be followed (javascript:void(0)), a
 * listing that stops short of its 共N页 — fails the run with a pass_incomplete alert and removes nothing;
 * those pages come from a small HTTP server in this file (the fixture server always pages correctly).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureConnectorInstances, instanceNameOf } from '../../connectors/fixtures-server/fixture-data.js';
import { ggzyRow } from '../../connectors/fixtures-server/generate.js';
import { renderGgzyPage, rowsOf, SOURCE_PAGE_SIZES, startFixtureSources, type FixtureSources } from '../../connectors/fixtures-server/server.js';
import { quarantineOf, recordBySourceKey, runConnectorOnce } from '../support/connector-runs.js';
import { startTestGateway, type TestGateway } from '../support/env.js';

const SOURCE = 'bidding/ggzy-bad-records';
const CENTRE = instanceNameOf(SOURCE);
const SYSTEM = 'ggzy.bad-records';
const PAGER = 'ggzy-pager';
const NO_META = 'ggzy-no-meta';
const REGION = '320583';
const PAGE = SOURCE_PAGE_SIZES.ggzy; // 20

// 45 generated rows and one DERIVED row: a publication period that starts after the day it was published
// (发布日期 2019-04-03, 公示期限 2019.04.08-2019.10.07), and a company name with 镕, a GBK character GB2312 lacks
const DERIVED: Record<string, string> = {
  ...ggzyRow(1), 序号: '46', 当事人: '昆山镕达建设工程有限公司', 项目名称: '昆山市样例道路改造工程施工（派生行）',
  公示期限: '2019.04.08-2019.10.07', 发布日期: '2019-04-03',
};
const GENERATED = Array.from({ length: 45 }, (_, i) => ggzyRow(i));
const LISTED: Array<Record<string, string>> = [...GENERATED, DERIVED];
const isExpert = (r: Record<string, string>) => r['当事人类型'] === '评标专家';
const keyOf = (r: Record<string, string>) => `${r['当事人']}|${r['项目名称']}|${r['发布日期']}`;

// ---------------------------------------------------------------------------------------------------
// A small source of trading-centre pages, paged by ?page=N, in modes the fixture server does not have
// ---------------------------------------------------------------------------------------------------

type Mode = 'complete' | 'void-link' | 'short' | 'fewer';
const pagerRows = Array.from({ length: 60 }, (_, i) => ggzyRow(i)); // three full pages
const fewerRows = pagerRows.slice(0, 40); // two pages: the last 20 rows taken off the list
let mode: Mode = 'complete';
const pagerRequests: Array<{ path: string; page: number }> = [];

/** The GBK page `page` of the current mode: rows, 共N页 and the next link as the mode has them. */
function pagerPage(page: number): string {
  const rows = mode === 'fewer' ? fewerRows : pagerRows;
  const slice = rows.slice((page - 1) * PAGE, page * PAGE);
  if (mode === 'complete') return renderGgzyPage(slice, page, 3);
  if (mode === 'fewer') return renderGgzyPage(slice, page, 2);
  if (mode === 'void-link') {
    // 共3页, and a 下一页 link that names no page
    const html = renderGgzyPage(slice, page, 3);
    if (!html.includes(`javascript:goPage(${page + 1})`)) throw new Error('the rendered page has no goPage link to replace');
    return html.replace(`javascript:goPage(${page + 1})`, 'javascript:void(0)');
  }
  // short: the page says 共5页, but page 2 has no 下一页 link: the listing stops after page 2
  const html = renderGgzyPage(slice, page, 5);
  return page >= 2 ? html.replace(/<a href="javascript:goPage\(\d+\)">下一页<\/a>/, '') : html;
}

let pagerServer: Server;
let pagerUrl = '';

async function startPagerServer(): Promise<void> {
  pagerServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://pager');
    const page = Number(url.searchParams.get('page') ?? '1');
    pagerRequests.push({ path: url.pathname, page });
    let html = pagerPage(page);
    // /no-meta: the same page with its <meta> charset taken out (the bytes stay GBK; Content-Type names none)
    if (url.pathname === '/no-meta') html = html.replace(/<meta [^>]*>/, '');
    const body = iconv.encode(html, 'gbk');
    res.writeHead(200, { 'content-type': 'text/html', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => pagerServer.listen(0, '127.0.0.1', () => resolve()));
  pagerUrl = `http://127.0.0.1:${(pagerServer.address() as AddressInfo).port}`;
}

// ---------------------------------------------------------------------------------------------------

let src: FixtureSources;
let gw: TestGateway;

beforeAll(async () => {
  src = await startFixtureSources();
  src.sets.ggzy = rowsOf(LISTED);
  await startPagerServer();
  const fixture = fixtureConnectorInstances(src.url) as Record<string, { region?: string }>;
  expect(fixture[CENTRE]!.region).toBe(REGION);
  const own = { source: SOURCE, region: REGION, enabled: true, schedule: null };
  gw = await startTestGateway({
    connectors: {
      defaults: { backoffBaseMs: 10, perHostRatePerSecond: 1000 },
      instances: {
        [CENTRE]: fixture[CENTRE],
        // removal after one pass and no brake: a pass wrongly taken as complete would remove records at once
        [PAGER]: { ...own, system: 'ggzy.pager', baseUrl: `${pagerUrl}/list`, removalAfterRuns: 1, removalMaxShare: 1 },
        [NO_META]: { ...own, system: 'ggzy.no-meta', baseUrl: `${pagerUrl}/no-meta` },
      },
    },
    // the periods of 2019-2024 have ended; the records' status must not depend on the hour the test runs at
    lifecycle: { expiryEnabled: false },
  });
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  await src?.close();
  await new Promise<void>((resolve) => {
    if (!pagerServer) return resolve();
    pagerServer.closeAllConnections();
    pagerServer.close(() => resolve());
  });
});

async function statusesOf(system: string): Promise<Record<string, number>> {
  const { rows } = await gw.ctx.pool.query<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM current_records WHERE envelope->'source'->>'system' = $1 GROUP BY status`, [system]);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

async function alertReasonsOf(connector: string, runId: number): Promise<string[]> {
  const { rows } = await gw.ctx.pool.query<{ details: { reason: string } }>(
    'SELECT details FROM monitoring_alerts WHERE connector = $1 AND connector_run_id = $2', [connector, runId]);
  return rows.map((r) => r.details.reason);
}

describe('bidding/ggzy-bad-records against the fixture server\'s GBK pages (generated rows)', () => {
  const companies = LISTED.filter((r) => !isExpert(r));
  const experts = LISTED.filter(isExpert);

  it('finds the list table inside the layout tables, follows goPage(N) to the last of 共3页, and stores every company', async () => {
    expect(LISTED).toHaveLength(46);
    expect(experts.length).toBe(5);
    const run = await runConnectorOnce(gw, CENTRE);
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ state: 'succeeded', pages: 3, pulled: 46, created: companies.length, rejected: experts.length, issues: 0 });
    const asked = src.requests.filter((r) => r.path === '/ggzy/bad-records');
    expect(asked.map((r) => [r.method, r.params.page])).toEqual([['GET', '1'], ['GET', '2'], ['GET', '3']]);
    expect(await statusesOf(SYSTEM)).toEqual({ active: companies.length });
  });

  it('each company record says what its row said, decoded from GBK: party, role, behaviour, decision, authority, dates, period', async () => {
    for (const r of companies) {
      const stored = await recordBySourceKey(gw, SYSTEM, keyOf(r));
      expect(stored, keyOf(r)).toBeDefined();
      const env = stored!.envelope;
      const [from, until] = r['公示期限']!.split('-').map((d) => d.replaceAll('.', '-'));
      // no code on the list: an organisation known by name, in the centre's region, pending a USCC
      expect(env.subject, keyOf(r)).toEqual({ name: r['当事人'], kind: 'other', region: REGION });
      expect({ category: env.category, severity: env.severity, decidedAt: env.decidedAt, publishUntil: env.publishUntil }, keyOf(r)).toEqual({
        category: 'bidding_misconduct', severity: 'general', decidedAt: r['发布日期'], publishUntil: until,
      });
      expect(env.data, keyOf(r)).toEqual({
        projectName: r['项目名称'], party: r['当事人'], partyRole: r['当事人类型'], behaviour: r['不良行为内容'],
        handlingDecision: r['处理决定'], decisionAuthority: r['发布部门'], decisionDate: r['发布日期'], publishFrom: from, publishUntil: until,
      });
    }
    const { rows } = await gw.ctx.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM current_records WHERE envelope->'source'->>'system' = $1 AND pending`, [SYSTEM]);
    expect(rows[0]!.n).toBe(companies.length);
    // 镕 is in GBK, not in GB2312: the page declared gb2312 and was read as GB18030
    expect((await recordBySourceKey(gw, SYSTEM, keyOf(DERIVED)))?.envelope.subject.name).toBe('昆山镕达建设工程有限公司');
  });

  // the record's publishFrom comes from the period (record.publishFrom), so earliestRepairAt is counted from it
  it('reads the period 2019.04.08-2019.10.07 as the record\'s publishFrom and publishUntil (derived row, published on 2019-04-03)', async () => {
    const env = (await recordBySourceKey(gw, SYSTEM, keyOf(DERIVED)))!.envelope;
    expect(env.decidedAt).toBe('2019-04-03');
    expect(env.data).toMatchObject({ publishFrom: '2019-04-08', publishUntil: '2019-10-07' });
    expect(env.publishUntil).toBe('2019-10-07');
    // the record's own publication start is the period's first day, not the day the list was published
    expect(env.publishFrom).toBe('2019-04-08');
  });

  it('quarantines each 评标专家 (a person with no identity number on the list) with source.subject_id, keeping the raw row for review', async () => {
    const quarantined = await quarantineOf(gw, CENTRE);
    expect(quarantined.map((q) => q.sourceKey).sort()).toEqual(experts.map(keyOf).sort());
    for (const q of quarantined) {
      expect(q.raw['当事人类型']).toBe('评标专家');
      expect(q.raw['当事人']).toMatch(/^王某\d+$/);
      expect(q.errors.map((e) => e.rule)).toEqual(['source.subject_id']);
    }
    for (const e of experts) expect(await recordBySourceKey(gw, SYSTEM, keyOf(e))).toBeUndefined();
  });
});

describe('a pass that cannot be read to its end fails, alerts pass_incomplete and removes nothing', () => {
  const companies = pagerRows.filter((r) => !isExpert(r));

  it('first, a complete pass over the three pages stores the companies', async () => {
    mode = 'complete';
    const run = await runConnectorOnce(gw, PAGER);
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ state: 'succeeded', pages: 3, pulled: 60, created: companies.length, removed: 0 });
    expect(pagerRequests.map((r) => r.page)).toEqual([1, 2, 3]);
    expect(await statusesOf('ggzy.pager')).toEqual({ active: companies.length });
  });

  it('(a) a 下一页 link javascript:void(0) names no page: the run fails at page 1, nothing stored or removed', async () => {
    mode = 'void-link';
    pagerRequests.length = 0;
    const run = await runConnectorOnce(gw, PAGER);
    expect(run.state).toBe('failed');
    expect(run.error).toContain('cannot be followed');
    expect(run.error).toContain('javascript:void(0)');
    expect(run).toMatchObject({ pages: 0, removed: 0 });
    expect(pagerRequests.map((r) => r.page)).toEqual([1]);
    await expect.poll(() => alertReasonsOf(PAGER, run.runId)).toEqual(['pass_incomplete']);
    expect(await statusesOf('ggzy.pager')).toEqual({ active: companies.length });
  });

  it('(b) a listing that stops after page 2 of the 共5页 it states: the run fails, page 1 kept, nothing removed', async () => {
    mode = 'short';
    pagerRequests.length = 0;
    const run = await runConnectorOnce(gw, PAGER);
    expect(run.state).toBe('failed');
    expect(run.error).toContain('short of the 5 pages it states');
    expect(run).toMatchObject({ pages: 1, pulled: PAGE, removed: 0 });
    expect(pagerRequests.map((r) => r.page)).toEqual([1, 2]);
    await expect.poll(() => alertReasonsOf(PAGER, run.runId)).toEqual(['pass_incomplete']);
    expect(await statusesOf('ggzy.pager')).toEqual({ active: companies.length });
  });

  it('once the source pages correctly again, the pass goes on from page 2 to its end, and still nothing is removed', async () => {
    mode = 'complete';
    pagerRequests.length = 0;
    const run = await runConnectorOnce(gw, PAGER);
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ state: 'succeeded', pages: 2, removed: 0 });
    expect(pagerRequests.map((r) => r.page)).toEqual([2, 3]);
    expect(await statusesOf('ggzy.pager')).toEqual({ active: companies.length });
  });

  it('while a complete pass that really lists fewer rows does remove the rest (so the checks above could fail)', async () => {
    mode = 'fewer';
    pagerRequests.length = 0;
    const gone = pagerRows.slice(40).filter((r) => !isExpert(r)).length;
    const run = await runConnectorOnce(gw, PAGER);
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ state: 'succeeded', pages: 2, removed: gone });
    expect(pagerRequests.map((r) => r.page)).toEqual([1, 2]);
    expect(await statusesOf('ggzy.pager')).toEqual({ active: companies.length - gone, removed: gone });
  });
});

describe('the character set the source file names', () => {
  it('decodes a GBK page that declares no charset (no <meta>, none in Content-Type) by the file\'s response.charset gb18030', async () => {
    // the file's response.charset decodes a page that declares none (an instance's encoding would override it)
    mode = 'complete';
    const run = await runConnectorOnce(gw, NO_META);
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ state: 'succeeded', pages: 3, pulled: 60 });
    const first = await recordBySourceKey(gw, 'ggzy.no-meta', keyOf(pagerRows[0]!));
    expect(first?.envelope.subject.name).toBe('样例建筑工程有限公司0');
  });
});
