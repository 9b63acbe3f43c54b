/**
 * The pre-pass over an XLSX workbook, before anything is stored: every part is inflated once, as a
 * stream, and counted — a part inflating past its declared size, or all parts past
 * maxUncompressedBytes, is a zip bomb; a DOCTYPE or ENTITY declaration in any part refuses the file.
 * Of each worksheet it keeps what the choice of sheet needs: its first rows (the headings), its merged
 * ranges, its last row (from <dimension> and its rows, counted while inflating: a sheet reaching past
 * maxRows is refused as soon as that is seen, without reading on). Shared strings are read only for the
 * heading cells. Nothing of the data rows is kept: memory stays bounded by a chunk.
 */
import { StringDecoder } from 'node:string_decoder';
import { crc32, createInflateRaw } from 'node:zlib';
import type { GatewayError } from '../errors.js';
import { firstRows, rangeOf, richText, workbookSheets, type CellRange, type RawCell } from './sheet-xml.js';
import { readZipDirectory, refusal, type ZipEntry, type ZipLimits } from './zip-directory.js';

export interface InspectLimits extends ZipLimits {
  maxRows: number;
}

/** Rows a heading block may take (headings, keys, rules): a sheet may reach this far past maxRows. */
export const MAX_HEADER_ROWS = 3;

export interface SheetFacts {
  name: string;
  path: string;
  /** the highest row number the sheet reaches (its dimension, its rows) */
  lastRow: number;
  /** row elements in the sheet */
  rowCount: number;
  merges: CellRange[];
  /** the texts of rows 1..MAX_HEADER_ROWS, by row number, indexed by column */
  headerRows: string[][];
}

export interface WorkbookFacts {
  sheets: SheetFacts[];
  inflatedBytes: number;
}

const CAPTURE_LIMIT = 1_048_576;
const CARRY = 256;

/** Inflates one entry chunk by chunk, holding it to its declared size and the workbook's budget. */
async function inflateEntry(buf: Buffer, entry: ZipEntry, budget: { left: number }, onChunk: (chunk: Buffer) => void): Promise<number> {
  const data = buf.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  let crc = 0;
  const take = (chunk: Buffer, total: number) => {
    crc = crc32(chunk, crc);
    if (total > entry.declaredSize) {
      throw refusal('GW_UPLOAD_ZIP_BOMB', `“${entry.name}”解压后超过其声明的 ${entry.declaredSize} 字节`, `"${entry.name}" inflates past its declared ${entry.declaredSize} bytes`);
    }
    budget.left -= chunk.length;
    if (budget.left < 0) throw refusal('GW_UPLOAD_ZIP_BOMB', '工作簿解压后超过大小上限', 'the workbook inflates past the size limit');
    onChunk(chunk);
  };
  const checkCrc = (total: number) => {
    if (total !== entry.declaredSize || crc !== entry.crc32) {
      throw refusal('GW_UPLOAD_ZIP_INVALID', `“${entry.name}”的大小或 CRC-32 校验值与目录不符（文件已损坏）`, `"${entry.name}" does not match its size or CRC-32 in the directory (the file is damaged)`);
    }
    return total;
  };
  if (entry.method === 0) {
    for (let i = 0; i < data.length; i += 65536) take(data.subarray(i, i + 65536), Math.min(data.length, i + 65536));
    return checkCrc(data.length);
  }
  const inflater = createInflateRaw({ chunkSize: 65536 });
  inflater.end(data);
  let total = 0;
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      total += chunk.length;
      take(chunk, total);
    }
  } catch (err) {
    inflater.destroy();
    if ((err as GatewayError).code?.startsWith?.('GW_')) throw err;
    throw refusal('GW_UPLOAD_ZIP_INVALID', `“${entry.name}”无法解压：${(err as Error).message}`, `"${entry.name}" cannot be inflated: ${(err as Error).message}`);
  }
  return checkCrc(total);
}

/** Watches a part's text for DOCTYPE and ENTITY declarations, across chunk boundaries and in UTF-16 too. */
function entityWatch(name: string): (text: string) => void {
  let carry = '';
  return (text) => {
    const window = (carry + text.replace(/\0/g, '')).toLowerCase();
    if (window.includes('<!doctype') || window.includes('<!entity')) {
      throw refusal('GW_UPLOAD_XML_ENTITY', `“${name}”含 DOCTYPE 或 ENTITY 声明`, `"${name}" contains a DOCTYPE or ENTITY declaration`);
    }
    carry = window.slice(-16);
  };
}

/** Reads a worksheet's text as it streams: dimension, rows, merges, and its first rows captured. */
class SheetScanner {
  lastRow = 0;
  rowCount = 0;
  readonly merges: CellRange[] = [];
  captured = '';
  private capturing = true;
  private carry = '';
  private dimensionSeen = false;

  constructor(private readonly path: string, private readonly rowLimit: number) {}

