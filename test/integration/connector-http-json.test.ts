/**
 * The declarative http-json connector, configured entirely in config, end to end on the real
 * PostgreSQL and Kafka. Three instances read three 双公示 feeds, one per paging style:
 *  - page number: the fixture source's CF_* (行政处罚) feed;
 *  - offset/limit: a CF_* feed served here, with a natural person and a renamed source field;
 *  - opaque cursor token: an XK_* (行政许可) feed served here.
 * Shown: the right records and events, CF_/XK_ mapping (dates, numbers, renamed fields), unknown
 * fields as issues, malformed rows quarantined, no new events on an unchanged second run, a changed
 * row → one new version, a row gone from a complete listing → `removed`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRows } from '../../connectors/fixtures-server/fixture-data.js';
import { rowsOf, startFixtureSources, type FixtureSources } from '../../connectors/fixtures-server/server.js';
import { syntheticPersonalId } from '../../src/domain/personal-id.js';
import { readTopic, startTestGateway, type TestGateway } from '../support/env.js';
import { sampleRecordInput } from '../support/sample-records.js';
import { eventTypesOf, issuesOf, outboxCount, quarantineOf, recordBySourceKey, runConnectorOnce } from '../support/connector-runs.js';

let src: FixtureSources;
let feeds: Server;
let feedsUrl: string;
let gw: TestGateway;
let prov: string;
let nat: string;
const served: Array<{ path: string; query: Record<string, string> }> = [];

// --- page style: the fixture source's 行政处罚 feed -------------------------------------------
let penalties: Array<Record<string, any>>;

// --- offset style: a 行政处罚 feed whose subject-name field has another name ("DSR_MC") ----------
const person = syntheticPersonalId(4242);
let offsetRows: Array<Record<string, any>>;

// --- cursor style: a 行政许可 feed, three rows per page, tokens opaque ------------------------------
let licenceRows: Array<Record<string, any>>;
const TOKEN_PAGE = 3;

function licenceRow(n: number): Record<string, any> {
  const data = sampleRecordInput('admin_license', n).data as Record<string, any>;
  return { ...data, XK_JDRQ: data.XK_JDRQ.replace(/-/g, ''), XK_YXQZ: data.XK_YXQZ.replace(/-/g, '/'), XK_YXQZI: `${data.XK_YXQZI} 00:00:00` };
}

function penaltyRow(n: number, overrides: Record<string, unknown> = {}): Record<string, any> {
  const { CF_XDR_MC, ...data } = sampleRecordInput('admin_penalty', n).data as Record<string, any>;
  return { DSR_MC: CF_XDR_MC, ...data, ...overrides };
}

async function startFeeds(): Promise<void> {
  feeds = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://feeds');
    const query = Object.fromEntries(url.searchParams);
    served.push({ path: url.pathname, query });
    const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    if (url.pathname === '/xzcf-offset') {
      const start = Number(query.start ?? 0), rows = Number(query.rows ?? 10);
      return json({ status: 'ok', result: { total: offsetRows.length, items: offsetRows.slice(start, start + rows) } });
    }
    if (url.pathname === '/xk-cursor') {
      // the token is opaque to the client: base64 of the next index
      const from = query.after ? Number(Buffer.from(query.after, 'base64url').toString()) : 0;
      const items = licenceRows.slice(from, from + TOKEN_PAGE);
      const next = from + TOKEN_PAGE < licenceRows.length ? Buffer.from(String(from + TOKEN_PAGE)).toString('base64url') : '';
      return json({ list: items, paging: { next } });
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => feeds.listen(0, '127.0.0.1', () => resolve()));
  feedsUrl = `http://127.0.0.1:${(feeds.address() as AddressInfo).port}`;
}

const common = { type: 'http-json', enabled: true, schedule: null, pageSize: 4 };
function instances() {
  return {
    'sgs-xzcf-page': {
      ...common, baseUrl: `${src.url}/shuanggongshi/xzcf`, system: 'sgs.xzcf.page',
      mapping: {
        category: 'admin_penalty', itemsPath: 'data.rows',
        paging: { style: 'page', pageParam: 'pageNum', sizeParam: 'pageSize', firstPage: 1 },
        keyFields: ['CF_WSH', 'CF_XDR_MC'], subject: { name: 'CF_XDR_MC', uscc: 'CF_XDR_SHXYM', idNumber: 'CF_XDR_ZJHM' },
        decidedAt: 'CF_JDRQ', publishUntil: 'CF_GSJZQ', dateFields: ['CF_JDRQ', 'CF_YXQ', 'CF_GSJZQ'], numberFields: ['CF_NR_FK', 'CF_NR_WFFF'],
        complete: true,
      },
    },
    'sgs-xzcf-offset': {
      ...common, baseUrl: `${feedsUrl}/xzcf-offset`, system: 'sgs.xzcf.offset',
      mapping: {
        category: 'admin_penalty', itemsPath: 'result.items',
        paging: { style: 'offset', offsetParam: 'start', limitParam: 'rows' },
        keyFields: ['CF_WSH'], subject: { name: 'DSR_MC', uscc: 'CF_XDR_SHXYM', idNumber: 'CF_XDR_ZJHM' },
        fields: { CF_XDR_MC: 'DSR_MC' },
        decidedAt: 'CF_JDRQ', dateFields: ['CF_JDRQ', 'CF_YXQ', 'CF_GSJZQ'], numberFields: ['CF_NR_FK'],
        complete: true,
      },
    },
    'sgs-xk-cursor': {
      ...common, baseUrl: `${feedsUrl}/xk-cursor`, system: 'sgs.xk.cursor',
      mapping: {
        category: 'admin_license', itemsPath: 'list',
        paging: { style: 'cursor', cursorParam: 'after', sizeParam: 'limit', nextCursorPath: 'paging.next' },
        keyFields: ['XK_WSH'], subject: { name: 'XK_XDR_MC', uscc: 'XK_XDR_SHXYM' },
        decidedAt: 'XK_JDRQ', dateFields: ['XK_JDRQ', 'XK_YXQZ', 'XK_YXQZI'],
        complete: true,
      },
    },
  };
}

beforeAll(async () => {
  src = await startFixtureSources();
  penalties = fixtureRows().penalties;
  src.sets.penalties = rowsOf(penalties);
  offsetRows = [
    ...[1, 2, 3, 4, 5].map((n) => penaltyRow(9000 + n)),
    penaltyRow(9006, { DSR_MC: '张某某', CF_XDR_LB: '自然人', CF_XDR_SHXYM: undefined, CF_XDR_ZJLX: '身份证', CF_XDR_ZJHM: person, CF_FRDB: undefined }),
    penaltyRow(9007, { CF_JDRQ: '2023年13月1日' }), // malformed: impossible date
    penaltyRow(9008, { CF_NR_FK: '五万元' }), // malformed: not a number
    penaltyRow(9009, { CF_XDR_LB: '外国组织' }), // malformed: fails the category schema
  ];
  licenceRows = [1, 2, 3, 4, 5, 6, 7].map((n) => licenceRow(9100 + n));
  await startFeeds();
  gw = await startTestGateway({
    connectors: { defaults: { backoffBaseMs: 10, perHostRatePerSecond: 1000, removalAfterRuns: 1, invalidThreshold: 0.5 }, instances: instances() },
  });
  [prov, nat] = [gw.config.destinations[0]!.topic, gw.config.destinations[1]!.topic];
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  await src?.close();
  await new Promise<void>((resolve) => (feeds ? feeds.close(() => resolve()) : resolve()));
});

describe('http-json connector, page-number paging (fixture 行政处罚 feed)', () => {
  it('maps CF_* rows to admin_penalty records and records unknown fields as issues', async () => {
    const run = await runConnectorOnce(gw, 'sgs-xzcf-page');
    expect(run.state).toBe('succeeded');
    expect(run.pulled).toBe(penalties.length);
    // without a total, only an empty page ends the listing (a short page may be a capped one)
    expect(run.pages).toBe(Math.ceil(penalties.length / 4) + 1);
    expect(run.created).toBe(penalties.length);
    expect(src.requests.filter((r) => r.path === '/shuanggongshi/xzcf').map((r) => [r.query.pageNum, r.query.pageSize]))
      .toEqual([['1', '4'], ['2', '4'], ['3', '4'], ['4', '4']]);

    const p0 = penalties[0]!;
    const rec = (await recordBySourceKey(gw, 'sgs.xzcf.page', `${p0.CF_WSH}|${p0.CF_XDR_MC}`))!;
    expect(rec.envelope).toMatchObject({
      category: 'admin_penalty',
      subject: { name: p0.CF_XDR_MC, uscc: p0.CF_XDR_SHXYM, kind: 'enterprise' },
      decidedAt: '2023-01-03', publishUntil: '2024-01-03',
      data: { CF_WSH: p0.CF_WSH, CF_JDRQ: '2023-01-03', CF_YXQ: '2024-01-03', CF_NR_FK: 5, CF_CFJG: p0.CF_CFJG },
    });
    expect(await issuesOf(gw, 'sgs-xzcf-page')).toEqual([{ kind: 'unknown_field', field: 'CF_BZ_EXTRA', value: '' }]);

    // admin_penalty goes to both destinations
    expect(await outboxCount(gw, prov)).toBe(penalties.length);
    const msgs = await readTopic(nat, { until: (m) => m.length >= penalties.length, settleMs: 300 });
    expect(msgs).toHaveLength(penalties.length);
  });

  it('a second run makes no new events; a changed row → one new version; a row gone → removed', async () => {
    const before = await outboxCount(gw, prov);
    const second = await runConnectorOnce(gw, 'sgs-xzcf-page');
    expect(second.unchanged).toBe(penalties.length);
    expect(second.created + second.updated + second.removed).toBe(0);
    expect(await outboxCount(gw, prov)).toBe(before);

    const changed = { ...penalties[0]!, CF_NR_FK: '8', CF_NR: '罚款人民币8万元。' };
    src.sets.penalties = rowsOf([changed, ...penalties.slice(2)]);
    const third = await runConnectorOnce(gw, 'sgs-xzcf-page');
    expect(third.updated).toBe(1);
    expect(third.removed).toBe(1);
    expect(await outboxCount(gw, prov)).toBe(before + 2);
    const p0 = penalties[0]!;
    const rec = (await recordBySourceKey(gw, 'sgs.xzcf.page', `${p0.CF_WSH}|${p0.CF_XDR_MC}`))!;
    expect(rec.versions).toEqual(['created', 'updated']);
    expect(rec.envelope.data.CF_NR_FK).toBe(8);
    const p1 = penalties[1]!;
    const gone = (await recordBySourceKey(gw, 'sgs.xzcf.page', `${p1.CF_WSH}|${p1.CF_XDR_MC}`))!;
    expect(gone.status).toBe('removed');
    expect(await eventTypesOf(gw, gone.recordId, 'nat')).toEqual(['record.upserted', 'record.status_changed']);
  });
});

describe('http-json connector, offset paging (renamed subject field, a natural person)', () => {
  it('stores valid rows, masks the person on the way out, quarantines malformed rows', async () => {
    const run = await runConnectorOnce(gw, 'sgs-xzcf-offset');
    expect(run.state).toBe('succeeded');
    // the next offset moves by the rows received; the listing ends on an empty page
    expect(served.filter((r) => r.path === '/xzcf-offset').map((r) => r.query.start)).toEqual(['0', '4', '8', '9']);
    expect(run.pulled).toBe(9);
    expect(run.created).toBe(6);
    expect(run.rejected).toBe(3);

    const first = (await recordBySourceKey(gw, 'sgs.xzcf.offset', offsetRows[0]!.CF_WSH))!;
    expect(first.envelope.subject.name).toBe(offsetRows[0]!.DSR_MC);
    expect(first.envelope.data.CF_XDR_MC).toBe(offsetRows[0]!.DSR_MC); // renamed by `fields`
    expect(first.envelope.data).not.toHaveProperty('DSR_MC');

    const individual = (await recordBySourceKey(gw, 'sgs.xzcf.offset', offsetRows[5]!.CF_WSH))!;
    expect(individual.envelope.subject).toMatchObject({ name: '张某某', kind: 'person', idNumber: person });
    expect(individual.envelope.flags).toEqual({ governmentSubject: false });
    const msgs = await readTopic(nat, { until: (m) => m.some((x) => x.headers['record-id'] === individual.recordId), settleMs: 0 });
    const out = msgs.find((x) => x.headers['record-id'] === individual.recordId)!;
    expect(JSON.stringify(out.value)).not.toContain(person);
    expect(out.value.record.subject.idNumber).toContain('*');
    expect(out.value.record.subject.idNumber.slice(0, 6)).toBe(person.slice(0, 6));

    const q = await quarantineOf(gw, 'sgs-xzcf-offset');
    const rules = Object.fromEntries(q.map((x) => [x.sourceKey, x.errors.map((e) => e.rule)]));
    expect(Object.keys(rules).sort()).toEqual([offsetRows[6]!.CF_WSH, offsetRows[7]!.CF_WSH, offsetRows[8]!.CF_WSH].sort());
    expect(rules[offsetRows[6]!.CF_WSH]).toEqual(['source.date']);
    expect(rules[offsetRows[7]!.CF_WSH]).toEqual(['source.number']);
    // a schema failure carries the validator's field error, pointing into the record's data
    const schemaErrors = q.find((x) => x.sourceKey === offsetRows[8]!.CF_WSH)!.errors;
    expect(schemaErrors.length).toBeGreaterThan(0);
    expect(schemaErrors.some((e) => e.pointer.includes('CF_XDR_LB'))).toBe(true);
    expect(q.find((x) => x.sourceKey === offsetRows[8]!.CF_WSH)!.raw).toEqual(offsetRows[8]);
  });
});

describe('http-json connector, cursor paging (XK_* 行政许可 feed)', () => {
  it('follows the opaque next-page token to the end and maps XK_* rows', async () => {
    const run = await runConnectorOnce(gw, 'sgs-xk-cursor');
    expect(run.state).toBe('succeeded');
    const tokens = served.filter((r) => r.path === '/xk-cursor').map((r) => r.query.after ?? null);
    expect(tokens).toEqual([null, Buffer.from('3').toString('base64url'), Buffer.from('6').toString('base64url')]);
    expect(run.pages).toBe(3);
    expect(run.created).toBe(licenceRows.length);
    expect(run.rejected).toBe(0);

    const l0 = licenceRows[0]!;
    const rec = (await recordBySourceKey(gw, 'sgs.xk.cursor', l0.XK_WSH))!;
    const input = sampleRecordInput('admin_license', 9101);
    expect(rec.envelope).toMatchObject({
      category: 'admin_license', subject: { name: l0.XK_XDR_MC, uscc: l0.XK_XDR_SHXYM },
      decidedAt: input.decidedAt,
      data: { XK_JDRQ: input.data.XK_JDRQ, XK_YXQZ: input.data.XK_YXQZ, XK_YXQZI: input.data.XK_YXQZI, XK_XKLB: '普通', XK_ZT: '1' },
    });
    // admin_license is routed to "prov" only
    const { rows } = await gw.ctx.pool.query(`SELECT count(*)::int AS n FROM outbox WHERE destination = 'nat' AND record_id IN (SELECT record_id FROM records WHERE category = 'admin_license')`);
    expect(rows[0].n).toBe(0);
  });

  it('an unchanged second pass makes no events; a revoked licence (XK_ZT 2) is one new version; a row gone is removed', async () => {
    const before = await outboxCount(gw, prov);
    const second = await runConnectorOnce(gw, 'sgs-xk-cursor');
    expect(second.unchanged).toBe(licenceRows.length);
    expect(second.created + second.updated + second.removed).toBe(0);
    expect(await outboxCount(gw, prov)).toBe(before);

    const revoked: Record<string, any> = { ...licenceRows[3]!, XK_ZT: '2' };
    licenceRows = [...licenceRows.slice(0, 3), revoked, ...licenceRows.slice(4, 6)]; // the 7th leaves the feed
    const third = await runConnectorOnce(gw, 'sgs-xk-cursor');
    expect(third.updated).toBe(1);
    expect(third.removed).toBe(1);
    expect(await outboxCount(gw, prov)).toBe(before + 2);
    const changed = (await recordBySourceKey(gw, 'sgs.xk.cursor', revoked.XK_WSH))!;
    expect(changed.versions).toEqual(['created', 'updated']);
    expect(changed.envelope.data.XK_ZT).toBe('2');
  });

});
