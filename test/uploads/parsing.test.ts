/**
 * The pure parts of uploads: SpreadsheetML readers, the zip central directory, the heading layouts,
 * the feedback texts, and the CSV text and encoding checks.
 */
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../../src/errors.js';
import { categoryTemplate } from '../../src/templates/template.js';
import { assertCsvText, countCsvRecords, csvEncoding } from '../../src/uploads/csv-file.js';
import { columnOfError, errorText, keyOfPointer } from '../../src/uploads/feedback-text.js';
import { formatOf } from '../../src/uploads/inspect.js';
import { recogniseLayout } from '../../src/uploads/layout.js';
import { nationalMapping } from '../../src/uploads/national.js';
import { cellRef, firstRows, rangeOf, richText, workbookSheets, xmlText } from '../../src/uploads/sheet-xml.js';
import { cellText } from '../../src/uploads/xlsx-rows.js';
import { readZipDirectory } from '../../src/uploads/zip-directory.js';
import { inspectWorkbook } from '../../src/uploads/zip-inspect.js';
import { zip } from './zip-files.js';

const LIMITS = { maxUncompressedBytes: 64 * 1024 * 1024, maxCompressionRatio: 200, maxZipEntries: 10 };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as GatewayError).code;
  }
  return undefined;
}

describe('SpreadsheetML readers', () => {
  it('reads cell references, ranges, entities and rich text', () => {
    expect(cellRef('A1')).toEqual({ col: 0, row: 1 });
    expect(cellRef('AB12')).toEqual({ col: 27, row: 12 });
    expect(cellRef('a1')).toBeNull();
    expect(rangeOf('B1:D2')).toEqual({ fromCol: 1, fromRow: 1, toCol: 3, toRow: 2 });
    expect(rangeOf('C3')).toEqual({ fromCol: 2, fromRow: 3, toCol: 2, toRow: 3 });
    expect(xmlText('a&amp;b&lt;&#x4e2d;&#25991;')).toBe('a&b<中文');
    expect(richText('<si><r><t>主体</t></r><r><t xml:space="preserve">名称</t></r><rPh><t>ZHUTI</t></rPh></si>')).toBe('主体名称');
  });

  it('reads the first rows of a sheet: shared, inline and cached formula values, by column', () => {
    const xml = '<sheetData><row r="1"><c r="A1" t="s"><v>3</v></c><c r="C1" t="inlineStr"><is><t>来源键</t></is></c></row>'
      + '<row r="2"><c r="A2" t="str"><f>1+1</f><v>cached</v></c><c r="B2"><v>42</v></c></row><row r="9"><c r="A9"><v>x</v></c></row></sheetData>';
    const rows = firstRows(xml, 3);
    expect([...rows.keys()]).toEqual([1, 2]);
    expect(rows.get(1)!.get(0)).toEqual({ shared: 3 });
    expect(rows.get(1)!.get(2)).toEqual({ text: '来源键' });
    expect(rows.get(2)!.get(0)).toEqual({ text: 'cached' });
    expect(rows.get(2)!.get(1)).toEqual({ text: '42' });
  });

  it('finds the sheets of a workbook in order with their parts', () => {
    const wb = '<workbook><sheets><sheet name="填报" sheetId="1" r:id="rId1"/><sheet name="示例" sheetId="2" r:id="rId2"/></sheets></workbook>';
    const rels = '<Relationships><Relationship Id="rId2" Target="worksheets/sheet2.xml"/><Relationship Id="rId1" Target="/xl/worksheets/sheet1.xml"/></Relationships>';
    expect(workbookSheets(wb, rels)).toEqual([{ name: '填报', path: 'xl/worksheets/sheet1.xml' }, { name: '示例', path: 'xl/worksheets/sheet2.xml' }]);
  });

  it('gives a cell\'s text: the cached result of a formula, dates as days, rich text joined', () => {
    expect(cellText({ formula: '"A"&"B"', result: 'cached' })).toBe('cached');
    expect(cellText({ formula: 'NOW()' })).toBe('');
    expect(cellText(new Date(Date.UTC(2024, 2, 1)))).toBe('2024-03-01');
    expect(cellText({ richText: [{ text: '某' }, { text: '公司' }] })).toBe('某公司');
    expect(cellText(12.5)).toBe('12.5');
    expect(cellText({ error: '#REF!' })).toBe('');
  });
});

