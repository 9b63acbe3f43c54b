/**
 * 双公示 (administrative penalties and licences) end to end on the real PostgreSQL and Kafka, with the
 * four source files of connectors/shuanggongshi and their REAL recorded rows (fixtures/, provenance in
 * each file's comment), served by the fixture server in each source's own shape:
 *   - syscredit-xzcf: a city portal's publicity/data_list.json, upper-case CF_* fields, the party in
 *     COMP_NAME, CF_NR_FK the JSON number 0.2 (万元);
 *   - syscredit-xzxk: the same portal's licences, XK_*, the placeholder code 00000000000000000X as the
 *     licensing authority's and the data source unit's code;
 *   - tianjin-xzcf: 62 rows of 信用天津 under the newer standard's Chinese field names, read by POST form
 *     pages of 10;
 *   - guangdong-xzxk-2016: one 2016 lower-case xk_* record in an XML exchange message, a natural person
 *     with a masked number.
 * Stored records are checked field by field against what the source said. Rows marked "derived" are
 * real rows with one field changed (to test a normalisation); they are labelled where they are built.
 * The expiry job is off: several real records' publication ended before today, and their status must
 * not depend on the hour the test runs at.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureConnectorInstances, instanceNameOf, realRows } from '../../connectors/fixtures-server/fixture-data.js';
import { rowsOf, startFixtureSources, type FixtureSources, type Row } from '../../connectors/fixtures-server/server.js';
import { checkUscc } from '../../src/domain/uscc.js';
import { amountsInText } from '../../src/domain/values/index.js';
import { eventTypesOf, issuesOf, quarantineOf, recordBySourceKey, runConnectorOnce } from '../support/connector-runs.js';
import { readTopic, startTestGateway, type TestGateway } from '../support/env.js';
import { listRecordEvents } from '../../src/outbox/outbox.js';

const XZCF = instanceNameOf('shuanggongshi/syscredit-xzcf');
const XZXK = instanceNameOf('shuanggongshi/syscredit-xzxk');
const TIANJIN = instanceNameOf('shuanggongshi/tianjin-xzcf');
const GUANGDONG = instanceNameOf('shuanggongshi/guangdong-xzxk-2016');

const real = realRows();
let src: FixtureSources;
let gw: TestGateway;

beforeAll(async () => {
  src = await startFixtureSources();
  src.sets.syscreditXzcf = rowsOf(real.syscreditXzcf);
  src.sets.syscreditXzxk = rowsOf(real.syscreditXzxk);
  src.sets.tianjinXzcf = rowsOf(real.tianjinXzcf);
  src.sets.guangdongXzxk = rowsOf(real.guangdongXzxk);
  gw = await startTestGateway({
    connectors: { defaults: { backoffBaseMs: 10, perHostRatePerSecond: 1000 }, instances: fixtureConnectorInstances(src.url) },
    lifecycle: { expiryEnabled: false },
  });
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  await src?.close();
});

const topicOf = (dest: 'prov' | 'nat') => gw.config.destinations.find((d) => d.name === dest)!.topic;
const requestsTo = (path: string) => src.requests.filter((r) => r.path === path);

/** Every stored envelope of a source system, by source key. */
async function envelopesOf(system: string): Promise<Map<string, any>> {
  const { rows } = await gw.ctx.pool.query<{ envelope: any }>(`SELECT envelope FROM current_records WHERE envelope->'source'->>'system' = $1`, [system]);
  return new Map(rows.map((r) => [r.envelope.source.key as string, r.envelope]));
}

/** The one stored envelope of a system whose data field has this value. */
async function envelopeByData(system: string, field: string, value: string): Promise<any> {
  const { rows } = await gw.ctx.pool.query<{ envelope: any }>(
    `SELECT envelope FROM current_records WHERE envelope->'source'->>'system' = $1 AND envelope->'data'->>$2 = $3`, [system, field, value]);
  expect(rows).toHaveLength(1);
  return rows[0]!.envelope;
}

