/**
 * Hostile files are refused whole, with their stable code and a message in both languages, and store
 * nothing — no upload, no record: zip bombs (a ratio over the limit, a part inflating past its declared
 * size, a workbook inflating past the total), DOCTYPE/ENTITY declarations, a workbook without the
 * category's headings, merged heading cells, a 1,048,576-row sheet (by its dimension, and by its rows
 * without one), more rows than allowed, files that are not what their content type says, bodies over
 * the byte limit, and content types that are neither XLSX nor CSV.
 */
import { randomBytes } from 'node:crypto';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authOverrides, makePartner, type TestPartner } from '../../src/dev/partner.js';
import { templateXlsx } from '../../src/templates/xlsx.js';
import { categoryTemplate } from '../../src/templates/template.js';
import { startTestGateway, type TestGateway } from '../support/env.js';
import { XLSX_TYPE, upload } from './upload-client.js';
import { rezip, sheetXml, workbookWithSheet, zip } from './zip-files.js';

const SYSTEM = 'dept-hostile';
const LIMITS = { maxBytes: 4 * 1024 * 1024, maxRows: 100, maxUncompressedBytes: 32 * 1024 * 1024, maxCompressionRatio: 200 };
let gw: TestGateway;
let dept: TestPartner;
let template: Buffer;

