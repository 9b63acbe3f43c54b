/**
 * Local HTTP sources for tests, the demo and the benchmark, each answering in its source's real shape:
 * the envelope, the paging parameters and the way the listing ends, as the recorded answers show them
 * (connectors/<connector>/fixtures, README.md). Tests choose the rows (the real recorded rows, or
 * generated rows in the same shape) and faults on the next requests — slow pages, 429 with
 * Retry-After, 5xx, connection resets, truncated bodies. Rows are read by index from a RowSet, so a
 * generated source of 100,000 rows is never built in memory.
 *
 *   const src = await startFixtureSources();            // 127.0.0.1, ephemeral port
 *   src.sets.baidu = rowsOf(realRows().baidu);          // what /baidu/api.php lists
 *   src.fault('/baidu', { kind: 'status', status: 429, retryAfterSec: 1, times: 1 });
 *
 * The shapes of ccgp and the trading-centre list follow public crawlers' code and the shapes issue 14
 * describes (no recorded page of either was found): they serve HTML built from rows.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { REPO_ROOT } from '../../src/config/load.js';

export type Row = Record<string, unknown>;

export interface RowSet<T = Row> {
  length: number;
  at(i: number): T;
}

export function rowsOf<T>(rows: T[]): RowSet<T> {
  return { length: rows.length, at: (i) => rows[i]! };
}

export function generatedRows<T>(length: number, make: (i: number) => T): RowSet<T> {
  return { length, at: make };
}

export type Fault =
  | { kind: 'status'; status: number; retryAfterSec?: number | string; times: number }
  | { kind: 'reset'; times: number }
  | { kind: 'truncate'; times: number }
  | { kind: 'slow'; delayMs: number; times: number };

export interface ServedRequest {
  method: string;
  path: string;
  /** query and form fields together */
  params: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** the page asked for (page number, or offset / page size + 1), when the source pages */
  page: number;
  /** what was done: 200, a fault status, "reset", "truncate" */
  outcome: number | string;
  at: number;
}

export interface FixtureSets {
  /** 失信被执行人, Baidu open-data rows (resource_id 6899) */
  baidu: RowSet;
  /** 失信被执行人, the court site's rows */
  zxgk: RowSet;
  /** 裁判文书 list rows (Chinese keys) */
  wenshu: RowSet;
  syscreditXzcf: RowSet;
  syscreditXzxk: RowSet;
  tianjinXzcf: RowSet;
  /** 2016 lower-case xk_* fields, each row one <fields> element */
  guangdongXzxk: RowSet<Record<string, string>>;
  /** ccgp list rows, keyed by column heading */
  ccgp: RowSet<Record<string, string>>;
  /** trading-centre 不良行为 rows, keyed by column heading */
  ggzy: RowSet<Record<string, string>>;
}

/** Rows per page the sources fix themselves (the others take the page size asked for). */
export const SOURCE_PAGE_SIZES = { baidu: 50, zxgk: 10, ccgp: 20, ggzy: 20 } as const;

/**
 * The envelope of a recorded Baidu answer (every member as published), the page's rows put in. The
 * recorded figures stand: dispNum is a rounded hit count, listNum the depth the search pages to.
 */
const BAIDU_ENVELOPE = {
  status: '0', t: '', set_cache_time: '',
  data: [{
    otherinfo: [], resNum: 0, dispNum: 200000, listNum: 2000, normdisp: 1, term_demand: -1, MoreResult: '1',
    url: 'http://shixin.court.gov.cn/%CA%A7%D0%C5%C8%CB', TitleSuffix: 'baidu', template_pattern_demand_index: 4, showlamp: '1',
    ExtendedLocation: '', OriginQuery: '失信人', tplt: 'trust', resourceid: '6899', fetchkey: '失信人', appinfo: '',
  }],
};

/** The RunEval of the recorded 裁判文书 list answer (its first element, with Count: the query's total as a string). */
const WENSHU_RUN_EVAL = (JSON.parse(JSON.parse(readFileSync(join(REPO_ROOT, 'connectors/court-judgments/fixtures/wenshu/list-ListContent-2019.json'), 'utf8')) as string) as Array<{ RunEval?: string }>)[0]!.RunEval!;