/** ASCII letters and digits as their full-width forms (１１２３…Ｆ), as some publishers type codes. */
const fullWidth = (s: string) => s.replace(/[0-9A-Za-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

describe('shuanggongshi/syscredit-xzcf: the recorded answer of publicity/data_list.json (_precast_pub_xzcf)', () => {
  const row = real.syscreditXzcf[0]!;

  it('reads the one recorded row and stores the penalty field by field: the party from COMP_NAME, CF_NR_FK 0.2 万元 as a number', async () => {
    expect(real.syscreditXzcf).toHaveLength(1);
    expect(row.CF_NR_FK).toBe(0.2); // a JSON number in the recorded answer, not a string
    expect(row).not.toHaveProperty('CF_XDR_MC');

    const run = await runConnectorOnce(gw, XZCF);
    expect(run.error).toBeNull();
    expect(run.state).toBe('succeeded');
    expect(run).toMatchObject({ pages: 1, pulled: 1, created: 1, rejected: 0, issues: 0 });
    expect(await quarantineOf(gw, XZCF)).toEqual([]);
    expect(await issuesOf(gw, XZCF)).toEqual([]);
    const asked = requestsTo('/syscredit/publicity/data_list.json');
    expect(asked.map((r) => [r.method, r.params.configId, r.params.currentPage, r.params.pageSize])).toEqual([['GET', '_precast_pub_xzcf', '1', '50']]);

    const stored = await recordBySourceKey(gw, 'sgs.xzcf', '市场【2019】1号|91230500MA1B3N1N2M');
    expect(stored?.status).toBe('active');
    expect(stored?.versions).toEqual(['created']);
    const env = stored!.envelope;
    expect(env).toMatchObject({
      category: 'admin_penalty', polarity: 'negative', decidedAt: '2019-10-10', publishFrom: '2019-10-10', publishUntil: '2020-10-17',
      subject: { name: '双鸭山智慧城市运营有限公司', kind: 'enterprise', uscc: '91230500MA1B3N1N2M', region: '230500' },
    });
    // every field the row gives a value, under its 2021-standard code; null fields, the portal's ids and bookkeeping left out
    expect(env.data).toEqual({
      CF_XDR_MC: row.COMP_NAME, CF_XDR_LB: row.CF_XDR_LB, CF_XDR_SHXYM: row.CF_XDR_SHXYM, CF_FRDB: row.CF_FRDB,
      CF_WSH: row.CF_WSH, CF_WFXW: row.CF_WFXW, CF_SY: row.CF_SY, CF_YJ: row.CF_YJ, CF_CFLB: row.CF_CFLB, CF_NR: row.CF_NR,
      CF_NR_FK: 0.2, CF_JDRQ: row.CF_JDRQ, CF_YXQ: row.CF_YXQ, CF_GSJZQ: row.CF_GSJZQ, CF_CFJG: row.CF_CFJG,
      CF_CFJGDM: row.CF_CFJGDM, CF_SJLY: row.CF_SJLY, CF_SJLYDM: row.CF_SJLYDM,
    });
    expect(env.data).toMatchObject({ CF_XDR_MC: '双鸭山智慧城市运营有限公司', CF_NR: '罚款2000元', CF_CFJGDM: '11230500001755309F' });
    // 罚款2000元 in the text is the 0.2 万元 of CF_NR_FK
    expect(amountsInText(env.data.CF_NR)).toEqual([{ value: 2000, unit: '元' }]);

    // an admin penalty of an enterprise with a USCC reaches the national destination, keyed by the USCC
    expect(await eventTypesOf(gw, stored!.recordId, 'nat')).toEqual(['record.upserted']);
    const national = await readTopic(topicOf('nat'), { until: (m) => m.some((x) => x.headers['record-id'] === stored!.recordId) });
    const event = national.find((m) => m.headers['record-id'] === stored!.recordId)!;
    expect(event.key).toBe('91230500MA1B3N1N2M');
    expect(event.value.record.data.CF_NR_FK).toBe(0.2);
    expect(event.value.record.data.CF_XDR_MC).toBe('双鸭山智慧城市运营有限公司');
  });

  it('normalises full-width and lower-case codes (derived rows) to upper-case half-width, in data fields and the subject, without quarantine', async () => {
    // DERIVED rows: the recorded row with its decision number changed (to be a record of its own) and its codes retyped
    const wide = { ...row, CF_WSH: '市场【2019】1号-派生全角', CF_CFJGDM: fullWidth(String(row.CF_CFJGDM)), CF_SJLYDM: fullWidth(String(row.CF_SJLYDM)) };
    const lower = { ...row, CF_WSH: '市场【2019】1号-派生小写', CF_CFJGDM: String(row.CF_CFJGDM).toLowerCase(), CF_XDR_SHXYM: String(row.CF_XDR_SHXYM).toLowerCase() };
    expect(wide.CF_CFJGDM).toBe('１１２３０５００００１７５５３０９Ｆ');
    expect(lower.CF_XDR_SHXYM).toBe('91230500ma1b3n1n2m');
    src.sets.syscreditXzcf = rowsOf<Row>([row, wide, lower]);

    const run = await runConnectorOnce(gw, XZCF);
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ state: 'succeeded', pulled: 3, created: 2, unchanged: 1, rejected: 0 });
    expect(await quarantineOf(gw, XZCF)).toEqual([]);

    const w = await envelopeByData('sgs.xzcf', 'CF_WSH', wide.CF_WSH);
    expect(w.data.CF_CFJGDM).toBe('11230500001755309F');
    expect(w.data.CF_SJLYDM).toBe('11230500001755309F');
    expect(w.subject.uscc).toBe('91230500MA1B3N1N2M');

    const l = await envelopeByData('sgs.xzcf', 'CF_WSH', lower.CF_WSH);
    expect(l.data.CF_CFJGDM).toBe('11230500001755309F');
    expect(l.data.CF_XDR_SHXYM).toBe('91230500MA1B3N1N2M');
    expect(l.subject).toMatchObject({ uscc: '91230500MA1B3N1N2M', kind: 'enterprise', region: '230500' });
    // and it is published to the national destination under the normalised USCC
    const { rows: [stored] } = await gw.ctx.pool.query<{ record_id: string }>(
      `SELECT record_id::text FROM current_records WHERE envelope->'data'->>'CF_WSH' = $1`, [lower.CF_WSH]);
    const events = await listRecordEvents(gw.ctx.pool, { destination: 'nat', recordId: stored!.record_id });
    expect(events.map((e) => e.key)).toEqual(['91230500MA1B3N1N2M']);
  });
});

