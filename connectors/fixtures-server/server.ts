/**
 * Local HTTP fixture sources, in each source's real format, for tests and the demo. Tests control
 * them: the rows (replace, change or delete between runs), and faults on the next requests — slow
 * pages, 429 with Retry-After, 5xx bursts, connection resets, truncated bodies. The bidding pages are
 * GBK-encoded HTML. Rows are read by index from a RowSet, so a generated source of 100,000 rows is
 * never built in memory.
 *
 *   const src = await startFixtureSources();            // 127.0.0.1, ephemeral port
 *   src.sets.dishonest = rowsOf([...]);                // what /court-dishonest lists
 *   src.fault('/court-dishonest', { kind: 'status', status: 429, retryAfterSec: 1, times: 1 });
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import iconv from 'iconv-lite';

export interface RowSet<T = Record<string, unknown>> {
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
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** what was done: 200, a fault status, "reset", "truncate" */
  outcome: number | string;
  at: number;
}

export interface FixtureSets {
  dishonest: RowSet;
  judgments: RowSet;
  procurementSerious: RowSet;
  procurementDefaults: RowSet;
  bidding: RowSet<Record<string, string>>;
  penalties: RowSet;
}

export interface FixtureSources {
  url: string;
  port: number;
  sets: FixtureSets;
  /** every request, in order */
  requests: ServedRequest[];
  /** rows per bidding HTML page */
  biddingPageSize: number;
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

function pageSlice(set: RowSet, page: number, size: number): unknown[] {
  const out: unknown[] = [];
  for (let i = (page - 1) * size; i < Math.min(set.length, page * size); i++) out.push(set.at(i));
  return out;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const BIDDING_COLUMNS = ['序号', '项目名称', '项目编号', '当事人', '统一社会信用代码', '当事人类型', '不良行为', '处理决定', '处理文号', '处理机关', '处理日期', '公示期限'];

export function renderBiddingPage(rows: Array<Record<string, string>>, page: number, hasNext: boolean): string {
  const head = `<tr>${BIDDING_COLUMNS.map((c) => `<th>${c}</th>`).join('')}</tr>`;
  const body = rows
    .map((r) => `<tr>${BIDDING_COLUMNS.map((c) => `<td>${escapeHtml(r[c] ?? '')}</td>`).join('')}${Object.keys(r).filter((k) => !BIDDING_COLUMNS.includes(k)).map((k) => `<td>${escapeHtml(r[k] ?? '')}</td>`).join('')}</tr>`)
    .join('\n');
  const extraHeads = rows[0] ? Object.keys(rows[0]).filter((k) => !BIDDING_COLUMNS.includes(k)).map((k) => `<th>${k}</th>`).join('') : '';
  return `<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"><title>不良行为记录公示</title></head>
<body><div class="list-title">招标投标不良行为记录</div>
<table class="bad-record" border="1">${head.replace('</tr>', `${extraHeads}</tr>`)}
${body}
</table>
<div class="pagination"><span>第${page}页</span>${page > 1 ? ` <a href="?page=${page - 1}">上一页</a>` : ''}${hasNext ? ` <a href="?page=${page + 1}">下一页</a>` : ''}</div>
</body></html>`;
}

export async function startFixtureSources(opts: { port?: number; host?: string } = {}): Promise<FixtureSources> {
  const faults: Array<{ prefix: string; page?: number; fault: Fault }> = [];
  let inFlight = 0;
  let peak = 0;
  const state: FixtureSources = {
    url: '',
    port: 0,
    sets: { dishonest: empty, judgments: empty, procurementSerious: empty, procurementDefaults: empty, bidding: empty as RowSet<Record<string, string>>, penalties: empty },
    requests: [],
    biddingPageSize: 20,
    fault: (prefix, f) => {
      const { page, ...fault } = f as Fault & { page?: number };
      faults.push({ prefix, ...(page !== undefined ? { page } : {}), fault: fault as Fault });
    },
    onRequest: null,
    inFlight: () => inFlight,
    peakInFlight: () => peak,
    close: async () => undefined,
  };

  function route(path: string, q: URLSearchParams): { body: Buffer; contentType: string } | null {
    const num = (name: string, dflt: number) => Math.max(0, Number(q.get(name) ?? dflt) || dflt);
    const asJson = (body: unknown) => ({ body: Buffer.from(JSON.stringify(body), 'utf8'), contentType: 'application/json; charset=utf-8' });
    if (path === '/court-dishonest') {
      const page = num('page', 1), size = num('pageSize', 50);
      const set = state.sets.dishonest;
      return asJson({ code: 0, message: 'ok', total: set.length, page, pageSize: size, result: pageSlice(set, page, size) });
    }
    if (path === '/court-judgments') {
      const since = q.get('fbrqFrom') ?? '0000-00-00';
      const page = num('pageNum', 1), size = num('pageSize', 50);
      const matching: unknown[] = [];
      for (let i = 0; i < state.sets.judgments.length; i++) {
        const r = state.sets.judgments.at(i) as { fbrq?: string };
        if (String(r.fbrq ?? '') >= since) matching.push(r);
      }
      matching.sort((a, b) => String((a as { fbrq: string }).fbrq).localeCompare(String((b as { fbrq: string }).fbrq)) || String((a as { wsid: string }).wsid).localeCompare(String((b as { wsid: string }).wsid)));
      return asJson({ success: true, data: { totalCount: matching.length, pageNum: page, list: matching.slice((page - 1) * size, page * size) } });
    }
    if (path === '/procurement/serious-dishonesty' || path === '/procurement/purchaser-defaults') {
      const set = path.endsWith('serious-dishonesty') ? state.sets.procurementSerious : state.sets.procurementDefaults;
      const page = num('page', 1), size = num('size', 50);
      return asJson({ total: set.length, rows: pageSlice(set, page, size) });
    }
    if (path === '/bidding') {
      const page = num('page', 1);
      const rows = pageSlice(state.sets.bidding as RowSet, page, state.biddingPageSize) as Array<Record<string, string>>;
      const html = renderBiddingPage(rows, page, page * state.biddingPageSize < state.sets.bidding.length);
      return { body: iconv.encode(html, 'gbk'), contentType: 'text/html' };
    }
    if (path === '/shuanggongshi/xzcf') {
      const page = num('pageNum', 1), size = num('pageSize', 50);
      return asJson({ code: 200, msg: '成功', data: { total: state.sets.penalties.length, rows: pageSlice(state.sets.penalties, page, size) } });
    }
    return null;
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fixture');
    const query = Object.fromEntries(url.searchParams);
    const page = Number(query.page ?? query.pageNum ?? 1);
    const served: ServedRequest = { path: url.pathname, query, headers: req.headers, outcome: 200, at: Date.now() };
    state.requests.push(served);
    inFlight++;
    peak = Math.max(peak, inFlight);
    res.on('close', () => { inFlight--; });
    const i = faults.findIndex((f) => url.pathname.startsWith(f.prefix) && (f.page === undefined || f.page === page));
    const planned = i >= 0 ? faults[i]!.fault : undefined;
    if (planned && --planned.times <= 0) faults.splice(i, 1);
    state.onRequest?.(served);

    const answer = () => {
      const out = route(url.pathname, url.searchParams);
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

