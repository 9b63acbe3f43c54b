/**
 * 裁判文书 from the 裁判文书网 list interface (court-judgments/wenshu-list), end to end on the real
 * PostgreSQL and Kafka. The fixture server answers as the site did until 2019: POST /List/ListContent
 * with the paging in the form (Index, Page), the answer a JSON string holding a JSON array whose first
 * element is {RunEval, Count} and whose other elements are documents with Chinese keys.
 *
 * Only documents with a government organ or public institution among the parties are kept, one record
 * per such party (hook government-parties). The ten recorded rows (connectors/court-judgments/fixtures/
 * wenshu/list-ListContent-2019.json) are all criminal cases of the Supreme People's Court against
 * individuals: none names a government party, so all ten are skipped. To see records stored, the same
 * rows are then served as DERIVED rows: each with its 案件名称 replaced by one naming an organ as a
 * party (everything else as recorded); one of them also takes 裁判日期 (null) and 上传日期 from the
 * recorded detail answer of the same document (detail-CreateContentJS-2019.js).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_PATHS, instanceNameOf, fixtureConnectorInstances, realRows } from '../../connectors/fixtures-server/fixture-data.js';
import { rowsOf, startFixtureSources, type FixtureSources, type Row } from '../../connectors/fixtures-server/server.js';
import { REPO_ROOT } from '../../src/config/load.js';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { learnSubjects } from '../../src/store/subjects-repo.js';
import { eventTypesOf, quarantineOf, recordBySourceKey, runConnectorOnce } from '../support/connector-runs.js';
import { startTestGateway, type TestGateway } from '../support/env.js';

const SOURCE = 'court-judgments/wenshu-list';
const NAME = instanceNameOf(SOURCE);
const PATH = FIXTURE_PATHS[SOURCE]!;
const SYSTEM = 'wenshu.court';
const real = realRows().wenshu;

/** The recorded detail answer's caseinfo (the document 吴某某…死刑复核刑事裁定书, as the detail page states it). */
const detail = JSON.parse(
  /var caseinfo=JSON\.stringify\((\{.*?\})\);/.exec(readFileSync(join(REPO_ROOT, 'connectors/court-judgments/fixtures/wenshu/detail-CreateContentJS-2019.js'), 'utf8'))![1]!,
) as Record<string, unknown>;

const JURISDICTION = '110000';
let src: FixtureSources;
let gw: TestGateway;

beforeAll(async () => {
  src = await startFixtureSources();
  const instances = fixtureConnectorInstances(src.url);
  gw = await startTestGateway({
    lifecycle: { expiryEnabled: false },
    connectors: {
      defaults: { backoffBaseMs: 10, perHostRatePerSecond: 1000 },
      // the list names no region and a party named in a case name has no code: a deployment gives its
      // jurisdiction (here Beijing's, where the recorded documents' court sits)
      instances: { [NAME]: { ...(instances[NAME] as object), region: JURISDICTION } },
    },
  });
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  await src?.close();
});

