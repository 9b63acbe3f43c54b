/**
 * The rows of one worksheet of an XLSX upload, streamed with exceljs's WorkbookReader (never the whole
 * workbook in memory), as cell texts. Values are read, never computed: a formula cell gives the value
 * Excel cached for it (empty when it has none); dates as YYYY-MM-DD (or an ISO time when they have one).
 */
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { chunksOf } from './csv-file.js';

/** A cell's value as text. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) {
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (typeof value === 'object') {
    const v = value as { richText?: Array<{ text: string }>; formula?: string; sharedFormula?: string; result?: unknown; text?: unknown; error?: unknown };
    if (v.richText) return v.richText.map((r) => r.text).join('');
    if ('formula' in v || 'sharedFormula' in v) return cellText(v.result);
    if (v.text !== undefined) return cellText(v.text);
  }
  return '';
}

export interface SheetRef {
  name: string;
  /** the part, e.g. xl/worksheets/sheet1.xml */
  path: string;
}

/** exceljs names a sheet it could not match to the workbook "Sheet<n>", n from its part name. */
function isSheet(ws: { id: number; name: string }, sheet: SheetRef): boolean {
  const n = /sheet(\d+)\.xml$/.exec(sheet.path)?.[1];
  return ws.name === sheet.name || (ws.name === `Sheet${ws.id}` && String(ws.id) === n);
}

export async function* xlsxRows(bytes: Buffer, sheet: SheetRef): AsyncGenerator<{ rowNo: number; cells: string[] }> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from(chunksOf(bytes)), {
    sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore',
  });
  for await (const ws of reader as unknown as AsyncIterable<AsyncIterable<ExcelJS.Row> & { id: number; name: string }>) {
    const wanted = isSheet(ws, sheet);
    for await (const row of ws) {
      if (!wanted) continue;
      const values = row.values as unknown[];
      const cells: string[] = [];
      for (let i = 1; i < values.length; i++) cells.push(cellText(values[i]));
      yield { rowNo: row.number, cells };
    }
  }
}