describe('shuanggongshi/syscredit-xzxk: the recorded licence with placeholder codes', () => {
  const row = real.syscreditXzxk[0]!;

  // the dropped placeholder is counted as a 'value_warning' issue (connector_issues admits it since migration 008)
  it('drops the placeholder 00000000000000000X of XK_XKJGDM and XK_LYDWDM with a value_warning issue each, and still stores the licence', async () => {
    expect(row.XK_XKJGDM).toBe('00000000000000000X');
    expect(row.XK_LYDWDM).toBe('00000000000000000X');

    const run = await runConnectorOnce(gw, XZXK);
    expect(run.error).toBeNull();
    expect(run.state).toBe('succeeded');
    expect(run).toMatchObject({ pages: 1, pulled: 1, created: 1, rejected: 0, issues: 2 });
    expect(await quarantineOf(gw, XZXK)).toEqual([]);
    expect(await issuesOf(gw, XZXK)).toEqual([
      { kind: 'value_warning', field: 'XK_LYDWDM', value: 'value.placeholder_code' },
      { kind: 'value_warning', field: 'XK_XKJGDM', value: 'value.placeholder_code' },
    ]);
    expect(requestsTo('/syscredit/publicity/data_list.json').filter((r) => r.params.configId === '_precast_pub_xzxk')).toHaveLength(1);

    const stored = await recordBySourceKey(gw, 'sgs.xzxk', '双环许可2019|91230500MA1B3N1N2M');
    expect(stored?.status).toBe('active');
    const env = stored!.envelope;
    expect(env).toMatchObject({
      category: 'admin_license', polarity: 'neutral', decidedAt: '2019-09-01', publishFrom: '2019-09-01',
      subject: { name: '双鸭山智慧城市运营有限公司', kind: 'enterprise', uscc: '91230500MA1B3N1N2M', region: '230500' },
    });
    expect(env).not.toHaveProperty('severity');
    expect(env.data).toEqual({
      XK_XDR_MC: row.XK_XDR_MC, XK_XDR_LB: row.XK_XDR_LB, XK_XDR_SHXYM: row.XK_XDR_SHXYM, XK_FRDB: row.XK_FRDB,
      XK_XKWS: row.XK_XKWS, XK_WSH: row.XK_WSH, XK_XKLB: row.XK_XKLB, XK_NR: row.XK_NR, XK_JDRQ: row.XK_JDRQ,
      XK_YXQZ: row.XK_YXQZ, XK_YXQZI: row.XK_YXQZI, XK_XKJG: row.XK_XKJG, XK_ZT: row.XK_ZT, XK_LYDW: row.XK_LYDW,
    });
    expect(env.data).not.toHaveProperty('XK_XKJGDM');
    expect(env.data).not.toHaveProperty('XK_LYDWDM');
    // a licence is not for the national (penalty) destination
    expect(await eventTypesOf(gw, stored!.recordId, 'prov')).toEqual(['record.upserted']);
    expect(await eventTypesOf(gw, stored!.recordId, 'nat')).toEqual([]);
  });
});

