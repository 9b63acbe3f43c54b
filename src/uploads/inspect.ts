/**
 * Everything a file is checked for before it is taken (and so before a row is stored): its type (the
 * content type against its first bytes), for XLSX the zip pre-pass (zip-inspect.ts: bombs, entities,
 * row counts), the sheet with the category's headings, no merged cells in its heading rows, and the
 * row limit. A file that fails any check is refused here, whole; one that passes is read in the
 * background by the layout found here.
 */
import type { UploadsConfig } from '../config/types.js';
import type { CategoryId } from '../domain/catalogue.js';
import { categoryTemplate } from '../templates/template.js';
import { assertCsvText, csvEncoding, csvShape, type CsvEncoding } from './csv-file.js';
import { recogniseLayout, type Layout } from './layout.js';
import { nationalMapping } from './national.js';
import type { SheetRef } from './xlsx-rows.js';
import { MAX_HEADER_ROWS, inspectWorkbook } from './zip-inspect.js';
import { refusal } from './zip-directory.js';

export type UploadFormat = 'xlsx' | 'csv';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** What the background reader needs: the layout, and for XLSX the sheet. */
export interface StoredLayout extends Layout {
  sheet?: SheetRef;
}

export interface Inspected {
  format: UploadFormat;
  encoding: CsvEncoding | null;
  layout: StoredLayout;
  /** data rows at most (XLSX: rows the sheet reaches below its headings; CSV: records below them) */
  rowsTotal: number;
}

/** The format a content type names, and its charset parameter; null when it is neither. */
export function formatOf(contentType: string | undefined): { format: UploadFormat; charset?: string } | null {
  const [type = '', ...params] = (contentType ?? '').split(';').map((s) => s.trim());
  const charset = params.map((p) => /^charset\s*=\s*"?([^"]+)"?$/i.exec(p)?.[1]).find(Boolean);
  if (type.toLowerCase() === XLSX_TYPE) return { format: 'xlsx' };
  if (type.toLowerCase() === 'text/csv') return { format: 'csv', ...(charset ? { charset } : {}) };
  return null;
}

function noSheet(category: CategoryId, where: string) {
  return refusal('GW_UPLOAD_SHEET_NOT_FOUND',
    `${where}没有“${categoryTemplate(category).nameZh}”模板的表头（第 1 行中文标题、第 2 行字段名），也没有国家双公示标准表头`,
    `${where === '文件' ? 'the file has' : 'no sheet has'} neither the headings of the ${category} template (row 1 Chinese headings, row 2 field keys) nor the national 双公示 headings`);
}

async function inspectXlsx(bytes: Buffer, category: CategoryId, limits: UploadsConfig): Promise<Inspected> {
  if (!(bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04)) {
    throw refusal('GW_UPLOAD_TYPE_MISMATCH', '声明为 XLSX 的文件不是 ZIP 压缩包（XLSX 须以 PK 开头）', 'the file sent as XLSX is not a zip (an XLSX starts with PK)');
  }
  const facts = await inspectWorkbook(bytes, limits);
  const template = categoryTemplate(category);
  const national = nationalMapping(category);
  // exceljs's reader (xlsx-rows.ts) reads worksheets stored as xl/worksheets/sheet<n>.xml, as Excel writes them
  for (const sheet of facts.sheets.filter((s) => /^xl\/worksheets\/sheet\d+\.xml$/.test(s.path))) {
    const layout = recogniseLayout(template, national, sheet.headerRows);
    if (!layout) continue;
    const merged = sheet.merges.find((m) => m.fromRow < layout.dataFrom);
    if (merged) {
      throw refusal('GW_UPLOAD_MERGED_HEADER', `工作表“${sheet.name}”的表头第 ${merged.fromRow} 行有合并单元格，请取消合并，每列一个标题`,
        `sheet "${sheet.name}" has merged cells in heading row ${merged.fromRow}; unmerge them, one heading per column`);
    }
    const rowsTotal = Math.max(0, sheet.lastRow - (layout.dataFrom - 1));
    if (rowsTotal > limits.maxRows) {
      throw refusal('GW_UPLOAD_TOO_MANY_ROWS', `工作表“${sheet.name}”有 ${rowsTotal} 行数据，上限 ${limits.maxRows}`, `sheet "${sheet.name}" has ${rowsTotal} data rows; at most ${limits.maxRows} are allowed`);
    }
    return { format: 'xlsx', encoding: null, layout: { ...layout, sheet: { name: sheet.name, path: sheet.path } }, rowsTotal };
  }
  throw noSheet(category, '工作簿中各工作表');
}

async function inspectCsv(bytes: Buffer, charset: string | undefined, category: CategoryId, limits: UploadsConfig): Promise<Inspected> {
  assertCsvText(bytes);
  const encoding = csvEncoding(bytes, charset);
  const { head, records } = await csvShape(bytes, encoding, MAX_HEADER_ROWS, limits.maxRows + MAX_HEADER_ROWS);
  const layout = recogniseLayout(categoryTemplate(category), nationalMapping(category), head);
  if (!layout) throw noSheet(category, '文件');
  const rowsTotal = Math.max(0, records - (layout.dataFrom - 1));
  if (rowsTotal > limits.maxRows) {
    throw refusal('GW_UPLOAD_TOO_MANY_ROWS', `CSV 文件有 ${rowsTotal} 行数据，上限 ${limits.maxRows}`, `the CSV file has ${rowsTotal} data rows; at most ${limits.maxRows} are allowed`);
  }
  return { format: 'csv', encoding, layout, rowsTotal };
}

export function inspectUpload(bytes: Buffer, type: { format: UploadFormat; charset?: string }, category: CategoryId, limits: UploadsConfig): Promise<Inspected> {
  return type.format === 'xlsx' ? inspectXlsx(bytes, category, limits) : inspectCsv(bytes, type.charset, category, limits);
}
