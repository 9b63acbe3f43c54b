/**
 * Registration data for the subject registry: a CSV file (UTF-8 or GB18030, the encoding told from
 * its bytes) with a heading row naming at least the USCC and the name columns, as market-regulation
 * and civil-affairs departments export them (统一社会信用代码, 名称 / 企业名称 / 单位名称 / 机构名称,
 * optionally 曾用名 and 行政区划代码 / 住所行政区划). Read as a stream: a file of millions of rows is
 * never held in memory. Each row becomes a subject fact or a refusal naming its line and rule.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { parse } from 'csv-parse';
import iconv from 'iconv-lite';
import { isRegionCode } from '../domain/regions.js';
import { checkUscc, normalizeIdentifier } from '../domain/uscc.js';
import type { SubjectFact } from '../store/subjects-repo.js';

const HEADINGS = {
  uscc: ['统一社会信用代码', '社会信用代码', 'uscc'],
  name: ['名称', '企业名称', '单位名称', '机构名称', '主体名称', 'name'],
  formerNames: ['曾用名', 'formernames'],
  region: ['行政区划代码', '住所行政区划', '行政区划', 'region'],
} as const;

export type ImportRow = { line: number; fact: SubjectFact } | { line: number; refused: string };

/** UTF-8 when the file's first 64 KiB decode as UTF-8, else GB18030. */
async function encodingOf(path: string): Promise<'utf-8' | 'gb18030'> {
  const file = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(65536), 0, 65536, 0);
    try {
      // a multi-byte character cut at the end of the sample is not an error
      new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, bytesRead), { stream: true });
      return 'utf-8';
    } catch {
      return 'gb18030';
    }
  } finally {
    await file.close();
  }
}

function columnOf(headings: string[], names: readonly string[]): number {
  const squeezed = headings.map((h) => h.replace(/[\s\uFEFF]/g, '').toLowerCase());
  return squeezed.findIndex((h) => names.includes(h));
}

/** The rows of a registration CSV, one at a time. Throws when the heading row lacks the USCC or name column. */
export async function* registrationRows(path: string): AsyncGenerator<ImportRow> {
  const encoding = await encodingOf(path);
  const parser = createReadStream(path).pipe(iconv.decodeStream(encoding)).pipe(parse({ relax_column_count: true, skip_empty_lines: true, bom: true }));
  let columns: { uscc: number; name: number; formerNames: number; region: number } | null = null;
  let line = 0;
  for await (const record of parser as AsyncIterable<string[]>) {
    line++;
    if (!columns) {
      columns = {
        uscc: columnOf(record, HEADINGS.uscc), name: columnOf(record, HEADINGS.name),
        formerNames: columnOf(record, HEADINGS.formerNames), region: columnOf(record, HEADINGS.region),
      };
      if (columns.uscc < 0 || columns.name < 0) {
        throw new Error(`${path}: the heading row must name a USCC column (${HEADINGS.uscc.join(' / ')}) and a name column (${HEADINGS.name.join(' / ')}); found: ${record.join(', ')}`);
      }
      continue;
    }
    const code = checkUscc(normalizeIdentifier(record[columns.uscc] ?? ''));
    const name = (record[columns.name] ?? '').normalize('NFKC').trim();
    if (!code.ok) {
      yield { line, refused: `USCC: ${code.errors.map((e) => e.en).join('; ')} (rule: uscc)` };
      continue;
    }
    if (!name) {
      yield { line, refused: 'the name is empty (rule: name)' };
      continue;
    }
    const region = columns.region >= 0 ? (record[columns.region] ?? '').trim() : '';
    const formerNames = columns.formerNames >= 0
      ? (record[columns.formerNames] ?? '').split(/[;；、,，]/).map((n) => n.normalize('NFKC').trim()).filter((n) => n && n !== name)
      : [];
    yield { line, fact: { uscc: code.code, name, region: isRegionCode(region) ? region : code.region ?? null, formerNames } };
  }
}