describe('shuanggongshi/tianjin-xzcf: 62 recorded rows under the newer standard\'s Chinese field names', () => {
  const rows = real.tianjinXzcf as Array<Record<string, string>>;
  const keyOf = (r: Record<string, string>) => `${r['行政处罚决定书文号']}|${r['统一社会信用代码']}`;
  let stored: Map<string, any>;

  it('reads every row over POST form pages of 10 (the last page empty) and stores each', async () => {
    expect(rows).toHaveLength(62);
    const run = await runConnectorOnce(gw, TIANJIN);
    expect(run.error).toBeNull();
    expect(run.state).toBe('succeeded');
    expect(run).toMatchObject({ pages: 8, pulled: 62, created: 62, rejected: 0, issues: 0 });
    expect(await quarantineOf(gw, TIANJIN)).toEqual([]);
    expect(await issuesOf(gw, TIANJIN)).toEqual([]);
    const asked = requestsTo('/tianjin/xygs/datalist.do');
    expect(asked.map((r) => r.method)).toEqual(Array(8).fill('POST'));
    expect(asked.map((r) => String(r.headers['content-type']))).toEqual(Array(8).fill('application/x-www-form-urlencoded; charset=utf-8'));
    expect(asked.map((r) => [r.params.pageNo, r.params.pageSize])).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => [String(n), '10']));
    stored = await envelopesOf('sgs.xzcf-tj');
    expect([...stored.keys()].sort()).toEqual(rows.map(keyOf).sort());
  });

  it('each stored record says what its row said, field by field (公示截止期 → publishUntil, 罚款金额（万元） → CF_NR_FK)', () => {
    for (const r of rows) {
      const env = stored.get(keyOf(r));
      const where = keyOf(r);
      expect(env, where).toBeDefined();
      expect({ status: env.status, decidedAt: env.decidedAt, publishFrom: env.publishFrom, publishUntil: env.publishUntil }, where).toEqual({
        status: 'active', decidedAt: r['处罚决定日期'], publishFrom: r['处罚决定日期'], publishUntil: r['公示截止期'],
      });
      // the kind and region the USCC tells (91… an enterprise, 52… a 民办非企业单位, 12… a public institution)
      const code = checkUscc(r['统一社会信用代码']!);
      expect(code.ok, where).toBe(true);
      expect(env.subject, where).toEqual({ name: r['行政相对人名称'], kind: code.kind, uscc: r['统一社会信用代码'], region: code.region });
      expect(env.data, where).toEqual({
        CF_XDR_MC: r['行政相对人名称'], CF_XDR_LB: '法人及非法人组织', CF_XDR_SHXYM: r['统一社会信用代码'], CF_FRDB: r['法定代表人姓名'],
        CF_WSH: r['行政处罚决定书文号'], CF_WFXW: r['违法行为类型'], CF_SY: r['违法事实'], CF_YJ: r['处罚依据'], CF_CFLB: r['处罚类别'],
        CF_NR: r['处罚内容'], CF_NR_FK: Number(r['罚款金额（万元）']), CF_JDRQ: r['处罚决定日期'], CF_GSJZQ: r['公示截止期'],
        CF_CFJG: r['处罚机关'], CF_CFJGDM: r['处罚机关统一社会信用代码'], CF_SJLY: r['数据来源单位'], CF_SJLYDM: r['数据来源单位统一社会信用代码'],
      });
    }
  });

  it('keeps the amounts as written in 万元 (0.024, 44.41969, 41.731876) and the penalty texts whole, whose 元 figures agree', () => {
    const byAmount = (a: string) => {
      const r = rows.find((x) => x['罚款金额（万元）'] === a)!;
      return { row: r, env: stored.get(keyOf(r)) };
    };
    const small = byAmount('0.024');
    expect(small.env.data.CF_NR_FK).toBe(0.024);
    expect(small.env.data.CF_NR).toContain('2.罚款240元');
    const tax = byAmount('44.41969');
    expect(tax.env.data.CF_NR_FK).toBe(44.41969);
    expect(amountsInText(tax.env.data.CF_NR)).toEqual([{ value: 444196.9, unit: '元' }]);
    const grouped = byAmount('41.731876');
    expect(grouped.env.data.CF_NR_FK).toBe(41.731876);
    expect(grouped.env.data.CF_NR).toBe(grouped.row['处罚内容']);
    expect(grouped.env.data.CF_NR).toContain('罚款417,318.76元');
    // 417,318.76 元 is 41.731876 万元 exactly
    expect(amountsInText(grouped.env.data.CF_NR)).toEqual([{ value: 417318.76, unit: '元' }]);
  });

  it('keeps 处罚类别 with several values as published (分号分隔), and every publication end as 公示截止期 gives it', () => {
    const published = new Set(rows.map((r) => r['处罚类别']));
    expect(published.size).toBeGreaterThan(1);
    expect(new Set([...stored.values()].map((e) => e.data.CF_CFLB))).toEqual(published);
    expect(stored.get('津北辰卫医罚﹝2024﹞003号|91120113MAC780199T').data.CF_CFLB).toBe('警告;罚款;没收违法所得');
    expect(new Set([...stored.values()].map((e) => e.publishUntil))).toEqual(new Set(rows.map((r) => r['公示截止期'])));
  });
});

