/**
 * XLSX templates open with exceljs: sheet 填报 has the Chinese headings with their rules as comments,
 * the keys in row 2, text format, and a drop-down on every enumerated column over the data rows; sheet
 * 示例 has the example rows; the value lists are on a hidden sheet.
 */
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CATEGORY_IDS } from '../../src/domain/catalogue.js';
import { categoryTemplate } from '../../src/templates/template.js';
import { DATA_FIRST_ROW, DATA_LAST_ROW, DATA_SHEET, EXAMPLE_SHEET, VALUES_SHEET, headingComment, templateXlsx } from '../../src/templates/xlsx.js';

function noteText(cell: ExcelJS.Cell): string {
  const note = cell.note as unknown;
  if (typeof note === 'string') return note;
  return ((note as { texts?: Array<{ text: string }> } | undefined)?.texts ?? []).map((t) => t.text).join('');
}

/** The values of a list validation's range on the hidden sheet. */
function listValues(workbook: ExcelJS.Workbook, formula: string): string[] {
  const m = /^'(.+)'!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)$/.exec(formula);
  expect(m, formula).not.toBeNull();
  const sheet = workbook.getWorksheet(m![1]!)!;
  const out: string[] = [];
  for (let r = Number(m![3]); r <= Number(m![5]); r++) out.push(String(sheet.getCell(`${m![2]}${r}`).value));
  return out;
}

describe.each(CATEGORY_IDS)('the %s XLSX template', (category) => {
  const template = categoryTemplate(category);
  const workbook = new ExcelJS.Workbook();

  beforeAll(async () => {
    const buffer = await templateXlsx(template);
    expect(buffer.subarray(0, 2).toString('latin1')).toBe('PK');
    await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  });

  it('has headings with their rules as comments, and the keys in row 2', () => {
    const sheet = workbook.getWorksheet(DATA_SHEET)!;
    expect(workbook.worksheets[0]!.name).toBe(DATA_SHEET);
    template.columns.forEach((c, i) => {
      const heading = sheet.getRow(1).getCell(i + 1);
      expect(heading.value).toBe(c.heading);
      expect(noteText(heading)).toBe(headingComment(c));
      expect(noteText(heading)).toContain(c.rule);
      expect(sheet.getRow(2).getCell(i + 1).value).toBe(c.key);
    });
    expect(sheet.getRow(1).getCell(template.columns.length + 1).value).toBeNull();
    expect(sheet.getRow(DATA_FIRST_ROW).getCell(1).value).toBeNull();
  });

  it('puts a drop-down on every enumerated column over the data rows, and nowhere else', () => {
    const sheet = workbook.getWorksheet(DATA_SHEET)!;
    template.columns.forEach((c, i) => {
      for (const row of [DATA_FIRST_ROW, 500, DATA_LAST_ROW]) {
        const validation = sheet.getRow(row).getCell(i + 1).dataValidation;
        if (!c.values) {
          expect(validation?.type, c.key).toBeUndefined();
          continue;
        }
        expect(validation, `${c.key} row ${row}`).toMatchObject({ type: 'list', allowBlank: true, showErrorMessage: true });
        expect(listValues(workbook, validation.formulae[0] as string)).toEqual(c.values);
      }
      expect(sheet.getRow(2).getCell(i + 1).dataValidation?.type).toBeUndefined();
      expect(sheet.getRow(DATA_LAST_ROW + 1).getCell(i + 1).dataValidation?.type).toBeUndefined();
    });
    expect(workbook.getWorksheet(VALUES_SHEET)!.state).toBe('hidden');
  });

  it('has the example rows on the 示例 sheet', () => {
    const sheet = workbook.getWorksheet(EXAMPLE_SHEET)!;
    expect(sheet.getRow(1).getCell(1).value).toBe(template.columns[0]!.heading);
    expect(sheet.getRow(2).getCell(1).value).toBe(template.columns[0]!.key);
    template.examples.forEach((row, r) => {
      template.columns.forEach((c, i) => {
        const value = sheet.getRow(DATA_FIRST_ROW + r).getCell(i + 1).value;
        expect(value ?? '', `${c.key} example ${r + 1}`).toBe(row[c.key] ?? '');
      });
    });
  });
});
