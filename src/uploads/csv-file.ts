/**
 * CSV uploads: the text check (a CSV is text: no NUL bytes, hardly any control characters, not a zip
 * or another binary format under a text/csv label), the encoding (a UTF-8 byte-order mark or valid
 * UTF-8 → UTF-8, else GB18030; a declared charset wins), and the records, streamed through iconv-lite
 * and csv-parse, numbered from 1 as the file has them.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import iconv from 'iconv-lite';
import { refusal } from './zip-directory.js';

export type CsvEncoding = 'utf-8' | 'gb18030';

const BINARY_MAGIC: Array<[string, number[]]> = [
  ['ZIP/XLSX', [0x50, 0x4b, 0x03, 0x04]],
  ['XLS (OLE)', [0xd0, 0xcf, 0x11, 0xe0]],
  ['PDF', [0x25, 0x50, 0x44, 0x46]],
  ['GZIP', [0x1f, 0x8b]],
  ['PNG', [0x89, 0x50, 0x4e, 0x47]],
];

/** Refuses bytes that are not CSV text (GW_UPLOAD_TYPE_MISMATCH). */
export function assertCsvText(bytes: Buffer): void {
  for (const [name, magic] of BINARY_MAGIC) {
    if (magic.every((b, i) => bytes[i] === b)) {
      throw refusal('GW_UPLOAD_TYPE_MISMATCH', `声明为 CSV 的文件实为 ${name} 二进制文件`, `the file sent as CSV is a ${name} binary file`);
    }
  }
  const head = bytes.subarray(0, 65536);
  let controls = 0;
  for (const b of head) {
    if (b === 0) throw refusal('GW_UPLOAD_TYPE_MISMATCH', '声明为 CSV 的文件含 NUL 字节，不是文本', 'the file sent as CSV contains NUL bytes: it is not text');
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) controls++;
  }
  if (controls > head.length / 100) throw refusal('GW_UPLOAD_TYPE_MISMATCH', '声明为 CSV 的文件含大量控制字符，不是文本', 'the file sent as CSV is full of control characters: it is not text');
}

const GB_CHARSETS = new Set(['gb18030', 'gbk', 'gb2312', 'cp936']);

/** The encoding of CSV bytes, from the declared charset, else the bytes themselves. */
export function csvEncoding(bytes: Buffer, declaredCharset: string | undefined): CsvEncoding {
  const declared = declaredCharset?.toLowerCase();
  if (declared && GB_CHARSETS.has(declared)) return 'gb18030';
  if (declared === 'utf-8' || declared === 'utf8') return 'utf-8';
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for (let i = 0; i < bytes.length; i += 1_048_576) decoder.decode(bytes.subarray(i, i + 1_048_576), { stream: true });
    decoder.decode();
    return 'utf-8';
  } catch {
    return 'gb18030';
  }
}

export function hasBom(bytes: Buffer): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * The records of CSV bytes, counted over the bytes alone (RFC 4180: a quote opens a field only at its
 * start; a line break inside quotes is data), so a file of a million lines is refused before it is
 * parsed. Quotes, commas and line breaks never occur inside a UTF-8 or GB18030 character.
 */
export function countCsvRecords(bytes: Uint8Array, stopAfter = Infinity): { records: number; unclosedQuote: boolean; end: number } {
  let records = 0;
  let state: 'start' | 'plain' | 'quoted' | 'quote' = 'start';
  let pending = false;
  // files with bare CR line ends (classic Mac) are counted by CR
  const breaks = bytes.includes(LF) ? LF : CR;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (state === 'quoted') {
      if (b === QUOTE) state = 'quote';
      continue;
    }
    if (b === breaks) {
      records++;
      pending = false;
      state = 'start';
      if (records >= stopAfter) return { records, unclosedQuote: false, end: i + 1 };
      continue;
    }
    pending = true;
    if (state === 'quote') state = b === QUOTE ? 'quoted' : b === COMMA ? 'start' : b === CR ? 'quote' : 'plain';
    else if (b === COMMA) state = 'start';
    else if (state === 'start') state = b === QUOTE ? 'quoted' : 'plain';
  }
  return { records: records + (pending || state === 'quoted' ? 1 : 0), unclosedQuote: state === 'quoted', end: bytes.length };
}

/** Bytes in 64 KiB pieces, so a stream over them decodes and parses a piece at a time. */
export function* chunksOf(bytes: Buffer, size = 65536): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** A file's bytes: whole, or read in slices as they are needed (a stored upload: uploadFileSlices). */
export type FileBytes = Buffer | AsyncIterable<Buffer>;

/** A stream of the file's bytes. */
export function byteStream(bytes: FileBytes): Readable {
  return Readable.from(Buffer.isBuffer(bytes) ? chunksOf(bytes) : bytes, { objectMode: false });
}

/** The records of CSV bytes, each with its number (1-based), as arrays of cell texts. */
export async function* csvRecords(bytes: FileBytes, encoding: CsvEncoding): AsyncGenerator<{ rowNo: number; cells: string[] }> {
  const parser = byteStream(bytes)
    .pipe(iconv.decodeStream(encoding, { stripBOM: true }))
    .pipe(parse({ relax_column_count: true, relax_quotes: true, skip_empty_lines: false }));
  let rowNo = 0;
  for await (const record of parser as AsyncIterable<string[]>) yield { rowNo: ++rowNo, cells: record };
}

/**
 * The first records of a CSV (its headings), and how many records it has — counted over the bytes
 * (countCsvRecords), refusing past `limit` records or at a quote never closed (the one fault csv-parse
 * still finds with relaxed quotes and column counts) — so nothing but the headings is parsed here.
 */
export async function csvShape(bytes: Buffer, encoding: CsvEncoding, headRows: number, limit: number): Promise<{ head: string[][]; records: number }> {
  const counted = countCsvRecords(bytes);
  if (counted.records > limit) throw refusal('GW_UPLOAD_TOO_MANY_ROWS', `CSV 文件超过 ${limit} 行`, `the CSV file has more than ${limit} records`);
  if (counted.unclosedQuote) {
    throw refusal('GW_UPLOAD_CSV_INVALID', 'CSV 文件无法解析：有一个引号直到文件末尾都没有闭合', 'the CSV file cannot be parsed: a quote is never closed before the end of the file');
  }
  const head: string[][] = [];
  try {
    // only the heading records are parsed
    for await (const { cells } of csvRecords(bytes.subarray(0, countCsvRecords(bytes, headRows).end), encoding)) head.push(cells.map((c) => c.trim()));
  } catch (err) {
    const message = (err as Error).message.slice(0, 200);
    throw refusal('GW_UPLOAD_CSV_INVALID', `CSV 文件无法解析：${message}`, `the CSV file cannot be parsed: ${message}`);
  }
  return { head, records: counted.records };
}