beforeAll(async () => {
  dept = await makePartner({ scopes: ['records:write'], sourceSystems: [SYSTEM] });
  gw = await startTestGateway({ ...authOverrides([dept]), uploads: LIMITS });
  template = await templateXlsx(categoryTemplate('admin_penalty'));
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

async function counts(): Promise<{ uploads: number; records: number }> {
  const { rows } = await gw.ctx.pool.query('SELECT (SELECT count(*) FROM uploads)::int AS uploads, (SELECT count(*) FROM records)::int AS records');
  return rows[0];
}

/** Sends the file and expects its refusal: the status, the code, a detail, and nothing stored. */
async function refused(bytes: Buffer, type: string, status: number, code: string): Promise<any> {
  const before = await counts();
  const answer = await upload(dept, `${gw.url}/v1/uploads?category=admin_penalty`, bytes, type);
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body.code).toBe(code);
  expect(answer.body.title).toMatch(/[\u4e00-\u9fff]/);
  expect(await counts()).toEqual(before);
  return answer.body;
}

const dataRow = (r: number) => `<row r="${r}"><c r="A${r}" t="inlineStr"><is><t>某公司</t></is></c><c r="B${r}" t="inlineStr"><is><t>k${r}</t></is></c></row>`;

describe('hostile uploads', () => {
  it('refuses a part that declares an inflation ratio over the limit (zip bomb)', async () => {
    const body = await refused(workbookWithSheet(sheetXml({ rows: `<row r="3"><c r="C3" t="inlineStr"><is><t>${' '.repeat(20 * 1024 * 1024)}</t></is></c></row>` })), XLSX_TYPE, 422, 'GW_UPLOAD_ZIP_BOMB');
    expect(body.detail).toContain('压缩比');
  });

  it('refuses a part that inflates past the size it declares (zip bomb), without inflating on', async () => {
    const bomb = sheetXml({ rows: `<row r="3"><c r="C3" t="inlineStr"><is><t>${'x'.repeat(3 * 1024 * 1024)}</t></is></c></row>` });
    const body = await refused(workbookWithSheet(bomb, 4000), XLSX_TYPE, 422, 'GW_UPLOAD_ZIP_BOMB');
    expect(body.detail).toContain('超过其声明');
  });

  it('refuses a workbook whose parts together inflate past the total limit (zip bomb)', async () => {
    // each part at a ratio under the limit, together over 32 MiB
    // 64 random bytes then 6,000 zeros, over and over: deflates at about 75:1, under the ratio limit
    const filler = (n: number) => {
      const data = Buffer.alloc(9 * 1024 * 1024);
      for (let i = 0; i < data.length; i += 6064) randomBytes(64).copy(data, i);
      return { name: `xl/media/filler${n}.bin`, data };
    };
    const parts = [...Array.from({ length: 4 }, (_, n) => filler(n))];
    const bytes = zip([...parts, { name: '[Content_Types].xml', data: Buffer.from('<Types/>') }, { name: 'xl/workbook.xml', data: Buffer.from('<workbook/>') }]);
    expect(bytes.length).toBeLessThan(LIMITS.maxBytes);
    const body = await refused(bytes, XLSX_TYPE, 422, 'GW_UPLOAD_ZIP_BOMB');
    expect(body.detail).toContain('声明解压后超过');
  });

  it('refuses DOCTYPE and ENTITY declarations in any part', async () => {
    const entity = rezip(template, (name, text) => (name === 'xl/workbook.xml' ? text.replace('?>', '?><!DOCTYPE workbook [<!ENTITY lol "lol">]>') : text));
    const body = await refused(entity, XLSX_TYPE, 422, 'GW_UPLOAD_XML_ENTITY');
    expect(body.detail).toContain('xl/workbook.xml');
    const inSheet = rezip(template, (name, text) => (name.startsWith('xl/worksheets/') ? text.replace('?>', '?><!doctype x SYSTEM "file:///etc/passwd">') : text));
    await refused(inSheet, XLSX_TYPE, 422, 'GW_UPLOAD_XML_ENTITY');
  });

  it('refuses a workbook with no sheet carrying the category\'s headings', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('Sheet1').addRow(['姓名', '年龄']);
    workbook.getWorksheet('Sheet1')!.addRow(['张三', '30']);
    await refused(Buffer.from(await workbook.xlsx.writeBuffer()), XLSX_TYPE, 422, 'GW_UPLOAD_SHEET_NOT_FOUND');
  });

  it('refuses merged cells in the heading rows', async () => {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(template as unknown as ArrayBuffer);
    workbook.getWorksheet('填报')!.mergeCells('C1:D1');
    const body = await refused(Buffer.from(await workbook.xlsx.writeBuffer()), XLSX_TYPE, 422, 'GW_UPLOAD_MERGED_HEADER');
    expect(body.detail).toContain('合并单元格');
  });

  it('refuses a 1,048,576-row sheet by its dimension, and by its last row when it has none', async () => {
    const started = Date.now();
    await refused(workbookWithSheet(sheetXml({ dimension: 'A1:B1048576', rows: dataRow(3) + dataRow(1048576) })), XLSX_TYPE, 413, 'GW_UPLOAD_TOO_MANY_ROWS');
    await refused(workbookWithSheet(sheetXml({ rows: dataRow(3) + dataRow(1048576) })), XLSX_TYPE, 413, 'GW_UPLOAD_TOO_MANY_ROWS');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses more data rows than configured, in XLSX and in CSV', async () => {
    const rows = Array.from({ length: 101 }, (_, i) => dataRow(i + 3)).join('');
    const body = await refused(workbookWithSheet(sheetXml({ rows })), XLSX_TYPE, 413, 'GW_UPLOAD_TOO_MANY_ROWS');
    expect(body.detail).toContain('101');
    const csv = ['主体名称或姓名,来源键', 'subject.name,source.key', ...Array.from({ length: 101 }, (_, i) => `某公司,k${i}`)].join('\r\n');
    await refused(Buffer.from(csv), 'text/csv', 413, 'GW_UPLOAD_TOO_MANY_ROWS');
  });

  it('accepts exactly the configured number of rows', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => dataRow(i + 3)).join('');
    const answer = await upload(dept, `${gw.url}/v1/uploads?category=admin_penalty`, workbookWithSheet(sheetXml({ rows })), XLSX_TYPE);
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    expect(answer.body.rowsTotal).toBe(100);
  });

  it('refuses files that are not what their content type says', async () => {
    await refused(Buffer.from('主体名称或姓名,来源键\r\nsubject.name,source.key\r\n'), XLSX_TYPE, 415, 'GW_UPLOAD_TYPE_MISMATCH');
    await refused(template, 'text/csv', 415, 'GW_UPLOAD_TYPE_MISMATCH');
    await refused(zip([{ name: 'readme.txt', data: Buffer.from('not a workbook') }]), XLSX_TYPE, 415, 'GW_UPLOAD_TYPE_MISMATCH');
    await refused(Buffer.from([0x41, 0x2c, 0x00, 0x01, 0x02, 0x42, 0x0d, 0x0a]), 'text/csv', 415, 'GW_UPLOAD_TYPE_MISMATCH');
  });

  it('refuses a CSV that cannot be parsed', async () => {
    const body = await refused(Buffer.from('主体名称或姓名,来源键\r\nsubject.name,source.key\r\n"某公司,k1\r\n'), 'text/csv', 422, 'GW_UPLOAD_CSV_INVALID');
    expect(body.detail).toContain('无法解析');
  });

  it('refuses a damaged zip', async () => {
    await refused(template.subarray(0, template.length - 40), XLSX_TYPE, 422, 'GW_UPLOAD_ZIP_INVALID');
  });

  it('refuses a body over the byte limit with 413, and other content types with 415', async () => {
    await refused(Buffer.alloc(LIMITS.maxBytes + 1, 0x41), 'text/csv', 413, 'GW_BODY_TOO_LARGE');
    await refused(Buffer.from('{"records":[]}'), 'application/json', 415, 'GW_UPLOAD_TYPE_UNSUPPORTED');
  });
});