describe('the zip central directory', () => {
  it('lists entries with their declared sizes', () => {
    const entries = readZipDirectory(zip([{ name: 'a.xml', data: Buffer.from('<a/>') }]), LIMITS);
    expect(entries).toEqual([expect.objectContaining({ name: 'a.xml', method: 8, declaredSize: 4 })]);
  });

  it('refuses declared bombs, too many entries, unsafe names and non-zips', () => {
    expect(codeOf(() => readZipDirectory(zip([{ name: 'a.xml', data: Buffer.alloc(10), declaredSize: 2 ** 31 }]), LIMITS))).toBe('GW_UPLOAD_ZIP_BOMB');
    expect(codeOf(() => readZipDirectory(zip(Array.from({ length: 11 }, (_, i) => ({ name: `p${i}`, data: Buffer.from('x') }))), LIMITS))).toBe('GW_UPLOAD_ZIP_BOMB');
    expect(codeOf(() => readZipDirectory(zip([{ name: '../evil.xml', data: Buffer.from('x') }]), LIMITS))).toBe('GW_UPLOAD_ZIP_INVALID');
    expect(codeOf(() => readZipDirectory(Buffer.from('PK\u0003\u0004 just a prefix'), LIMITS))).toBe('GW_UPLOAD_ZIP_INVALID');
  });
});

