/**
 * 政府采购严重违法失信行为记录名单 (procurement/ccgp-cr-list) end to end on the real PostgreSQL and Kafka.
 *
 * NO RECORDED PAGE of the ccgp list (www.ccgp.gov.cn/cr/list) exists in this repository: the source file
 * (connectors/procurement/ccgp-cr-list.source.yaml) and the fixture server's page follow public crawlers'
 * code, not a page we have seen. What is checked here is that the engine reads THAT shape as the file
 * describes it — UTF-8 HTML answered to a POST of the search form with the page number in `gp`, the page
 * count in #totalPag, the rows tr.trShow of table#tableInfo, long cells cut to 20 characters with the
 * full text in a title attribute — with rows generated in that shape (generate.ts ccgpRow). When a real
 * page is recorded, this test should be run against it.
 *
 * The ban written in 处罚结果 (一年内 / 二年内 / 三年内禁止参加政府采购活动) is the record's publishUntil and
 * data.banUntil: the decision day + N years (the Civil Code's corresponding day).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureConnectorInstances, instanceNameOf } from '../../connectors/fixtures-server/fixture-data.js';
import { ccgpRow } from '../../connectors/fixtures-server/generate.js';
import { generatedRows, SOURCE_PAGE_SIZES, startFixtureSources, type FixtureSources } from '../../connectors/fixtures-server/server.js';
import { checkUscc } from '../../src/domain/uscc.js';
import { eventTypesOf, issuesOf, quarantineOf, runConnectorOnce } from '../support/connector-runs.js';
import { startTestGateway, type TestGateway } from '../support/env.js';

const NAME = instanceNameOf('procurement/ccgp-cr-list');
const SYSTEM = 'ccgp';
const ROWS = 45; // 20 + 20 + 5: three pages
const PAGES = Math.ceil(ROWS / SOURCE_PAGE_SIZES.ccgp);

let src: FixtureSources;
let gw: TestGateway;

beforeAll(async () => {
  src = await startFixtureSources();
  src.sets.ccgp = generatedRows(ROWS, ccgpRow);
  gw = await startTestGateway({
    connectors: { defaults: { backoffBaseMs: 10, perHostRatePerSecond: 1000 }, instances: fixtureConnectorInstances(src.url) },
    // bans of 2023-2024 have ended; the records' status must not depend on the hour the test runs at
    lifecycle: { expiryEnabled: false },
  });
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  await src?.close();
});

/** The ban's years as 处罚结果 writes them, read here independently of the engine. */
function banYears(text: string): number {
  const m = /([一二三])年内禁止参加政府采购活动/.exec(text);
  if (!m) throw new Error(`no ban in ${text}`);
  return '一二三'.indexOf(m[1]!) + 1;
}

/** YYYY-MM-DD + n years, the corresponding day (no generated decision day is a 29 February). */
function yearsLater(day: string, years: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y + years, m - 1, d)).toISOString().slice(0, 10);
}

async function envelopesOf(system: string): Promise<Map<string, any>> {
  const { rows } = await gw.ctx.pool.query<{ envelope: any; status: string }>(`SELECT envelope, status FROM current_records WHERE envelope->'source'->>'system' = $1`, [system]);
  return new Map(rows.map((r) => [r.envelope.source.key as string, { ...r.envelope, status: r.status }]));
}

