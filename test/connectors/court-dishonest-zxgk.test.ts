/**
 * 失信被执行人 from the court's own site (court-dishonest/zxgk-shixin), end to end on the real
 * PostgreSQL and Kafka. The fixture server answers as the site does: POST form paging by currentPage,
 * 10 rows a page whatever is asked, a JSON array holding one page object with result and totalSize.
 *
 * First with the three real recorded rows (connectors/court-dishonest/fixtures/zxgk): checked field by
 * field against what the site said (partyTypeName 580 / 581, dates as 2014年06月20日, an organisation's
 * 9-character 组织机构代码 in cardNum stored pending, duty with its \r\n, 暂无 as no value).
 *
 * Then a listing that ends short of the totalSize it states. The site's rows and envelope are the
 * fixture server's; a small proxy in this file forwards every request to it and, when told to,
 * rewrites only the page object's totalSize (and totalPage) to a larger figure. Such a pass is not
 * complete: the run fails with a pass_incomplete alert and nothing is removed, although the instance
 * removes after one complete pass with no removal brake — and the same instance does remove rows
 * missing from a pass that really is complete (the last test), so "nothing removed" is not vacuous.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_PATHS, instanceNameOf, fixtureConnectorInstances, realRows } from '../../connectors/fixtures-server/fixture-data.js';
import { zxgkRow } from '../../connectors/fixtures-server/generate.js';
import { rowsOf, SOURCE_PAGE_SIZES, startFixtureSources, type FixtureSources } from '../../connectors/fixtures-server/server.js';
import type { ConnectorAlert } from '../../src/connectors/alerts.js';
import { usccCheckChar } from '../../src/domain/uscc.js';
import { eventTypesOf, issuesOf, pushLicence, quarantineOf, recordBySourceKey, runConnectorOnce } from '../support/connector-runs.js';
import { startTestGateway, type TestGateway } from '../support/env.js';
import { listRecordEvents } from '../../src/outbox/outbox.js';

const SOURCE = 'court-dishonest/zxgk-shixin';
const NAME = instanceNameOf(SOURCE);
const PATH = FIXTURE_PATHS[SOURCE]!;
const SYSTEM = 'zxgk.court';
const rows = realRows().zxgk;

/**
 * Forwards every request to the fixture server unchanged; while `statedTotal` is set, the court-site
 * answer states that totalSize (and the matching totalPage) instead of the number of rows it lists.
 */
interface StatingProxy {
  url: string;
  statedTotal: number | null;
  close(): Promise<void>;
}

