/**
 * The feedback file of an upload (GET /v1/uploads/:id/feedback): the department's own file, in its
 * format (XLSX → XLSX of the sheet it filled, CSV → CSV in the encoding it was sent in), each row as it
 * was, with two columns added — 处理结果 (已入库/未变更/拒收) and 错误说明 (field heading, rule, value,
 * message in Chinese). Every text cell starting with =, +, -, @, tab or CR is written with a leading
 * `'` so the file can never carry a formula into the department's Excel; re-uploading the file reads
 * that `'` away again. The file is read again as a stream, the row results paged from the store.
 */
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import type pg from 'pg';
import { csvLine, neutralise } from '../templates/csv.js';
import { rowResultsAfter, type RowOutcome, type UploadProgress } from '../store/uploads-repo.js';
import { hasBom, type CsvEncoding } from './csv-file.js';
import { ERRORS_HEADING, RESULT_HEADING, RESULT_TEXT, errorsText } from './feedback-text.js';
import type { StoredLayout } from './inspect.js';
import { fileRows } from './process-upload.js';

const PAGE = 1000;

/** The row results in row order, fetched a page at a time as the rows go by. */
function resultsReader(pool: pg.Pool, id: string): (rowNo: number) => Promise<RowOutcome | undefined> {
  let page: RowOutcome[] = [];
  let at = 0;
  let after = 0;
  let exhausted = false;
  return async (rowNo) => {
    for (;;) {
      while (at < page.length && page[at]!.rowNo < rowNo) at++;
      if (at < page.length) return page[at]!.rowNo === rowNo ? page[at] : undefined;
      if (exhausted) return undefined;
      page = await rowResultsAfter(pool, id, after, PAGE);
      at = 0;
      if (page.length < PAGE) exhausted = true;
      if (page.length) after = page[page.length - 1]!.rowNo;
    }
  };
}

/** The two cells added to a row: the headings on row 1, the result and errors on a data row. */
function addedCells(layout: StoredLayout, rowNo: number, cells: string[], outcome: RowOutcome | undefined): [string, string] {
  if (rowNo === 1) return [RESULT_HEADING, ERRORS_HEADING];
  if (rowNo < layout.dataFrom || !outcome) return ['', ''];
  return [RESULT_TEXT[outcome.result], errorsText(layout, outcome.errors, cells)];
}

/** Pads a row to the file's heading width, so the two columns line up. */
function widthOf(layout: StoredLayout): number {
  return Math.max(layout.columns.length, layout.headings.length);
}

const REJECTED_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFC7CE' } };

async function xlsxFeedback(pool: pg.Pool, upload: UploadProgress, file: { bytes: Buffer; layout: StoredLayout }): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((resolve, reject) => { out.on('end', resolve); out.on('error', reject); });
  const writer = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const sheet = writer.addWorksheet(file.layout.sheet?.name ?? '填报');
  const width = widthOf(file.layout);
  const resultOf = resultsReader(pool, upload.id);
  for await (const { rowNo, cells } of fileRows({ ...upload, bytes: file.bytes }, file.layout)) {
    const outcome = await resultOf(rowNo);
    const padded = Array.from({ length: Math.max(width, cells.length) }, (_, i) => neutralise(cells[i] ?? ''));
    const [result, errors] = addedCells(file.layout, rowNo, cells, outcome);
    const row = sheet.getRow(rowNo);
    [...padded, neutralise(result), neutralise(errors)].forEach((v, i) => { if (v !== '') row.getCell(i + 1).value = v; });
    if (outcome?.result === 'rejected') {
      row.getCell(padded.length + 1).fill = REJECTED_FILL;
      row.getCell(padded.length + 2).fill = REJECTED_FILL;
    }
    row.commit();
  }
  sheet.commit();
  await writer.commit();
  await ended;
  return Buffer.concat(chunks);
}

async function csvFeedback(pool: pg.Pool, upload: UploadProgress, file: { bytes: Buffer; layout: StoredLayout }): Promise<Buffer> {
  const encoding = (upload.encoding ?? 'utf-8') as CsvEncoding;
  const lines: string[] = [];
  const parts: Buffer[] = hasBom(file.bytes) ? [Buffer.from([0xef, 0xbb, 0xbf])] : [];
  const flush = () => {
    if (!lines.length) return;
    parts.push(iconv.encode(lines.join(''), encoding));
    lines.length = 0;
  };
  const width = widthOf(file.layout);
  const resultOf = resultsReader(pool, upload.id);
  for await (const { rowNo, cells } of fileRows({ ...upload, bytes: file.bytes }, file.layout)) {
    const padded = Array.from({ length: Math.max(width, cells.length) }, (_, i) => cells[i] ?? '');
    lines.push(`${csvLine([...padded, ...addedCells(file.layout, rowNo, cells, await resultOf(rowNo))])}\r\n`);
    if (lines.length >= PAGE) flush();
  }
  flush();
  return Buffer.concat(parts);
}

export function feedbackFile(pool: pg.Pool, upload: UploadProgress, file: { bytes: Buffer; layout: StoredLayout }): Promise<Buffer> {
  return upload.format === 'xlsx' ? xlsxFeedback(pool, upload, file) : csvFeedback(pool, upload, file);
}
