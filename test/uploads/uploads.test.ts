/**
 * POST /v1/uploads on a gateway with partner authentication, for every category: the template is
 * downloaded, filled with exceljs (valid rows from its examples, two invalid rows), uploaded, followed
 * to done; the feedback file marks exactly the invalid rows, naming the column heading and the rule;
 * the same file again is all unchanged. Then a larger CSV across several batches, a GB18030 CSV under
 * the national 双公示 headings, and formulas read as their cached values, never run.
 */
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authOverrides, makePartner, type TestPartner } from '../../src/dev/partner.js';
import { CATEGORY_IDS } from '../../src/domain/catalogue.js';
import { recordIdFor } from '../../src/domain/record.js';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { csvLine } from '../../src/templates/csv.js';
import { categoryTemplate } from '../../src/templates/template.js';
import { DATA_FIRST_ROW, DATA_SHEET } from '../../src/templates/xlsx.js';
import { startTestGateway, type TestGateway } from '../support/env.js';
import { XLSX_TYPE, feedback, untilFinished, upload, xlsxSheetRows } from './upload-client.js';

const SYSTEM = 'dept-uploads';
let gw: TestGateway;
let dept: TestPartner;
/** a 昆山 (320583) department, granted admin_penalty only */
let kunshan: TestPartner;