export interface FixtureSources {
  url: string;
  port: number;
  sets: FixtureSets;
  /** rows per page of the sources that fix their page size (SOURCE_PAGE_SIZES; the benchmark raises them) */
  pageSizes: { -readonly [K in keyof typeof SOURCE_PAGE_SIZES]: number };
  /** every request, in order */
  requests: ServedRequest[];
  /** faults apply, in order, to the next requests whose path starts with the prefix (and, if given, whose page matches) */
  fault(pathPrefix: string, fault: Fault & { page?: number }): void;
  /** called before a page is answered (e.g. to kill a process after page k) */
  onRequest: ((req: ServedRequest) => void) | null;
  /** counts of requests currently being answered (for concurrency assertions) */
  inFlight: () => number;
  peakInFlight: () => number;
  close(): Promise<void>;
}

const empty: RowSet = { length: 0, at: () => ({}) };

function slice<T>(set: RowSet<T>, from: number, size: number): T[] {
  const out: T[] = [];
  for (let i = Math.max(0, from); i < Math.min(set.length, from + size); i++) out.push(set.at(i));
  return out;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const CCGP_COLUMNS = ['序号', '企业名称', '统一社会信用代码（或组织机构代码）', '企业地址', '严重违法失信行为的具体情形', '处罚结果', '处罚依据', '处罚日期', '公布日期', '执法单位'];

/** A ccgp list page: #tableInfo rows tr.trShow, long cells cut short with the full text in title, the page count in #totalPag. */
export function renderCcgpPage(rows: Array<Record<string, string>>, page: number, totalPages: number, pageSize: number = SOURCE_PAGE_SIZES.ccgp): string {
  const cell = (v: string) => (v.length > 20 ? `<td><p title="${escapeHtml(v)}">${escapeHtml(v.slice(0, 20))}…</p></td>` : `<td>${escapeHtml(v)}</td>`);
  const body = rows.map((r, i) => `<tr class="trShow">${CCGP_COLUMNS.map((c) => (c === '序号' ? `<td>${(page - 1) * pageSize + i + 1}</td>` : cell(r[c] ?? ''))).join('')}</tr>`).join('\n');
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府采购严重违法失信行为记录名单</title></head><body>
<form id="ggForm" method="post"><input type="hidden" id="gp" name="gp" value="${page}"></form>
<table id="tableInfo"><tr>${CCGP_COLUMNS.map((c) => `<th>${c}</th>`).join('')}</tr>
${body}
</table>
<div class="frontpages">共<span id="totalPag">${totalPages}</span>页 ${page < totalPages ? `<a href="javascript:turnPage(${page + 1})">下一页</a>` : ''}</div>
</body></html>`;
}

const GGZY_COLUMNS = ['序号', '项目名称', '当事人', '当事人类型', '不良行为内容', '处理决定', '公示期限', '发布部门', '发布日期'];

/** A trading-centre list page (GBK): the list table inside layout tables, a javascript: pager and 共N页. */
export function renderGgzyPage(rows: Array<Record<string, string>>, page: number, totalPages: number): string {
  const body = rows.map((r) => `<tr>${GGZY_COLUMNS.map((c) => `<td>${escapeHtml(r[c] ?? '')}</td>`).join('')}</tr>`).join('\n');
  return `<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>不良行为记录公示</title></head><body>
<table width="100%"><tr><td><table width="980"><tr><td class="nav">首页 &gt; 信用信息 &gt; 不良行为记录</td></tr><tr><td>
<table class="list" width="100%"><tr>${GGZY_COLUMNS.map((c) => `<td class="th">${c}</td>`).join('')}</tr>
${body}
</table></td></tr><tr><td class="pager">第${page}页 共${totalPages}页 ${page < totalPages ? `<a href="javascript:goPage(${page + 1})">下一页</a>` : ''}</td></tr></table></td></tr></table>
</body></html>`;
}

function xmlMessage(rows: Array<Record<string, string>>): string {
  const fields = rows.map((r) => `<fields>${Object.entries(r).map(([k, v]) => `<${k}>${escapeHtml(v)}</${k}>`).join('')}</fields>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><ExchangeMessage><Body>${fields}</Body></ExchangeMessage>`;
}

export async function startFixtureSources(opts: { port?: number; host?: string } = {}): Promise<FixtureSources> {
  const faults: Array<{ prefix: string; page?: number; fault: Fault }> = [];
  let inFlight = 0;
  let peak = 0;
  const state: FixtureSources = {
    url: '',
    port: 0,
    sets: {
      baidu: empty, zxgk: empty, wenshu: empty, syscreditXzcf: empty, syscreditXzxk: empty, tianjinXzcf: empty,
      guangdongXzxk: empty as RowSet<Record<string, string>>, ccgp: empty as RowSet<Record<string, string>>, ggzy: empty as RowSet<Record<string, string>>,
    },
    pageSizes: { ...SOURCE_PAGE_SIZES },
    requests: [],
    fault: (prefix, f) => {
      const { page, ...fault } = f as Fault & { page?: number };
      faults.push({ prefix, ...(page !== undefined ? { page } : {}), fault: fault as Fault });
    },
    onRequest: null,
    inFlight: () => inFlight,
    peakInFlight: () => peak,
    close: async () => undefined,
  };

  const json = (body: unknown) => ({ body: Buffer.from(JSON.stringify(body), 'utf8'), contentType: 'application/json; charset=utf-8' });
  const num = (p: Record<string, string>, name: string, dflt: number) => {
    const n = Number(p[name] ?? dflt);
    return Number.isFinite(n) && n >= 0 ? n : dflt;
  };

  /** The page a request asks for (1-based), for faults and assertions. */
  function pageOf(path: string, p: Record<string, string>): number {
    if (path.startsWith('/baidu')) return Math.floor(num(p, 'pn', 0) / state.pageSizes.baidu) + 1;
    return num(p, 'page', 0) || num(p, 'currentPage', 0) || num(p, 'Index', 0) || num(p, 'pageNo', 0) || num(p, 'gp', 0) || 1;
  }

  function route(path: string, p: Record<string, string>): { body: Buffer; contentType: string } | null {
    const { sets } = state;
    if (path === '/baidu/api.php') {
      const offset = num(p, 'pn', 0);
      const rows = slice(sets.baidu, offset, state.pageSizes.baidu); // rn is not honoured: the real interface answers 50
      const body = rows.length
        ? { ...BAIDU_ENVELOPE, data: [{ ...BAIDU_ENVELOPE.data[0], result: rows, resNum: rows.length }] }
        : { status: '0', t: p.t ?? '', set_cache_time: '', data: [] };
      const text = JSON.stringify(body);
      return p.cb
        ? { body: Buffer.from(`/**/${p.cb}(${text});`, 'utf8'), contentType: 'text/javascript; charset=utf-8' }
        : { body: Buffer.from(text, 'utf8'), contentType: 'application/json; charset=utf-8' };
    }
    if (path === '/zxgk/shixin/searchSX.do') {
      const page = Math.max(1, num(p, 'currentPage', 1));
      const size = state.pageSizes.zxgk;
      const total = sets.zxgk.length;
      return json([{
        autoCount: true, currentPage: page, delIds: '', filters: '', firstResult: (page - 1) * size, pageSize: size, privileges: {},
        result: slice(sets.zxgk, (page - 1) * size, size), sidx: '', sord: '', totalPage: Math.ceil(total / size), totalSize: total,
      }]);
    }
    if (path === '/wenshu/List/ListContent') {
      const page = Math.max(1, num(p, 'Index', 1));
      const size = Math.max(1, num(p, 'Page', 10));
      // the site answers a JSON string that holds the JSON array
      const array = [{ RunEval: WENSHU_RUN_EVAL, Count: String(sets.wenshu.length) }, ...slice(sets.wenshu, (page - 1) * size, size)];
      return json(JSON.stringify(array));
    }
    if (path === '/syscredit/publicity/data_list.json') {
      const set = p.configId === '_precast_pub_xzxk' ? sets.syscreditXzxk : sets.syscreditXzcf;
      const page = Math.max(1, num(p, 'currentPage', 1));
      const size = Math.max(1, num(p, 'pageSize', 10));
      return json({ total: set.length, rows: slice(set, (page - 1) * size, size) });
    }
    if (path === '/tianjin/xygs/datalist.do') {
      const page = Math.max(1, num(p, 'pageNo', 1));
      const size = Math.max(1, num(p, 'pageSize', 10));
      return json(slice(sets.tianjinXzcf, (page - 1) * size, size));
    }
    if (path === '/guangdong/exchange') {
      return { body: Buffer.from(xmlMessage(slice(sets.guangdongXzxk, 0, sets.guangdongXzxk.length)), 'utf8'), contentType: 'application/xml; charset=utf-8' };
    }
    if (path === '/ccgp/cr/list') {
      const page = Math.max(1, num(p, 'gp', 1));
      const size = state.pageSizes.ccgp;
      const html = renderCcgpPage(slice(sets.ccgp, (page - 1) * size, size), page, Math.max(1, Math.ceil(sets.ccgp.length / size)), size);
      return { body: Buffer.from(html, 'utf8'), contentType: 'text/html; charset=utf-8' };
    }
    if (path === '/ggzy/bad-records') {
      const page = Math.max(1, num(p, 'page', 1));
      const size = state.pageSizes.ggzy;
      const html = renderGgzyPage(slice(sets.ggzy, (page - 1) * size, size), page, Math.max(1, Math.ceil(sets.ggzy.length / size)));
      return { body: iconv.encode(html, 'gbk'), contentType: 'text/html' };
    }
    return null;
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fixture');
      const form = /x-www-form-urlencoded/.test(String(req.headers['content-type'] ?? '')) ? Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) : {};
      const params = { ...Object.fromEntries(url.searchParams), ...form };
      const page = pageOf(url.pathname, params);
      const served: ServedRequest = { method: req.method ?? 'GET', path: url.pathname, params, headers: req.headers, page, outcome: 200, at: Date.now() };
      state.requests.push(served);
      inFlight++;
      peak = Math.max(peak, inFlight);
      res.on('close', () => { inFlight--; });
      const i = faults.findIndex((f) => url.pathname.startsWith(f.prefix) && (f.page === undefined || f.page === page));
      const planned = i >= 0 ? faults[i]!.fault : undefined;
      if (planned && --planned.times <= 0) faults.splice(i, 1);
      state.onRequest?.(served);

      const answer = () => {
        const out = route(url.pathname, params);
        if (!out) {
          served.outcome = 404;
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":404,"message":"not found"}');
          return;
        }
        if (planned?.kind === 'truncate') {
          served.outcome = 'truncate';
          res.writeHead(200, { 'content-type': out.contentType, 'content-length': out.body.length });
          res.write(out.body.subarray(0, Math.floor(out.body.length / 2)));
          setTimeout(() => res.socket?.destroy(), 10);
          return;
        }
        res.writeHead(200, { 'content-type': out.contentType, 'content-length': out.body.length });
        res.end(out.body);
      };

      if (planned?.kind === 'status') {
        served.outcome = planned.status;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (planned.retryAfterSec !== undefined) headers['retry-after'] = String(planned.retryAfterSec);
        res.writeHead(planned.status, headers).end(JSON.stringify({ code: planned.status, message: 'fixture fault' }));
      } else if (planned?.kind === 'reset') {
        served.outcome = 'reset';
        req.socket.destroy();
      } else if (planned?.kind === 'slow') {
        setTimeout(answer, planned.delayMs);
      } else {
        answer();
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  state.port = port;
  state.url = `http://127.0.0.1:${port}`;
  state.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return state;
}
