/**
 * A category template as an XLSX workbook (exceljs):
 *
 *   - sheet 填报 (the one a department fills and an upload parser reads): row 1 the Chinese headings,
 *     each with a comment giving the column's rule, its note and its key; row 2 the column keys (grey);
 *     rows 3 to DATA_LAST_ROW empty, text-formatted (so codes keep their leading zeros and digits), with a
 *     drop-down on every enumerated column;
 *   - sheet 示例: the same two header rows and the example rows below them;
 *   - sheet 取值 (hidden): the value lists the drop-downs point at.
 *
 * Cells are written as text, never as formulas.
 */
import ExcelJS from 'exceljs';
import type { TemplateColumn } from './template-columns.js';
import type { CategoryTemplate } from './template.js';

export const DATA_SHEET = '填报';
export const EXAMPLE_SHEET = '示例';
export const VALUES_SHEET = '取值';
/** The first and last data rows that carry drop-downs. */
export const DATA_FIRST_ROW = 3;
export const DATA_LAST_ROW = 1002;

const HEADING_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };
const REQUIRED_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFCE4D6' } };

/** The comment of a heading: rule, note, key. */
export function headingComment(column: TemplateColumn): string {
  return [`规则：${column.rule}`, ...(column.note ? [`说明：${column.note}`] : []), `字段名：${column.key}`].join('\n');
}

function columnLetter(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const rem = (n - 1) % 26;
    out = String.fromCharCode(65 + rem) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

/** Rows 1 and 2 (heading, key), column widths and text format; comments when `withComments`. */
function writeHeader(sheet: ExcelJS.Worksheet, columns: readonly TemplateColumn[], withComments: boolean): void {
  sheet.columns = columns.map((c) => ({ key: c.key, width: Math.min(40, Math.max(14, c.heading.length * 2 + 4)), style: { numFmt: '@' } }));
  const heading = sheet.getRow(1);
  const keys = sheet.getRow(2);
  columns.forEach((c, i) => {
    const cell = heading.getCell(i + 1);
    cell.value = c.heading;
    cell.font = { bold: true, ...(c.required ? { color: { argb: 'FFC00000' } } : {}) };
    cell.fill = c.required ? REQUIRED_FILL : HEADING_FILL;
    cell.alignment = { wrapText: true, vertical: 'middle' };
    if (withComments) cell.note = headingComment(c);
    const key = keys.getCell(i + 1);
    key.value = c.key;
    key.font = { color: { argb: 'FF808080' }, size: 9 };
  });
  sheet.views = [{ state: 'frozen', ySplit: 2 }];
}

/** The hidden sheet of value lists; returns each enumerated column's list range. */
function writeValueLists(workbook: ExcelJS.Workbook, columns: readonly TemplateColumn[]): Map<string, string> {
  const sheet = workbook.addWorksheet(VALUES_SHEET, { state: 'hidden' });
  const ranges = new Map<string, string>();
  columns.filter((c) => c.values?.length).forEach((c, i) => {
    const letter = columnLetter(i);
    sheet.getCell(`${letter}1`).value = c.key;
    c.values!.forEach((v, j) => { sheet.getCell(`${letter}${j + 2}`).value = v; });
    ranges.set(c.key, `'${VALUES_SHEET}'!$${letter}$2:$${letter}$${c.values!.length + 1}`);
  });
  return ranges;
}

type Validations = { add(address: string, validation: ExcelJS.DataValidation): void };

function addDropDowns(sheet: ExcelJS.Worksheet, columns: readonly TemplateColumn[], ranges: Map<string, string>): void {
  const validations = (sheet as unknown as { dataValidations: Validations }).dataValidations;
  columns.forEach((c, i) => {
    const range = ranges.get(c.key);
    if (!range) return;
    const letter = columnLetter(i);
    validations.add(`${letter}${DATA_FIRST_ROW}:${letter}${DATA_LAST_ROW}`, {
      type: 'list', allowBlank: true, formulae: [range], showErrorMessage: true, errorStyle: 'stop',
      // Excel's limits: a title of at most 32 characters, a message of at most 225
      errorTitle: c.heading.slice(0, 32), error: `请从下拉列表中选择：${c.values!.join('、')}`.slice(0, 225),
    });
  });
}

/** The template as an XLSX file. */
export async function templateXlsx(template: CategoryTemplate): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'credit-exchange-gateway';
  workbook.title = `${template.nameZh}填报模板`;
  const data = workbook.addWorksheet(DATA_SHEET);
  writeHeader(data, template.columns, true);
  const example = workbook.addWorksheet(EXAMPLE_SHEET);
  writeHeader(example, template.columns, false);
  template.examples.forEach((row, r) => {
    template.columns.forEach((c, i) => {
      if (row[c.key]) example.getRow(DATA_FIRST_ROW + r).getCell(i + 1).value = row[c.key]!;
    });
  });
  addDropDowns(data, template.columns, writeValueLists(workbook, template.columns));
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