beforeAll(async () => {
  dept = await makePartner({ scopes: ['records:write', 'records:read'], sourceSystems: [SYSTEM], categories: ['*'], regions: ['*'] });
  kunshan = await makePartner({ scopes: ['records:write'], sourceSystems: ['ks.scjg'], categories: ['admin_penalty'], regions: ['320583'] });
  gw = await startTestGateway(authOverrides([dept, kunshan]));
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

const uploadsUrl = (category: string) => `${gw.url}/v1/uploads?category=${category}`;

async function recordCount(): Promise<number> {
  return Number((await gw.ctx.pool.query('SELECT count(*) AS n FROM records')).rows[0].n);
}

describe.each(CATEGORY_IDS)('an XLSX %s template filled and uploaded', (category) => {
  const template = categoryTemplate(category);
  const col = (key: string) => template.columns.findIndex((c) => c.key === key);
  let bytes: Buffer;
  /** the row numbers of the invalid rows, with the column heading and rule the feedback must name */
  const invalid = new Map<number, { heading: string; rule: string }>();
  let validRows = 0;

  beforeAll(async () => {
    const res = await dept.signedFetch(`${gw.url}/v1/templates/${category}`);
    expect(res.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await res.arrayBuffer());
    const sheet = workbook.getWorksheet(DATA_SHEET)!;
    let r = DATA_FIRST_ROW;
    const write = (row: Record<string, string>) => {
      template.columns.forEach((c, i) => { if (row[c.key]) sheet.getRow(r).getCell(i + 1).value = row[c.key]!; });
      return r++;
    };
    for (let copy = 0; copy < 4; copy++) {
      for (const [n, example] of template.examples.entries()) {
        write({ ...example, 'source.key': `${category}-${copy}-${n}` });
        validRows++;
      }
    }
    const example = template.examples[0]!;
    invalid.set(write({ ...example, 'source.key': `${category}-bad-date`, decidedAt: '2024-13-45' }), { heading: template.columns[col('decidedAt')]!.heading, rule: 'format.date' });
    invalid.set(write({ ...example, 'source.key': `${category}-no-name`, 'subject.name': '' }), { heading: template.columns[col('subject.name')]!.heading, rule: 'required' });
    write({ ...example, 'source.key': `${category}-last` });
    validRows++;
    bytes = Buffer.from(await workbook.xlsx.writeBuffer());
  });

  it('stores the valid rows and marks exactly the invalid ones in the feedback file', async () => {
    const before = await recordCount();
    const taken = await upload(dept, uploadsUrl(category), bytes, XLSX_TYPE);
    expect(taken.status, JSON.stringify(taken.body)).toBe(202);
    expect(taken.body).toMatchObject({ category, format: 'xlsx', sourceSystem: SYSTEM });
    // the worker is woken by the upload itself and may have claimed it before the answer was read back
    expect(['queued', 'running', 'done']).toContain(taken.body.state);
    const done = await untilFinished(dept, gw.url, taken.body.id);
    expect(done).toMatchObject({ state: 'done', rowsRead: validRows + invalid.size, stored: validRows, unchanged: 0, rejected: invalid.size, error: null });
    expect(await recordCount()).toBe(before + validRows);

    const res = await feedback(dept, gw.url, taken.body.id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(XLSX_TYPE);
    const rows = await xlsxSheetRows(await res.arrayBuffer());
    const width = template.columns.length;
    expect(rows.get(1)!.slice(width)).toEqual(['处理结果', '错误说明']);
    const rejected = [...rows].filter(([, cells]) => cells[width] === '拒收').map(([n]) => n);
    expect(rejected).toEqual([...invalid.keys()]);
    for (const [n, { heading, rule }] of invalid) {
      expect(rows.get(n)![width + 1]).toContain(`字段“${heading}”（规则 ${rule}`);
    }
    const stored = [...rows].filter(([, cells]) => cells[width] === '已入库（新增）');
    expect(stored).toHaveLength(validRows);
  });

  it('reports the same file uploaded again as unchanged', async () => {
    const taken = await upload(dept, uploadsUrl(category), bytes, XLSX_TYPE);
    expect(taken.status).toBe(202);
    const done = await untilFinished(dept, gw.url, taken.body.id);
    expect(done).toMatchObject({ state: 'done', stored: 0, unchanged: validRows, rejected: invalid.size });
    const res = await feedback(dept, gw.url, taken.body.id);
    const answer = Buffer.from(await res.arrayBuffer());
    expect(`${res.status} ${res.headers.get('content-type')}`, answer.toString('utf8', 0, 500)).toBe(`200 ${XLSX_TYPE}`);
    const rows = await xlsxSheetRows(answer.buffer.slice(answer.byteOffset, answer.byteOffset + answer.byteLength));
    expect([...rows.values()].filter((cells) => cells[template.columns.length] === '未变更')).toHaveLength(validRows);
  });
});

/** A 行政处罚 row under the national headings (Chinese names of the 2021 standard). */
const NATIONAL_HEADINGS = ['行政相对人名称', '行政相对人类别', '行政相对人代码_1（统一社会信用代码）', '法定代表人', '行政处罚决定书文号', '违法行为类型', '违法事实', '处罚依据',
  '处罚类别', '处罚内容', '罚款金额（万元）', '处罚决定日期', '处罚机关', '数据来源单位'];

function nationalRow(n: number, overrides: Partial<Record<string, string>> = {}): string[] {
  const row: Record<string, string> = {
    行政相对人名称: `某某贸易有限公司${n}`, 行政相对人类别: '法人及非法人组织', '行政相对人代码_1（统一社会信用代码）': syntheticUscc(700_000 + n), 法定代表人: '张某',
    行政处罚决定书文号: `津市监罚〔2024〕${n}号`, 违法行为类型: '虚假宣传', 违法事实: '发布虚假广告', 处罚依据: '《广告法》第五十五条',
    处罚类别: '罚款', 处罚内容: '罚款人民币伍仟元整', '罚款金额（万元）': '0.5', 处罚决定日期: '2024-03-01', 处罚机关: '某市市场监督管理局', 数据来源单位: '某市市场监督管理局',
    ...overrides,
  };
  return NATIONAL_HEADINGS.map((h) => row[h] ?? '');
}

describe('CSV uploads', () => {
  it('takes a GB18030 CSV with the national 双公示 headings, and answers in GB18030', async () => {
    const lines = [NATIONAL_HEADINGS, nationalRow(1), nationalRow(2), nationalRow(3, { 处罚决定日期: '2024年13月1日' }), nationalRow(4)];
    const bytes = iconv.encode(lines.map((l) => csvLine(l)).join('\r\n') + '\r\n', 'gb18030');
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow();
    const taken = await upload(dept, uploadsUrl('admin_penalty'), bytes, 'text/csv');
    expect(taken.status, JSON.stringify(taken.body)).toBe(202);
    expect(taken.body.encoding).toBe('gb18030');
    const done = await untilFinished(dept, gw.url, taken.body.id);
    expect(done).toMatchObject({ state: 'done', rowsRead: 4, stored: 3, rejected: 1 });
    const stored = await gw.ctx.pool.query('SELECT envelope FROM current_records WHERE record_id = $1', [recordIdFor(SYSTEM, `津市监罚〔2024〕2号|${syntheticUscc(700_002)}`)]);
    expect(stored.rows[0].envelope).toMatchObject({ subject: { name: '某某贸易有限公司2', uscc: syntheticUscc(700_002) }, decidedAt: '2024-03-01', data: { CF_NR_FK: 0.5 } });

    const res = await feedback(dept, gw.url, taken.body.id);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=gb18030');
    const text = iconv.decode(Buffer.from(await res.arrayBuffer()), 'gb18030');
    const out = text.trim().split('\r\n');
    expect(out[0]!.endsWith(',处理结果,错误说明')).toBe(true);
    expect(out[3]).toContain('拒收');
    expect(out[3]).toContain('字段“处罚决定日期”');
    expect(out.filter((l) => l.includes(',已入库（新增）,'))).toHaveLength(3);
  });

  it('takes a UTF-8 CSV template of a few thousand rows in several batches, and neutralises formula-like cells in the feedback', async () => {
    const template = categoryTemplate('admin_penalty');
    const example = template.examples[0]!;
    const rows = [template.columns.map((c) => c.heading), template.columns.map((c) => c.key), template.columns.map((c) => c.rule)];
    const n = 2500;
    for (let i = 0; i < n; i++) rows.push(template.columns.map((c) => (c.key === 'source.key' ? `bulk-${i}` : example[c.key] ?? '')));
    // a value a spreadsheet would run as a formula, in a field it is invalid in
    rows.push(template.columns.map((c) => (c.key === 'source.key' ? 'bulk-formula' : c.key === 'decidedAt' ? '=HYPERLINK("http://x.example","click")' : example[c.key] ?? '')));
    const bytes = Buffer.from(`\uFEFF${rows.map((r) => r.map((c) => (c.startsWith('=') ? `"${c.replaceAll('"', '""')}"` : csvLine([c]))).join(',')).join('\r\n')}\r\n`, 'utf8');
    const taken = await upload(dept, uploadsUrl('admin_penalty'), bytes, 'text/csv; charset=utf-8');
    expect(taken.status, JSON.stringify(taken.body)).toBe(202);
    expect(taken.body.rowsTotal).toBe(n + 1);
    const done = await untilFinished(dept, gw.url, taken.body.id);
    expect(done).toMatchObject({ state: 'done', rowsRead: n + 1, stored: n, rejected: 1 });
    const text = Buffer.from(await (await feedback(dept, gw.url, taken.body.id)).arrayBuffer()).toString('utf8');
    const last = text.trim().split('\r\n').pop()!;
    expect(last).toContain(`"'=HYPERLINK(""http://x.example"",""click"")"`);
    expect(last).not.toMatch(/,=HYPERLINK/);
    expect(last).toContain('拒收');
  });
});

/** A workbook with the admin_license template's two heading rows, for a test to add its data rows to. */
function licenceWorkbook() {
  const template = categoryTemplate('admin_license');
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(DATA_SHEET);
  sheet.addRow(template.columns.map((c) => c.heading));
  sheet.addRow(template.columns.map((c) => c.key));
  return { template, example: template.examples[0]!, workbook, sheet };
}

describe('formulas in an uploaded workbook', () => {
  it('are read as the value Excel cached, never computed', async () => {
    const { template, example, workbook, sheet } = licenceWorkbook();
    const row = sheet.addRow(template.columns.map((c) => (c.key === 'source.key' ? 'formula-1' : example[c.key] ?? '')));
    const contentCol = template.columns.findIndex((c) => c.key === 'data.XK_NR') + 1;
    // computing the formula would give "AB"; the cached value is what the department saw
    row.getCell(contentCol).value = { formula: '"A"&"B"', result: '缓存的许可内容' } as ExcelJS.CellFormulaValue;
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
    const taken = await upload(dept, uploadsUrl('admin_license'), bytes, XLSX_TYPE);
    expect(taken.status, JSON.stringify(taken.body)).toBe(202);
    expect(await untilFinished(dept, gw.url, taken.body.id)).toMatchObject({ state: 'done', stored: 1 });
    const stored = await gw.ctx.pool.query('SELECT envelope FROM current_records WHERE record_id = $1', [recordIdFor(SYSTEM, 'formula-1')]);
    expect(stored.rows[0].envelope.data.XK_NR).toBe('缓存的许可内容');
  });

  it('come back neutralised in the XLSX feedback file: a text starting with =, +, -, @ gets a leading \'', async () => {
    const { template, example, workbook, sheet } = licenceWorkbook();
    const hostile: Record<string, string> = { 'source.key': 'inject-1', decidedAt: '=cmd|\' /C calc\'!A0', 'data.XK_NR': '@SUM(1+1)', 'data.XK_XKWS': '-2+3', BZ: '+1' };
    sheet.addRow(template.columns.map((c) => hostile[c.key] ?? example[c.key] ?? ''));
    const taken = await upload(dept, uploadsUrl('admin_license'), Buffer.from(await workbook.xlsx.writeBuffer()), XLSX_TYPE);
    expect(taken.status, JSON.stringify(taken.body)).toBe(202);
    expect(await untilFinished(dept, gw.url, taken.body.id)).toMatchObject({ state: 'done', rejected: 1 });
    const rows = await xlsxSheetRows(await (await feedback(dept, gw.url, taken.body.id)).arrayBuffer());
    const row = rows.get(3)!;
    const at = (key: string) => row[template.columns.findIndex((c) => c.key === key)];
    expect(at('decidedAt')).toBe("'=cmd|' /C calc'!A0");
    expect(at('data.XK_NR')).toBe("'@SUM(1+1)");
    expect(at('data.XK_XKWS')).toBe("'-2+3");
    expect(row.every((cell) => !/^[=+\-@\t\r]/.test(cell))).toBe(true);
    expect(row[template.columns.length]).toBe('拒收');
  });
});

describe("a partner's grant", () => {
  it('refuses an upload of a category outside it, and rejects the rows of a region outside it', async () => {
    const refused = await upload(kunshan, uploadsUrl('admin_license'), Buffer.from('x'), 'text/csv');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('GW_AUTH_GRANT_MISSING');

    const template = categoryTemplate('admin_penalty');
    const example = template.examples[0]!;
    const beijing = syntheticUscc(4711, { region: '110105' });
    const rows: Array<Record<string, string>> = [
      { ...example, 'source.key': 'grant-ks' },
      { ...example, 'source.key': 'grant-bj', 'subject.uscc': beijing, 'subject.region': '110105', 'data.CF_XDR_SHXYM': beijing },
    ];
    const lines = [template.columns.map((c) => c.heading), template.columns.map((c) => c.key), ...rows.map((r) => template.columns.map((c) => r[c.key] ?? ''))];
    const taken = await upload(kunshan, uploadsUrl('admin_penalty'), Buffer.from(lines.map((l) => csvLine(l)).join('\r\n')), 'text/csv');
    expect(taken.status, JSON.stringify(taken.body)).toBe(202);
    expect(taken.body.sourceSystem).toBe('ks.scjg');
    expect(await untilFinished(kunshan, gw.url, taken.body.id)).toMatchObject({ state: 'done', stored: 1, rejected: 1 });
    const text = Buffer.from(await (await feedback(kunshan, gw.url, taken.body.id)).arrayBuffer()).toString('utf8');
    const last = text.trim().split('\r\n')[3]!;
    expect(last).toContain('拒收');
    expect(last).toContain('auth.region_not_granted');
    // another partner's upload is not found
    expect((await dept.signedFetch(`${gw.url}/v1/uploads/${taken.body.id}`)).status).toBe(404);
  });
});

describe('GET /v1/uploads', () => {
  /** every page of a partner's listing, `limit` at a time */
  async function listAll(partner: TestPartner, query: string, limit: number): Promise<any[]> {
    const seen: any[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const res = await partner.signedFetch(`${gw.url}/v1/uploads?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { uploads: any[]; hasMore: boolean; nextCursor: string | null };
      expect(body.uploads.length).toBeLessThanOrEqual(limit);
      seen.push(...body.uploads);
      if (!body.hasMore) return seen;
      cursor = body.nextCursor;
    }
    throw new Error('more than 100 pages');
  }

  it("lists a partner's own uploads only, newest first, page by page", async () => {
    const ids = async (partnerOf: string) =>
      (await gw.ctx.pool.query(`SELECT id FROM uploads WHERE partner = (SELECT partner FROM uploads WHERE id = $1) ORDER BY created_at DESC, id`, [partnerOf])).rows.map((r) => r.id);
    const own = await listAll(dept, '', 2);
    const theirs = await listAll(kunshan, '', 2);
    expect(own.length).toBeGreaterThan(2);
    expect(theirs.length).toBeGreaterThan(0);
    expect(own.map((u) => u.id)).toEqual(await ids(own[0].id));
    expect(theirs.map((u) => u.id)).toEqual(await ids(theirs[0].id));
    expect(own.filter((u) => theirs.some((t) => t.id === u.id))).toEqual([]);
    expect(own[0]).toMatchObject({ links: { self: `/v1/uploads/${own[0].id}` } });
    expect(own[0]).not.toHaveProperty('partner');
  });

  it('filters by state, and refuses a cursor issued for another filter', async () => {
    const done = await listAll(dept, '&state=done', 3);
    expect(done.length).toBeGreaterThan(0);
    expect(done.every((u) => u.state === 'done')).toBe(true);
    const first = (await (await dept.signedFetch(`${gw.url}/v1/uploads?limit=1&state=done`)).json()) as { nextCursor: string };
    const moved = await dept.signedFetch(`${gw.url}/v1/uploads?limit=1&cursor=${first.nextCursor}`);
    expect(moved.status).toBe(400);
    expect(((await moved.json()) as { code: string }).code).toBe('GW_CURSOR_INVALID');
    expect((await dept.signedFetch(`${gw.url}/v1/uploads?state=lost`)).status).toBe(400);
  });
});
