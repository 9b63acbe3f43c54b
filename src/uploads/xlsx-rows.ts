/**
 * The rows of one worksheet of an XLSX upload, streamed with exceljs's WorkbookReader (never the whole
 * workbook in memory), as cell texts. Values are read, never computed: a formula cell gives the value
 * Excel cached for it (empty when it has none); dates as YYYY-MM-DD (or an ISO time when they have one).
 * The shared strings are taken as exceljs reads them and kept in a compact table (shared-strings.ts);
 * a cell that points at one is resolved from it.
 */
import ExcelJS from 'exceljs';
import { byteStream, type FileBytes } from './csv-file.js';
import { SharedStringTable } from './shared-strings.js';

/** A cell's value as text (`strings` resolves a cell that points at a shared string). */
export function cellText(value: unknown, strings?: SharedStringTable): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) {
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (typeof value === 'object') {
    const v = value as { richText?: Array<{ text: string }>; formula?: string; sharedFormula?: string; result?: unknown; text?: unknown; error?: unknown; sharedString?: unknown };
    if (typeof v.sharedString === 'number') return strings?.get(v.sharedString) ?? '';
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

/** What exceljs's reader gives, read with `sharedStrings: 'emit'`: an event (a worksheet among them), or the next shared string. */
type ReaderItem = { eventType: string; value: unknown } | { index: number; text: unknown };

/**
 * How many times a file is read from its start when exceljs's reader loses the workbook part (below).
 * In a throwaway repro (the same 3-sheet file read 300 times, the consumer awaiting a timer per row)
 * 2 of 300 reads lost it; with up to three reads, 600 reads all gave every row.
 */
const READS = 3;

/**
 * exceljs's streaming reader (4.4.0) sometimes finishes its pass over the zip without having parsed
 * xl/workbook.xml when its consumer is slow (the feedback file awaits a query per row), and then fails
 * on the first worksheet it parses, before any row: "Cannot read properties of undefined (reading
 * 'sheets')". Nothing has been yielded then, so the file is read again from its start.
 */
function lostWorkbookPart(err: unknown): boolean {
  return err instanceof TypeError && err.message.includes("reading 'sheets'");
}

/**
 * The rows of `sheet`. `bytes` is read again when exceljs loses the workbook part (lostWorkbookPart):
 * a Buffer, or an iterable that starts over each time it is iterated.
 */
export async function* xlsxRows(bytes: FileBytes, sheet: SheetRef): AsyncGenerator<{ rowNo: number; cells: string[] }> {
  for (let read = 1; ; read++) {
    let yielded = false;
    try {
      for await (const row of readRows(bytes, sheet)) {
        yielded = true;
        yield row;
      }
      return;
    } catch (err) {
      if (yielded || read >= READS || !lostWorkbookPart(err)) throw err;
    }
  }
}

async function* readRows(bytes: FileBytes, sheet: SheetRef): AsyncGenerator<{ rowNo: number; cells: string[] }> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(byteStream(bytes), {
    sharedStrings: 'emit', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore',
  });
  const strings = new SharedStringTable();
  const items = (reader as unknown as { parse(): AsyncIterable<ReaderItem> }).parse();
  for await (const item of items) {
    if ('index' in item) {
      strings.add(cellText(item.text));
      continue;
    }
    if (item.eventType !== 'worksheet') continue;
    const ws = item.value as AsyncIterable<ExcelJS.Row> & { id: number; name: string };
    const wanted = isSheet(ws, sheet);
    for await (const row of ws) {
      if (!wanted) continue;
      const values = row.values as unknown[];
      const cells: string[] = [];
      for (let i = 1; i < values.length; i++) cells.push(cellText(values[i], strings));
      yield { rowNo: row.number, cells };
    }
  }
}