async function recordsOfSystem(): Promise<number> {
  const { rows } = await gw.ctx.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM current_records WHERE envelope->'source'->>'system' = $1`, [SYSTEM]);
  return rows[0]!.n;
}

describe('court-judgments/wenshu-list with the recorded list answer', () => {
  it('reads the ten recorded documents and skips each: none names a government organ as a party', async () => {
    expect(real).toHaveLength(10);
    // what the rows are: criminal cases (案件类型 1) of the Supreme People's Court, each named after the
    // accused person(s) — 刑事裁定书 / 刑事决定书 — with no organ or institution among the parties
    for (const row of real) {
      expect(row['法院名称']).toBe('最高人民法院');
      expect(row['案件类型']).toBe('1');
      expect(String(row['案件名称'])).toMatch(/刑事(?:裁定|决定)书$/);
      expect(String(row['案件名称'])).not.toMatch(/人民政府|局|委员会|机关|医院|学校/);
    }
    src.sets.wenshu = rowsOf(real);
    const before = src.requests.length;
    const run = await runConnectorOnce(gw, NAME);
    expect(run.state).toBe('succeeded');
    expect(run).toMatchObject({ pages: 1, pulled: 10, skipped: 10, created: 0, updated: 0, unchanged: 0, rejected: 0 });
    expect(await quarantineOf(gw, NAME)).toEqual([]);
    expect(await recordsOfSystem()).toBe(0);
    // one POST with the source file's form and the paging fields; Count ("10") ended the pass
    const asked = src.requests.slice(before).filter((r) => r.path === PATH);
    expect(asked.map((r) => [r.method, r.params])).toEqual([
      ['POST', { Order: '裁判日期', Direction: 'asc', Param: '案件类型:行政案件', Index: '1', Page: '10' }],
    ]);
  });
});

/**
 * DERIVED rows (not recorded answers): each recorded row with its 案件名称 replaced by one that names
 * a government organ as a party, and the organs it names. The document's other fields stay as recorded
 * (so 案件类型 stays "1", 刑事). Row 1 names two organs; row 2's organ the subject registry knows.
 */
const DERIVED: Array<{ name: string; parties: string[]; organs: string[]; documentType: string }> = [
  { name: '张某某诉某某县人民政府行政许可一案行政判决书', parties: ['张某某', '某某县人民政府'], organs: ['某某县人民政府'], documentType: '判决书' },
  {
    name: '李某某与某某市自然资源和规划局、某某市人民政府行政复议一审行政判决书',
    parties: ['李某某', '某某市自然资源和规划局', '某某市人民政府'], organs: ['某某市自然资源和规划局', '某某市人民政府'], documentType: '判决书',
  },
  { name: '王某某诉某某市市场监督管理局行政处罚一案行政判决书', parties: ['王某某', '某某市市场监督管理局'], organs: ['某某市市场监督管理局'], documentType: '判决书' },
  { name: '张某某诉某某县人民政府行政许可一案行政裁定书', parties: ['张某某', '某某县人民政府'], organs: ['某某县人民政府'], documentType: '裁定书' },
  { name: '吴某某诉某某县人民政府行政赔偿一案行政调解书', parties: ['吴某某', '某某县人民政府'], organs: ['某某县人民政府'], documentType: '调解书' },
  ...Array.from({ length: 5 }, () => ({ name: '张某某诉某某县人民政府行政许可一案行政判决书', parties: ['张某某', '某某县人民政府'], organs: ['某某县人民政府'], documentType: '判决书' })),
];
const KNOWN_ORGAN = '某某市市场监督管理局';
const KNOWN_USCC = syntheticUscc(4_321, { kindCode: '11', region: '320500' });

/** The recorded row of the document whose detail answer is recorded too (its 裁判日期 there is null). */
const detailIndex = real.findIndex((r) => r['案件名称'] === detail['案件名称']);

function derivedRows(): Row[] {
  return real.map((row, i) => ({
    ...row,
    案件名称: DERIVED[i]!.name,
    ...(i === detailIndex ? { 裁判日期: detail['裁判日期'], 上传日期: detail['上传日期'] } : {}),
  }));
}

describe('DERIVED rows: the recorded documents with an organ named as a party', () => {
  it('stores one record per government party, field by field from the row; an organ the registry does not know stays pending', async () => {
    expect(detailIndex).toBeGreaterThanOrEqual(0);
    expect(detail['裁判日期']).toBeNull();
    expect(detail['上传日期']).toBe('/Date(1388039700000)/');
    expect(DERIVED).toHaveLength(real.length);
    // the registry knows one organ (as a registration import would teach it)
    await learnSubjects(gw.ctx.pool, [{ uscc: KNOWN_USCC, name: KNOWN_ORGAN }], 'import');

    const rows = derivedRows();
    src.sets.wenshu = rowsOf(rows);
    const run = await runConnectorOnce(gw, NAME);
    // rejected rows would say why here
    expect(await quarantineOf(gw, NAME)).toEqual([]);
    expect(run.state).toBe('succeeded');
    const expected = DERIVED.reduce((n, d) => n + d.organs.length, 0);
    expect(expected).toBe(11);
    expect(run).toMatchObject({ pages: 1, pulled: 10, skipped: 0, created: expected, rejected: 0 });
    expect(await recordsOfSystem()).toBe(expected);

    for (const [i, row] of rows.entries()) {
      const d = DERIVED[i]!;
      const judged = row['裁判日期'] as string | null;
      const caseNumber = row['案号'] as string;
      for (const organ of d.organs) {
        // the source file's key: court | case name | 案号 (or 裁判日期 when 案号 is 无, else 无案号) | party
        const key = `${String(row['法院名称'])}|${d.name}|${caseNumber !== '无' ? caseNumber : (judged ?? '无案号')}|${organ}`;
        const rec = await recordBySourceKey(gw, SYSTEM, key);
        expect(rec, key).toBeDefined();
        expect(rec!.versions).toEqual(['created']);
        const env = rec!.envelope;
        expect(env).toMatchObject({ category: 'court_judgment', status: 'active', flags: { governmentSubject: true } });
        expect(env).not.toHaveProperty('severity'); // a court judgment is neutral
        // 裁判日期 when the row has one; else the 上传日期 (/Date(1388039700000)/ is 2013-12-26 in China)
        expect(env.decidedAt).toBe(judged ?? '2013-12-26');
        const data = {
          caseName: d.name, court: '最高人民法院', documentType: d.documentType, caseType: '刑事', procedure: row['审判程序'],
          ...(judged ? { judgmentDate: judged } : {}),
          ...(caseNumber !== '无' ? { caseNumber } : {}),
          parties: d.parties.map((name) => ({ name })), governmentParty: true,
        };
        expect(env.data, key).toEqual(data);
        if (organ === KNOWN_ORGAN) {
          expect(env.subject).toMatchObject({ name: organ, uscc: KNOWN_USCC, kind: 'organ' });
        } else {
          expect(env.subject).toEqual({ name: organ, kind: 'other', region: JURISDICTION });
        }
        const { rows: p } = await gw.ctx.pool.query<{ pending: boolean }>('SELECT pending FROM records WHERE record_id = $1', [rec!.recordId]);
        expect(p[0]!.pending, key).toBe(organ !== KNOWN_ORGAN);
        expect(await eventTypesOf(gw, rec!.recordId, 'prov')).toEqual(['record.upserted']);
      }
    }
  });

  it('the recorded values behind the checks: codes 1 → 刑事, the procedures as written, 案号 无 and a null 裁判日期 left out', async () => {
    const rows = derivedRows();
    const judgments = await gw.ctx.pool.query<{ data: Record<string, unknown> }>(
      `SELECT envelope->'data' AS data FROM current_records WHERE envelope->'source'->>'system' = $1`, [SYSTEM]);
    expect(judgments.rows.length).toBeGreaterThan(0);
    expect(new Set(judgments.rows.map((r) => r.data.caseType))).toEqual(new Set(['刑事']));
    expect(new Set(judgments.rows.map((r) => r.data.procedure))).toEqual(new Set(rows.map((r) => r['审判程序'])));
    expect(new Set(rows.map((r) => r['审判程序']))).toEqual(new Set(['再审', '其他', '二审', '复核']));
    // rows with 案号 "无" (six of ten) give records without caseNumber; the row with no 裁判日期, one without judgmentDate
    const noNumber = rows.filter((r) => r['案号'] === '无').reduce((n, r) => n + DERIVED[rows.indexOf(r)]!.organs.length, 0);
    expect(noNumber).toBeGreaterThan(0);
    expect(judgments.rows.filter((r) => !('caseNumber' in r.data))).toHaveLength(noNumber);
    expect(judgments.rows.filter((r) => !('judgmentDate' in r.data))).toHaveLength(DERIVED[detailIndex]!.organs.length);
  });

  it('a second pass over the same rows changes nothing', async () => {
    const run = await runConnectorOnce(gw, NAME);
    expect(run.state).toBe('succeeded');
    expect(run.created + run.updated).toBe(0);
    expect(run.unchanged).toBe(11);
  });
});
