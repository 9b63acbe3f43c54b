/**
 * The XLSX row reader with a slow consumer, as the feedback file reads it (a query per row): exceljs's
 * streaming reader sometimes lost the workbook part then and failed before the first row (a clean-clone
 * CI run failed on it once; with src/uploads/xlsx-rows.ts reading once, this test failed in each of 3
 * runs). Every read must give every row, from a Buffer and from an iterable read in slices like a
 * stored upload.
 */
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { categoryTemplate } from '../../src/templates/template.js';
import { DATA_FIRST_ROW, DATA_SHEET, templateXlsx } from '../../src/templates/xlsx.js';
import { chunksOf } from '../../src/uploads/csv-file.js';
import { xlsxRows } from '../../src/uploads/xlsx-rows.js';

const READS = 300;

async function filledTemplate(): Promise<{ bytes: Buffer; rows: number }> {
  const template = categoryTemplate('court_judgment');
  const workbook = new ExcelJS.Workbook();
  const blank = await templateXlsx(template);
  await workbook.xlsx.load(blank.buffer.slice(blank.byteOffset, blank.byteOffset + blank.byteLength) as ArrayBuffer);
  const sheet = workbook.getWorksheet(DATA_SHEET)!;
  let r = DATA_FIRST_ROW;
  for (let copy = 0; copy < 4; copy++) {
    for (const example of template.examples) {
      template.columns.forEach((c, i) => { if (example[c.key]) sheet.getRow(r).getCell(i + 1).value = example[c.key]!; });
      r++;
    }
  }
  return { bytes: Buffer.from(await workbook.xlsx.writeBuffer()), rows: r - 1 };
}

describe('XLSX rows read by a slow consumer', () => {
  it(`gives every row of the data sheet in each of ${READS} reads, whole or in slices`, async () => {
    const { bytes, rows } = await filledTemplate();
    const sheet = { name: DATA_SHEET, path: 'xl/worksheets/sheet1.xml' };
    const sliced = { [Symbol.asyncIterator]: async function* () { yield* chunksOf(bytes, 4096); } };
    const counts = new Map<string, number>();
    for (let read = 0; read < READS; read++) {
      let last = 0;
      for await (const row of xlsxRows(read % 2 ? sliced : bytes, sheet)) {
        last = row.rowNo;
        await new Promise((resolve) => setTimeout(resolve, 0)); // the consumer's query per row
      }
      counts.set(`last row ${last}`, (counts.get(`last row ${last}`) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ [`last row ${rows}`]: READS });
  }, 120_000);
});
