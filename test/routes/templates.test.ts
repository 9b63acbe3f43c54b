/**
 * GET /v1/templates/:category on a gateway with partner authentication: every category's template
 * comes as signed XLSX and CSV attachments named in Chinese; rows read back from the downloaded files
 * (the examples, and a row a department filled in the 填报 sheet) and turned into push items with
 * rowToPushItem are accepted by POST /v1/records; unknown categories are 404, unknown formats 400, and
 * the route needs records:read or records:write.
 */
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authOverrides, makePartner, type TestPartner } from '../../src/dev/partner.js';
import { CATEGORY_IDS, type CategoryId } from '../../src/domain/catalogue.js';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { CSV_BOM, unneutralise } from '../../src/templates/csv.js';
import { rowToPushItem, type TemplateRow } from '../../src/templates/row-mapping.js';
import { categoryTemplate } from '../../src/templates/template.js';
import { DATA_FIRST_ROW, DATA_SHEET, EXAMPLE_SHEET } from '../../src/templates/xlsx.js';
import { startTestGateway, type TestGateway } from '../support/env.js';

const SYSTEM = 'dept-templates';
let gw: TestGateway;
let reader: TestPartner;
let writer: TestPartner;
let outsider: TestPartner;

beforeAll(async () => {
  reader = await makePartner({ scopes: ['records:read'] });
  writer = await makePartner({ scopes: ['records:write'], sourceSystems: [SYSTEM], categories: ['*'], regions: ['*'] });
  outsider = await makePartner({ scopes: ['subjects:read'] });
  gw = await startTestGateway(authOverrides([reader, writer, outsider]));
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

const download = (path: string, partner = reader) => partner.signedFetch(`${gw.url}${path}`);

/** The rows of a sheet below the two header rows, by the keys in row 2. */
function sheetRows(sheet: ExcelJS.Worksheet): TemplateRow[] {
  const keys = (sheet.getRow(2).values as unknown[]).slice(1).map(String);
  const rows: TemplateRow[] = [];
  for (let r = DATA_FIRST_ROW; r <= sheet.rowCount; r++) {
    const values = sheet.getRow(r).values as unknown[];
    const row = Object.fromEntries(keys.map((k, i) => [k, values[i + 1] === undefined || values[i + 1] === null ? '' : String(values[i + 1])]));
    if (Object.values(row).some(Boolean)) rows.push(row);
  }
  return rows;
}

async function push(category: CategoryId, rows: TemplateRow[]): Promise<any> {
  const records = rows.map((row) => rowToPushItem(category, categoryTemplate(category).columns, row, SYSTEM));
  const res = await writer.signedFetch(`${gw.url}/v1/records`, { method: 'POST', body: JSON.stringify({ records }) });
  expect(res.status).toBe(200);
  return res.json();
}

describe.each(CATEGORY_IDS)('GET /v1/templates/%s', (category) => {
  it('answers a signed XLSX attachment whose example rows are accepted by POST /v1/records', async () => {
    const res = await download(`/v1/templates/${category}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const nameZh = categoryTemplate(category).nameZh;
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="${category}-template.xlsx"; filename*=UTF-8''${encodeURIComponent(`${nameZh}-填报模板.xlsx`)}`,
    );
    expect(res.headers.get('x-response-signature')).toMatch(/^[\w-]+\.\.[\w-]+$/);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await res.arrayBuffer());
    expect(workbook.getWorksheet(DATA_SHEET)!.getRow(1).getCell(1).value).toBe('主体名称或姓名');
    const rows = sheetRows(workbook.getWorksheet(EXAMPLE_SHEET)!);
    expect(rows.length).toBeGreaterThan(0);
    const answer = await push(category, rows.map((row) => ({ ...row, 'source.key': `xlsx-${row['source.key']}` })));
    expect(answer.results, JSON.stringify(answer.results)).toEqual(rows.map(() => expect.objectContaining({ status: 'created' })));
  });

  it('answers CSV with a BOM whose example rows, read back, are accepted too', async () => {
    const res = await download(`/v1/templates/${category}?format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent(categoryTemplate(category).nameZh)}`);
    const text = Buffer.from(await res.arrayBuffer()).toString('utf8');
    expect(text.startsWith(CSV_BOM)).toBe(true);
    const [, keys, , ...examples] = parse(text.slice(1)) as string[][];
    const rows = examples.map((cells) => Object.fromEntries(keys!.map((k, i) => [k, unneutralise(cells[i] ?? '')])));
    const answer = await push(category, rows.map((row) => ({ ...row, 'source.key': `csv-${row['source.key']}` })));
    expect(answer.results).toEqual(rows.map(() => expect.objectContaining({ status: 'created' })));
  });
});

describe('a filled 填报 sheet', () => {
  it('gives push items for a natural person and an organisation that the gateway accepts', async () => {
    const res = await download('/v1/templates/admin_penalty');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await res.arrayBuffer());
    const sheet = workbook.getWorksheet(DATA_SHEET)!;
    const keys = (sheet.getRow(2).values as unknown[]).slice(1).map(String);
    const fill = (r: number, cells: Record<string, string>) => keys.forEach((k, i) => { if (cells[k]) sheet.getRow(r).getCell(i + 1).value = cells[k]; });
    const common = {
      'decidedAt': '2026-06-01', 'data.CF_WSH': '昆市监处罚〔2026〕7号', 'data.CF_WFXW': '无照经营', 'data.CF_SY': '未取得营业执照从事经营活动',
      'data.CF_YJ': '《无证无照经营查处办法》第十三条', 'data.CF_NR': '警告', 'data.CF_JDRQ': '2026-06-01', 'data.CF_CFJG': '昆山市市场监督管理局', 'data.CF_SJLY': '昆山市市场监督管理局',
    };
    fill(DATA_FIRST_ROW, {
      ...common, 'subject.name': '王某', 'subject.idNumber': '110101199003077774', 'source.key': 'filled-person', 'severity': 'minor',
      'data.CF_XDR_MC': '王某', 'data.CF_XDR_LB': '自然人', 'data.CF_XDR_ZJLX': '身份证', 'data.CF_XDR_ZJHM': '110101199003077774', 'data.CF_CFLB': '警告',
    });
    const uscc = syntheticUscc(77_000_123);
    fill(DATA_FIRST_ROW + 1, {
      ...common, 'subject.name': '某某商贸有限公司', 'subject.uscc': uscc, 'source.key': 'filled-org',
      'data.CF_XDR_MC': '某某商贸有限公司', 'data.CF_XDR_LB': '法人及非法人组织', 'data.CF_XDR_SHXYM': uscc, 'data.CF_FRDB': '李某',
      'data.CF_CFLB': '罚款', 'data.CF_NR_FK': '0.5',
    });
    const reread = new ExcelJS.Workbook();
    await reread.xlsx.load(await workbook.xlsx.writeBuffer());
    const rows = sheetRows(reread.getWorksheet(DATA_SHEET)!);
    expect(rows).toHaveLength(2);
    const answer = await push('admin_penalty', rows);
    expect(answer.results, JSON.stringify(answer.results)).toEqual([expect.objectContaining({ status: 'created' }), expect.objectContaining({ status: 'created' })]);
    // a row that breaks a conditional rule is rejected with the field named
    const wrong = await push('admin_penalty', [{ ...rows[1]!, 'source.key': 'filled-wrong', 'data.CF_NR_FK': '' }]);
    expect(JSON.stringify(wrong.results[0])).toContain('/records/0/data/CF_NR_FK');
  });
});

describe('refusals', () => {
  it('answers 404 problem+json for an unknown category and 400 for an unknown format', async () => {
    const unknown = await download('/v1/templates/no_such_category');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await unknown.json()).toMatchObject({ code: 'GW_SCHEMA_NOT_FOUND', status: 404 });
    const format = await download('/v1/templates/admin_penalty?format=pdf');
    expect(format.status).toBe(400);
    expect(await format.json()).toMatchObject({ code: 'GW_REQUEST_INVALID', errors: [expect.objectContaining({ pointer: '/query/format' })] });
  });

  it('needs records:read or records:write', async () => {
    const res = await download('/v1/templates/admin_penalty', outsider);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'GW_AUTH_SCOPE_MISSING' });
  });
});