describe('the workbook pre-pass', () => {
  it('reads the heading cells through shared strings, empty <si/> items counted', async () => {
    const sheet = '<worksheet><dimension ref="A1:B3"/><sheetData><row r="1"><c r="A1" t="s"><v>1</v></c><c r="B1" t="s"><v>2</v></c></row>'
      + '<row r="2"><c r="A2" t="s"><v>3</v></c></row><row r="3"><c r="A3"><v>7</v></c></row></sheetData><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells></worksheet>';
    const bytes = zip([
      { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
      { name: 'xl/workbook.xml', data: Buffer.from('<workbook><sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>') },
      { name: 'xl/_rels/workbook.xml.rels', data: Buffer.from('<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>') },
      { name: 'xl/sharedStrings.xml', data: Buffer.from('<sst><si/><si><t>主体名称</t></si><si><r><t>来源</t></r><r><t>键</t></r></si><si><t>subject.name</t></si></sst>') },
      { name: 'xl/worksheets/sheet1.xml', data: Buffer.from(sheet) },
    ]);
    const facts = await inspectWorkbook(bytes, { ...LIMITS, maxRows: 100 });
    expect(facts.sheets).toEqual([{
      name: '数据', path: 'xl/worksheets/sheet1.xml', lastRow: 3, rowCount: 3,
      merges: [{ fromCol: 0, fromRow: 1, toCol: 1, toRow: 1 }],
      headerRows: [['主体名称', '来源键'], ['subject.name'], ['7']],
    }]);
  });
});

describe('heading layouts', () => {
  const template = categoryTemplate('admin_penalty');
  const headings = template.columns.map((c) => c.heading);
  const keys = template.columns.map((c) => c.key);

  it('reads our template by its key row, skipping a rules row', () => {
    expect(recogniseLayout(template, null, [headings, keys, []])).toMatchObject({ kind: 'template', dataFrom: 3, columns: keys, headings });
    expect(recogniseLayout(template, null, [headings, keys, template.columns.map((c) => c.rule)])?.dataFrom).toBe(4);
    expect(recogniseLayout(template, null, [keys, ['x']])).toMatchObject({ kind: 'template', dataFrom: 2 });
  });

  it('reads our template by its Chinese headings alone, ignoring columns it does not know', () => {
    const layout = recogniseLayout(template, null, [[...headings, '处理结果', '错误说明'], ['某公司']]);
    expect(layout).toMatchObject({ kind: 'template', dataFrom: 2 });
    expect(layout!.columns.slice(-2)).toEqual([null, null]);
  });

  it('reads the national 双公示 headings, as codes or Chinese names, full-width or not', () => {
    const mapping = nationalMapping('admin_penalty')!;
    expect(recogniseLayout(template, mapping, [['CF_XDR_MC', 'CF_WSH', 'CF_JDRQ']])).toMatchObject({ kind: 'national', columns: ['CF_XDR_MC', 'CF_WSH', 'CF_JDRQ'] });
    const chinese = recogniseLayout(template, mapping, [['行政相对人名称', '行政处罚决定书文号', '处罚决定日期', '罚款金额(万元)', '统一社会信用代码']]);
    expect(chinese?.columns).toEqual(['CF_XDR_MC', 'CF_WSH', 'CF_JDRQ', 'CF_NR_FK', 'CF_XDR_SHXYM']);
    expect(nationalMapping('dishonest_debtor')).toBeNull();
  });

  it('finds no layout in other headings', () => {
    expect(recogniseLayout(template, nationalMapping('admin_penalty'), [['姓名', '年龄'], ['张三', '30']])).toBeNull();
  });
});

describe('feedback texts', () => {
  const template = categoryTemplate('court_judgment');
  const layout = recogniseLayout(template, null, [template.columns.map((c) => c.heading), template.columns.map((c) => c.key)])!;

  it('turns a pointer into the template column it is about', () => {
    expect(keyOfPointer('/records/3/data/parties/0/name')).toBe('data.parties.1.name');
    expect(keyOfPointer('/decidedAt')).toBe('decidedAt');
    expect(layout.columns[columnOfError(layout, { pointer: '/records/0/data/parties/1/name', rule: 'required', zh: '', en: '' })]).toBe('data.parties.2.name');
    expect(columnOfError(layout, { pointer: '', rule: 'x', zh: '', en: '' })).toBe(-1);
  });

  it('says the heading, rule and value in Chinese', () => {
    const col = template.columns.findIndex((c) => c.key === 'decidedAt');
    const cells: string[] = [];
    cells[col] = '2024-13-45';
    const text = errorText(layout, { pointer: '/records/0/decidedAt', rule: 'format.date', zh: '格式应为 date', en: '' }, cells);
    expect(text).toBe(`字段“${template.columns[col]!.heading}”（规则 format.date，值“2024-13-45”）：格式应为 date`);
  });
});

describe('CSV text and encoding', () => {
  it('tells UTF-8 (with or without BOM) from GB18030, a declared charset first', () => {
    expect(csvEncoding(Buffer.from('\uFEFF主体,键'), undefined)).toBe('utf-8');
    expect(csvEncoding(Buffer.from('主体,键'), undefined)).toBe('utf-8');
    expect(csvEncoding(iconv.encode('主体,键', 'gb18030'), undefined)).toBe('gb18030');
    expect(csvEncoding(Buffer.from('abc'), 'GBK')).toBe('gb18030');
  });

  it('counts records over the bytes: line breaks inside quotes are data, a quote opens a field only at its start', () => {
    expect(countCsvRecords(Buffer.from('a,b\r\n"x\r\ny",2\r\nab"c,"d""e"\r\n'))).toMatchObject({ records: 3, unclosedQuote: false });
    expect(countCsvRecords(Buffer.from('a,b\nc,d'))).toMatchObject({ records: 2, unclosedQuote: false });
    expect(countCsvRecords(Buffer.from('a,b\n\nc'))).toMatchObject({ records: 3, unclosedQuote: false });
    expect(countCsvRecords(Buffer.from('a\r"b\rc"\r'))).toMatchObject({ records: 2, unclosedQuote: false });
    expect(countCsvRecords(Buffer.from('a,"b\nc\n'))).toMatchObject({ records: 1, unclosedQuote: true });
    expect(countCsvRecords(Buffer.from('h1\nh2\n"x\ny"\nrest'), 2)).toEqual({ records: 2, unclosedQuote: false, end: 6 });
  });

  it('refuses binary content sent as CSV', () => {
    expect(codeOf(() => assertCsvText(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14])))).toBe('GW_UPLOAD_TYPE_MISMATCH');
    expect(codeOf(() => assertCsvText(Buffer.from('a,b\u0000c')))).toBe('GW_UPLOAD_TYPE_MISMATCH');
    expect(codeOf(() => assertCsvText(Buffer.from('主体,键\r\n某公司,1\r\n')))).toBeUndefined();
  });

  it('reads the format from the content type', () => {
    expect(formatOf('text/csv; charset=GB18030')).toEqual({ format: 'csv', charset: 'GB18030' });
    expect(formatOf('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')).toEqual({ format: 'xlsx' });
    expect(formatOf('application/json')).toBeNull();
  });
});