describe('procurement/ccgp-cr-list against the list page in the crawlers\' shape (generated rows)', () => {
  let stored: Map<string, any>;

  it('asks for each page by POSTing the search form with gp, as many pages as #totalPag says, and stores every row', async () => {
    const run = await runConnectorOnce(gw, NAME);
    expect(run.error).toBeNull();
    expect(run.state).toBe('succeeded');
    expect(run).toMatchObject({ pages: PAGES, pulled: ROWS, created: ROWS, rejected: 0, issues: 0 });
    expect(await quarantineOf(gw, NAME)).toEqual([]);
    expect(await issuesOf(gw, NAME)).toEqual([]);

    const asked = src.requests.filter((r) => r.path === '/ccgp/cr/list');
    expect(asked.map((r) => r.method)).toEqual(Array(PAGES).fill('POST'));
    expect(asked.map((r) => String(r.headers['content-type']))).toEqual(Array(PAGES).fill('application/x-www-form-urlencoded; charset=utf-8'));
    // the search form's fields, empty, and the page number in gp (in the form, not the query)
    expect(asked.map((r) => r.params)).toEqual([1, 2, 3].map((gp) => ({ orgName: '', orgCode: '', enforceUnit: '', punishTime: '', punishTimeMax: '', gp: String(gp) })));

    stored = await envelopesOf(SYSTEM);
    expect(stored.size).toBe(ROWS);
  });

  it('each record says what its row said: the supplier, 处罚日期 as the decision day, the full texts, severity severe, listType serious_dishonesty', () => {
    for (let i = 0; i < ROWS; i++) {
      const row = ccgpRow(i);
      const key = `${row['企业名称']}|${row['处罚日期']}|${row['执法单位']}`;
      const env = stored.get(key);
      expect(env, key).toBeDefined();
      const uscc = checkUscc(row['统一社会信用代码（或组织机构代码）']!);
      const banUntil = yearsLater(row['处罚日期']!, banYears(row['处罚结果']!));
      expect(env.subject, key).toEqual({ name: row['企业名称'], kind: uscc.kind, uscc: uscc.code, region: uscc.region });
      expect({ status: env.status, category: env.category, severity: env.severity, decidedAt: env.decidedAt, publishFrom: env.publishFrom, publishUntil: env.publishUntil }, key).toEqual({
        status: 'active', category: 'procurement_breach', severity: 'severe', decidedAt: row['处罚日期'], publishFrom: row['处罚日期'], publishUntil: banUntil,
      });
      expect(env.data, key).toEqual({
        listType: 'serious_dishonesty', enterpriseName: row['企业名称'], address: row['企业地址'], behaviour: row['严重违法失信行为的具体情形'],
        penaltyResult: row['处罚结果'], penaltyBasis: row['处罚依据'], penaltyDate: row['处罚日期'], publishDate: row['公布日期']!.slice(0, 10),
        enforcementAgency: row['执法单位'], banFrom: row['处罚日期'], banUntil,
      });
    }
  });

  it('keeps a long cell whole from its title attribute, not the 20 characters the page shows', async () => {
    const row = ccgpRow(0);
    const full = row['处罚结果']!;
    expect(full.length).toBeGreaterThan(20);
    // the page itself shows the cut text (fetched here as the connector does)
    const page = await fetch(`${src.url}/ccgp/cr/list`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'gp=1' });
    const html = await page.text();
    expect(html).toContain(`>${full.slice(0, 20)}…</p>`);
    expect(html).toContain(`title="${full}"`);

    const env = stored.get(`${row['企业名称']}|${row['处罚日期']}|${row['执法单位']}`);
    expect(env.data.penaltyResult).toBe(full);
    expect(env.data.penaltyResult).not.toContain('…');
    expect(env.data.penaltyBasis).toBe(row['处罚依据']);
    expect(row['处罚依据']!.length).toBeGreaterThan(20);
  });

  it('reads each of 一年内, 二年内 and 三年内 as a ban ending on the decision day + N years', () => {
    const seen = new Map<number, { decided: string; until: string }>();
    for (const env of stored.values()) seen.set(banYears(env.data.penaltyResult), { decided: env.decidedAt, until: env.publishUntil });
    expect([...seen.keys()].sort()).toEqual([1, 2, 3]);
    // row 0: 2023-01-03, 一年内 → 2024-01-03; row 1: 2023-01-06, 二年内 → 2025-01-06; row 2: 2023-01-09, 三年内 → 2026-01-09
    const first = [0, 1, 2].map((i) => ccgpRow(i)).map((r) => stored.get(`${r['企业名称']}|${r['处罚日期']}|${r['执法单位']}`));
    expect(first.map((e) => [e.decidedAt, e.publishUntil, e.data.banUntil])).toEqual([
      ['2023-01-03', '2024-01-03', '2024-01-03'],
      ['2023-01-06', '2025-01-06', '2025-01-06'],
      ['2023-01-09', '2026-01-09', '2026-01-09'],
    ]);
  });

  it('publishes to the destination that takes every category, not to the national one (dishonest_debtor and admin_penalty only)', async () => {
    const { rows } = await gw.ctx.pool.query<{ record_id: string }>(`SELECT record_id FROM current_records WHERE envelope->'source'->>'system' = $1 LIMIT 3`, [SYSTEM]);
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(await eventTypesOf(gw, r.record_id, 'prov')).toEqual(['record.upserted']);
      expect(await eventTypesOf(gw, r.record_id, 'nat')).toEqual([]);
    }
  });

  it('a second pass over the same pages changes nothing', async () => {
    const run = await runConnectorOnce(gw, NAME);
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ state: 'succeeded', pages: PAGES, created: 0, updated: 0, unchanged: ROWS, removed: 0 });
  });
});