  take(text: string): void {
    const window = this.carry + text;
    const fresh = (m: RegExpMatchArray) => m.index! + m[0].length > this.carry.length;
    if (!this.dimensionSeen) {
      const dim = /<dimension\b[^>]*\bref="([^"]+)"/.exec(window);
      if (dim) {
        this.dimensionSeen = true;
        this.reach(rangeOf(dim[1]!)?.toRow ?? 0);
      } else if (/<sheetData\b/.test(window)) this.dimensionSeen = true;
    }
    for (const m of window.matchAll(/<row\b([^>]*)>/g)) {
      if (!fresh(m)) continue;
      this.rowCount++;
      const r = /\sr="(\d+)"/.exec(m[1]!);
      this.reach(Math.max(r ? Number(r[1]) : 0, this.rowCount));
    }
    for (const m of window.matchAll(/<mergeCell\b[^>]*\bref="([^"]+)"/g)) {
      const range = fresh(m) ? rangeOf(m[1]!) : null;
      if (range) this.merges.push(range);
    }
    if (this.capturing) {
      this.captured += text;
      const ends = this.captured.split('</row>').length - 1;
      if (ends > MAX_HEADER_ROWS || this.captured.includes('</sheetData>') || this.captured.length > CAPTURE_LIMIT) this.capturing = false;
    }
    this.carry = window.slice(-CARRY);
  }

  private reach(row: number): void {
    this.lastRow = Math.max(this.lastRow, row);
    if (this.lastRow > this.rowLimit) {
      throw refusal('GW_UPLOAD_TOO_MANY_ROWS', `工作表（${this.path}）达到第 ${this.lastRow} 行，超过上限`, `the sheet (${this.path}) reaches row ${this.lastRow}, past the limit`);
    }
  }
}

/** The shared strings at the wanted indices, read from the part's text as it streams. */
class SharedStringPicker {
  readonly found = new Map<number, string>();
  private index = 0;
  private pending = '';
  private readonly last: number;

  constructor(private readonly wanted: ReadonlySet<number>) {
    this.last = wanted.size ? Math.max(...wanted) : -1;
  }

  take(text: string): void {
    if (this.index > this.last) return;
    this.pending += text;
    for (;;) {
      const m = /<si\b[^>]*?(\/?)>/.exec(this.pending);
      if (!m) break;
      let end = m.index + m[0].length;
      let inner = '';
      if (m[1] !== '/') {
        const close = this.pending.indexOf('</si>', end);
        if (close < 0) break; // the rest of this item comes with the next chunk
        inner = this.pending.slice(end, close);
        end = close + 5;
      }
      if (this.wanted.has(this.index)) this.found.set(this.index, richText(inner));
      this.pending = this.pending.slice(end);
      if (++this.index > this.last) { this.pending = ''; return; }
    }
  }
}

const XML_PART = /\.(xml|rels|vml)$/i;

async function readPart(buf: Buffer, entry: ZipEntry, budget: { left: number }, sink?: (text: string) => void): Promise<void> {
  const decoder = new StringDecoder('utf8');
  const watch = XML_PART.test(entry.name) ? entityWatch(entry.name) : null;
  await inflateEntry(buf, entry, budget, (chunk) => {
    if (!watch && !sink) return;
    const text = decoder.write(chunk);
    watch?.(text);
    sink?.(text);
  });
}

function textOf(raw: RawCell | undefined, shared: Map<number, string>): string {
  if (!raw) return '';
  return 'text' in raw ? raw.text : shared.get(raw.shared) ?? '';
}

export async function inspectWorkbook(buf: Buffer, limits: InspectLimits): Promise<WorkbookFacts> {
  const entries = readZipDirectory(buf, limits);
  const byName = new Map(entries.map((e) => [e.name, e]));
  if (!byName.has('[Content_Types].xml') || !byName.has('xl/workbook.xml')) {
    throw refusal('GW_UPLOAD_TYPE_MISMATCH', '文件是 ZIP 压缩包，但不是 Excel 工作簿（缺少 [Content_Types].xml 或 xl/workbook.xml）',
      'the file is a zip but not an Excel workbook ([Content_Types].xml or xl/workbook.xml is missing)');
  }
  const budget = { left: limits.maxUncompressedBytes };
  const texts = new Map<string, string>();
  const scanners = new Map<string, SheetScanner>();
  const sharedEntry = byName.get('xl/sharedStrings.xml');
  for (const entry of entries) {
    if (entry === sharedEntry) continue;
    if (entry.name === 'xl/workbook.xml' || entry.name === 'xl/_rels/workbook.xml.rels') {
      let text = '';
      await readPart(buf, entry, budget, (t) => { if (text.length < 4 * CAPTURE_LIMIT) text += t; });
      texts.set(entry.name, text);
    } else if (/^xl\/worksheets\/[^/]+\.xml$/.test(entry.name)) {
      const scanner = new SheetScanner(entry.name, limits.maxRows + MAX_HEADER_ROWS);
      scanners.set(entry.name, scanner);
      await readPart(buf, entry, budget, (t) => scanner.take(t));
    } else {
      await readPart(buf, entry, budget);
    }
  }
  const rowsOf = new Map([...scanners].map(([path, s]) => [path, firstRows(s.captured, MAX_HEADER_ROWS)]));
  const wanted = new Set<number>();
  for (const rows of rowsOf.values()) for (const cells of rows.values()) for (const c of cells.values()) if ('shared' in c) wanted.add(c.shared);
  const picker = new SharedStringPicker(wanted);
  if (sharedEntry) await readPart(buf, sharedEntry, budget, (t) => picker.take(t));

  const sheets = workbookSheets(texts.get('xl/workbook.xml') ?? '', texts.get('xl/_rels/workbook.xml.rels') ?? '').flatMap(({ name, path }) => {
    const scanner = scanners.get(path);
    if (!scanner) return [];
    const rows = rowsOf.get(path)!;
    const headerRows: string[][] = [];
    for (let r = 1; r <= MAX_HEADER_ROWS; r++) {
      const cells = rows.get(r);
      const width = cells?.size ? Math.max(...cells.keys()) + 1 : 0;
      headerRows.push(Array.from({ length: width }, (_, c) => textOf(cells?.get(c), picker.found).trim()));
    }
    return [{ name, path, lastRow: scanner.lastRow, rowCount: scanner.rowCount, merges: scanner.merges, headerRows }];
  });
  return { sheets, inflatedBytes: limits.maxUncompressedBytes - budget.left };
}