describe('shuanggongshi/guangdong-xzxk-2016: a 2016 lower-case xk_* record in an XML exchange message', () => {
  const row = real.guangdongXzxk[0]!;

  it('stores the natural person with the masked number as published: kind person, XK_XDR_LB 自然人, XK_ZT 0 → 1', async () => {
    expect(real.guangdongXzxk).toHaveLength(1);
    expect(row.xk_zt).toBe('0');
    const run = await runConnectorOnce(gw, GUANGDONG);
    expect(run.error).toBeNull();
    expect(run.state).toBe('succeeded');
    expect(run).toMatchObject({ pages: 1, pulled: 1, created: 1, rejected: 0, issues: 0 });
    expect(await quarantineOf(gw, GUANGDONG)).toEqual([]);
    expect(await issuesOf(gw, GUANGDONG)).toEqual([]);
    expect(requestsTo('/guangdong/exchange').map((r) => r.method)).toEqual(['GET']);

    const stored = await recordBySourceKey(gw, 'sgs.xzxk-gd', '00261|6528231975****3113');
    expect(stored?.status).toBe('active');
    const env = stored!.envelope;
    expect(env).toMatchObject({ category: 'admin_license', decidedAt: '2016-08-04', publishFrom: '2016-08-04', publishUntil: null });
    // the region is the message's xk_areacode (the province that published it), not the number's
    expect(env.subject).toEqual({ name: '朱某某', kind: 'person', idNumber: '6528231975****3113', region: '440000' });
    expect(env.data).toEqual({
      XK_XDR_MC: row.xk_xdr, XK_XDR_LB: '自然人', XK_XDR_ZJLX: '身份证', XK_XDR_ZJHM: row.xk_xdr_sfz,
      XK_XKWS: row.xk_xmmc, XK_WSH: row.xk_wsh, XK_XKLB: row.xk_splb, XK_NR: row.xk_nr, XK_JDRQ: row.xk_jdrq,
      XK_XKJG: row.xk_xzjg, XK_ZT: '1',
    });
    // no organisation's fields for a person, and no field from the message's empty elements
    expect(env.data).not.toHaveProperty('XK_FRDB');
    expect(env.data).not.toHaveProperty('XK_XDR_SHXYM');
    expect(env.data).not.toHaveProperty('XK_YXQZI');
  });
});

describe('a second pass over the same answers', () => {
  // syscredit-xzxk is left out here: its pass is the subject of its own test above
  it('changes nothing in syscredit-xzcf, tianjin-xzcf and guangdong-xzxk-2016', async () => {
    const counts = { [XZCF]: 3, [TIANJIN]: 62, [GUANGDONG]: 1 };
    for (const [name, n] of Object.entries(counts)) {
      const run = await runConnectorOnce(gw, name);
      expect(run.error, name).toBeNull();
      expect({ state: run.state, created: run.created, updated: run.updated, unchanged: run.unchanged, removed: run.removed }, name)
        .toEqual({ state: 'succeeded', created: 0, updated: 0, unchanged: n, removed: 0 });
    }
  });
});