async function startStatingProxy(target: string): Promise<StatingProxy> {
  const proxy: StatingProxy = { url: '', statedTotal: null, close: async () => undefined };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const upstream = await fetch(`${target}${req.url ?? '/'}`, {
          method: req.method ?? 'GET',
          headers: { 'content-type': String(req.headers['content-type'] ?? 'text/plain') },
          ...(body.length ? { body } : {}),
        });
        let text = await upstream.text();
        if (proxy.statedTotal !== null && new URL(req.url ?? '/', 'http://proxy').pathname === PATH && upstream.ok) {
          const page = JSON.parse(text) as Array<{ totalSize: number; totalPage: number; pageSize: number }>;
          page[0]!.totalSize = proxy.statedTotal;
          page[0]!.totalPage = Math.ceil(proxy.statedTotal / page[0]!.pageSize);
          text = JSON.stringify(page);
        }
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' }).end(text);
      })().catch((err: unknown) => res.writeHead(502).end(String(err)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return proxy;
}

let src: FixtureSources;
let proxy: StatingProxy;
let gw: TestGateway;
const alerts: ConnectorAlert[] = [];

beforeAll(async () => {
  src = await startFixtureSources();
  proxy = await startStatingProxy(src.url);
  const instances = fixtureConnectorInstances(proxy.url);
  gw = await startTestGateway({
    // the 2014 rows' publication ended years ago; the hourly expiry job must not change them mid-test
    lifecycle: { expiryEnabled: false },
    connectors: {
      defaults: { backoffBaseMs: 10, perHostRatePerSecond: 1000 },
      // removal after ONE complete pass, and no removal brake: only the completeness of a pass stands
      // between a listing that falls short and the removal of what it left out
      instances: { [NAME]: { ...(instances[NAME] as object), removalAfterRuns: 1, removalMaxShare: 1, removalBrakeMinRecords: 0 } },
    },
  });
  gw.ctx.connectors!.onAlert((a) => {
    alerts.push(a);
  });
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  await proxy?.close();
  await src?.close();
});

const sitePages = (from: number) => src.requests.slice(from).filter((r) => r.path === PATH);

async function statuses(): Promise<Record<string, number>> {
  const { rows: r } = await gw.ctx.pool.query<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM current_records WHERE envelope->'source'->>'system' = $1 GROUP BY status`, [SYSTEM]);
  return Object.fromEntries(r.map((x) => [x.status, x.n]));
}

/** record.status_changed events queued, for every destination or for one. */
async function statusChangedEvents(destination?: string): Promise<number> {
  const events = await listRecordEvents(gw.ctx.pool, destination ? { destination } : {});
  return events.filter((e) => e.type === 'record.status_changed').length;
}

describe('court-dishonest/zxgk-shixin with the recorded rows', () => {
  it('asks the site by POST form for page 1 and stores the three rows, the person masked as published', async () => {
    expect(rows).toHaveLength(3);
    src.sets.zxgk = rowsOf(rows);
    const before = src.requests.length;
    const run = await runConnectorOnce(gw, NAME);
    expect(run.state).toBe('succeeded');
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ pages: 1, pulled: 3, created: 3, rejected: 0, skipped: 0, removed: 0, issues: 0 });
    expect(await quarantineOf(gw, NAME)).toEqual([]);
    expect(await issuesOf(gw, NAME)).toEqual([]);
    const asked = sitePages(before);
    expect(asked.map((r) => [r.method, r.params])).toEqual([['POST', { pProvince: '0', currentPage: '1' }]]);

    // 2014, a person: partyTypeName 580, dates as 2014年06月20日, no legal representative, no 已履行 parts
    const person = await recordBySourceKey(gw, SYSTEM, '(2014)丰法民执字第00326号|5135211957****5090');
    expect(person?.versions).toEqual(['created']);
    expect(person?.envelope).toMatchObject({
      category: 'dishonest_debtor', severity: 'severe', status: 'active', decidedAt: '2014-12-07', publishFrom: '2014-12-07',
      // 其他有履行能力而拒不履行…: listed until the duty is performed, no fixed end
      publishUntil: null,
      subject: { name: '秦某某', kind: 'person', idNumber: '5135211957****5090', region: '500000' },
      source: { system: SYSTEM, key: '(2014)丰法民执字第00326号|5135211957****5090' },
    });
    // exactly what the site said, and nothing of id, age, sexy, focusNumber
    expect(person!.envelope.data).toEqual({
      name: '秦某某', partyType: '自然人', idNumberMasked: '5135211957****5090', caseNumber: '(2014)丰法民执字第00326号',
      court: '丰都县人民法院', province: '重庆', basisDocumentNumber: '(2014)丰法民初字第00072号', issuingUnit: '丰都县人民法院',
      filingDate: '2014-06-20', duty: '法院生效裁判:调解', performance: '全部未履行',
      behaviour: '其他有履行能力而拒不履行生效法律文书确定义务', publishDate: '2014-12-07',
    });
    expect(await eventTypesOf(gw, person!.recordId, 'prov')).toEqual(['record.upserted']);
  });

  it('stores an organisation known by its 9-character 组织机构代码 as pending: provincial topic yes, national no', async () => {
    const unit = await recordBySourceKey(gw, SYSTEM, '(2014)广法执字第00232号|680926658');
    expect(unit?.envelope.subject).toEqual({ name: '广昌青湖钢厂', kind: 'other', region: '360000', orgCode: '680926658' });
    expect(unit?.envelope).toMatchObject({ decidedAt: '2014-12-11', publishFrom: '2014-12-11', flags: { governmentSubject: false } });
    // 其它规避执行 is not a "有履行能力而拒不履行" case: the court list's 24 months apply
    expect(unit?.envelope.publishUntil).toBe('2016-12-11');
    expect(unit?.envelope.data).toEqual({
      name: '广昌青湖钢厂', partyType: '法人或其他组织', orgCode: '680926658', legalRepresentative: '万某某',
      caseNumber: '(2014)广法执字第00232号', court: '江西省广昌县人民法院', province: '江西',
      basisDocumentNumber: '（2014）广民初字第501号民事判决书', issuingUnit: '江西省广昌县人民法院', filingDate: '2014-11-28',
      duty: '1.被告广昌青湖钢厂在本判决生效之日起七日内支付原告揭某某水泥款53300元；2.本案诉讼费1133元，财产保全费620元，由被告承担。',
      performance: '全部未履行', behaviour: '其它规避执行', publishDate: '2014-12-11',
    });
    expect(await eventTypesOf(gw, unit!.recordId, 'prov')).toEqual(['record.upserted']);
    expect(await eventTypesOf(gw, unit!.recordId, 'nat')).toEqual([]);
    const { rows: pending } = await gw.ctx.pool.query<{ key: string }>(
      `SELECT envelope->'source'->>'key' AS key FROM current_records WHERE pending ORDER BY 1`);
    expect(pending.map((r) => r.key)).toEqual(['(2014)广法执字第00232号|680926658', '（2017）桂1322执487号|619848910']);
  });

  it('keeps the 2017 duty verbatim with its \\r\\n line breaks, and reads 暂无 as no value', async () => {
    const raw = rows.find((r) => r.caseCode === '（2017）桂1322执487号')!;
    expect(raw.performedPart).toBe('暂无');
    expect(raw.unperformPart).toBe('暂无');
    const unit = await recordBySourceKey(gw, SYSTEM, '（2017）桂1322执487号|619848910');
    expect(unit?.envelope.subject).toEqual({ name: '广西五鸿建设集团有限公司', kind: 'other', region: '450000', orgCode: '619848910' });
    const data = unit!.envelope.data as Record<string, unknown>;
    expect(data.duty).toBe(raw.duty);
    expect((data.duty as string).split('\r\n')).toHaveLength(3);
    expect(data).toMatchObject({
      partyType: '法人或其他组织', orgCode: '619848910', legalRepresentative: '蔡某某', caseNumber: '（2017）桂1322执487号',
      court: '象州县人民法院', province: '广西', basisDocumentNumber: '（2017）桂1322民初151号', issuingUnit: '象州县人民法院',
      filingDate: '2017-08-11', performance: '全部未履行', behaviour: '违反财产报告制度', publishDate: '2017-11-26',
    });
    expect(data).not.toHaveProperty('performedPart');
    expect(data).not.toHaveProperty('unperformedPart');
    expect(unit?.envelope).toMatchObject({ decidedAt: '2017-11-26', publishUntil: '2019-11-26' });
  });

  it('completes the pending organisation, and publishes it nationally, once the registry learns its organisation code', async () => {
    const first17 = `91451322${'619848910'}`;
    const uscc = `${first17}${usccCheckChar(first17)}`;
    expect(await pushLicence(gw, {
      uscc, name: '广西五鸿建设集团有限公司', key: 'registry-zxgk-1', decidedAt: '2018-03-01', representative: '蔡某某',
      permit: '建筑业企业资质证书', number: '桂建审〔2018〕1号', content: '建筑业企业资质', authority: '广西壮族自治区住房和城乡建设厅',
    })).toBe(200);
    const unit = await recordBySourceKey(gw, SYSTEM, '（2017）桂1322执487号|619848910');
    expect(unit?.envelope.subject).toMatchObject({ uscc, kind: 'enterprise', orgCode: '619848910', name: '广西五鸿建设集团有限公司' });
    expect(unit?.versions).toEqual(['created', 'updated']);
    await expect.poll(() => eventTypesOf(gw, unit!.recordId, 'nat'), { timeout: 10_000 }).toEqual(['record.upserted']);
    // the other organisation code stays unknown, so that record stays pending
    const other = await recordBySourceKey(gw, SYSTEM, '(2014)广法执字第00232号|680926658');
    expect(other?.envelope.subject).not.toHaveProperty('uscc');
    expect(other?.versions).toEqual(['created']);
  });
});

describe('a listing that ends short of the totalSize it states', () => {
  /** the listing of the earlier complete pass: 17 generated rows in the site's shape, then the 3 recorded ones */
  const listed = [...Array.from({ length: 17 }, (_, i) => zxgkRow(i)), ...rows];
  const realKeys = ['(2014)丰法民执字第00326号|5135211957****5090', '(2014)广法执字第00232号|680926658', '（2017）桂1322执487号|619848910'];

  it('an earlier complete pass lists all 20 rows over two pages', async () => {
    expect(SOURCE_PAGE_SIZES.zxgk).toBe(10);
    src.sets.zxgk = rowsOf(listed);
    const before = src.requests.length;
    const run = await runConnectorOnce(gw, NAME);
    expect(run.state).toBe('succeeded');
    expect(run).toMatchObject({ pages: 2, pulled: 20, created: 17, unchanged: 3, rejected: 0, removed: 0, issues: 0 });
    expect(sitePages(before).map((r) => r.params.currentPage)).toEqual(['1', '2']);
    expect(await statuses()).toEqual({ active: 20 });
  });

  it('the site lists 10 rows but states 20: the run fails as pass_incomplete, alerts, and removes nothing', async () => {
    src.sets.zxgk = rowsOf(listed.slice(0, 10)); // the 3 recorded rows and 7 generated ones are not listed
    proxy.statedTotal = 20;
    const before = src.requests.length;
    const alertsBefore = alerts.length;
    const run = await runConnectorOnce(gw, NAME);
    expect(run.state).toBe('failed');
    expect(run.error).toBe('the listing ended at page 2 after 10 rows, short of the 20 rows it states');
    // page 1 was read and committed; page 2 came back empty
    expect(run).toMatchObject({ pages: 1, pulled: 10, unchanged: 10, created: 0, removed: 0 });
    expect(sitePages(before).map((r) => r.params.currentPage)).toEqual(['1', '2']);

    // the service's alert sink, and the stored monitoring alert
    expect(alerts.slice(alertsBefore)).toEqual([expect.objectContaining({ connector: NAME, runId: run.runId, reason: 'pass_incomplete', message: run.error })]);
    const { rows: stored } = await gw.ctx.pool.query<{ kind: string; details: { reason: string; message: string } }>(
      'SELECT kind, details FROM monitoring_alerts WHERE connector = $1 AND connector_run_id = $2', [NAME, run.runId]);
    expect(stored).toEqual([{ kind: 'connector_run_failed', details: expect.objectContaining({ reason: 'pass_incomplete', message: run.error }) }]);

    // nothing removed: every record of the earlier complete pass is active, no status change was sent
    expect(await statuses()).toEqual({ active: 20 });
    for (const key of realKeys) expect((await recordBySourceKey(gw, SYSTEM, key))?.status).toBe('active');
    expect(await statusChangedEvents()).toBe(0);
    const { rows: seen } = await gw.ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM connector_seen WHERE connector = $1 AND removed', [NAME]);
    expect(seen[0]!.n).toBe(0);
  });

  it('asked again while the site still falls short, it resumes at page 2 and fails again; still nothing removed', async () => {
    const run = await runConnectorOnce(gw, NAME);
    expect(run.state).toBe('failed');
    expect(run.cursorBefore).toMatchObject({ page: 2, seen: 10 });
    expect(run).toMatchObject({ pages: 0, pulled: 0, removed: 0 });
    expect(alerts.at(-1)).toMatchObject({ runId: run.runId, reason: 'pass_incomplete' });
    expect(await statuses()).toEqual({ active: 20 });
    expect(await statusChangedEvents()).toBe(0);
  });

  it('once the site lists everything again, the pass ends at page 2 and nothing was removed', async () => {
    src.sets.zxgk = rowsOf(listed);
    proxy.statedTotal = null;
    const run = await runConnectorOnce(gw, NAME);
    expect(run.state).toBe('succeeded');
    expect(run.cursorBefore).toMatchObject({ page: 2, seen: 10 });
    expect(run).toMatchObject({ pages: 1, pulled: 10, removed: 0 });
    expect(await statuses()).toEqual({ active: 20 });
    expect(await statusChangedEvents()).toBe(0);
  });

  it('whereas a complete pass that really lacks the three recorded rows removes them', async () => {
    src.sets.zxgk = rowsOf(listed.slice(0, 17));
    const run = await runConnectorOnce(gw, NAME);
    expect(run.state).toBe('succeeded');
    expect(run).toMatchObject({ pages: 2, pulled: 17, unchanged: 17, removed: 3 });
    expect(await statuses()).toEqual({ active: 17, removed: 3 });
    for (const key of realKeys) expect((await recordBySourceKey(gw, SYSTEM, key))?.status).toBe('removed');
    expect(await statusChangedEvents('prov')).toBe(3);
  });
});
