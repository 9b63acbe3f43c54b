/**
 * The connectors' HTTP client against real local HTTP(S) servers on 127.0.0.1: what is retried
 * (connection reset and refused, read timeout, truncated body, 429, 5xx) and what is not (other 4xx,
 * undici argument errors, a certificate the client does not trust, an unknown charset); Retry-After
 * in both forms; the attempt cap; the per-host concurrency and rate caps; auth and User-Agent
 * headers; GBK / GB18030 bodies by Content-Type and by HTML <meta>; POST requests (fetchText) with the
 * form or JSON body a source file asks for, sent again unchanged on a retry.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectorAuthConfig } from '../../src/config/types.js';
import { buildRequest } from '../../src/connectors/declarative/build-request.js';
import { checkSourceSpec, sourceSpecs } from '../../src/connectors/declarative/load-specs.js';
import { SourceHttpClient, SourceHttpError, type HttpClientOptions } from '../../src/connectors/http-client.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

interface TestServer {
  url: string;
  /** arrival time (ms) and headers of every request, in order */
  hits: Array<{ at: number; headers: IncomingMessage['headers'] }>;
  peak: number;
  close(): Promise<void>;
}

const servers: Array<{ close(): Promise<void> }> = [];
const clients: SourceHttpClient[] = [];

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A server answering request n (1-based) with handler(req, res, n), counting requests in flight. */
async function serve(handler: Handler): Promise<TestServer> {
  let inFlight = 0;
  const state: TestServer = { url: '', hits: [], peak: 0, close: async () => undefined };
  const server = createServer((req, res) => {
    state.hits.push({ at: Date.now(), headers: req.headers });
    inFlight++;
    state.peak = Math.max(state.peak, inFlight);
    res.on('close', () => { inFlight--; });
    handler(req, res, state.hits.length);
  });
  state.url = `http://${await listen(server)}/data`;
  state.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  servers.push(state);
  return state;
}

function ok(res: ServerResponse, body: string | Buffer = '{"ok":true}', contentType = 'application/json; charset=utf-8'): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(200, { 'content-type': contentType, 'content-length': bytes.length }).end(bytes);
}

function client(overrides: Partial<HttpClientOptions> = {}, auth: ConnectorAuthConfig = { type: 'none' }): SourceHttpClient {
  const c = new SourceHttpClient({
    connectTimeoutMs: 1000,
    readTimeoutMs: 300,
    maxAttempts: 4,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
    maxRetryAfterMs: 5000,
    perHostConcurrency: 4,
    perHostRatePerSecond: 1000,
    userAgent: 'credit-exchange-gateway/test (+connector tests)',
    auth,
    ...overrides,
  });
  clients.push(c);
  return c;
}

async function failure(p: Promise<unknown>): Promise<SourceHttpError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SourceHttpError);
    return err as SourceHttpError;
  }
  throw new Error('expected the request to fail');
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('retried failures', () => {
  it('a connection reset is retried', async () => {
    const s = await serve((req, res, n) => (n <= 2 ? req.socket.destroy() : ok(res)));
    const got = await client().getText(s.url);
    expect(got.text).toBe('{"ok":true}');
    expect(got.attempts).toBe(3);
    expect(s.hits).toHaveLength(3);
  });

  it('a refused connection is retried, up to the attempt cap', async () => {
    const s = await serve((_req, res) => ok(res));
    const url = s.url;
    await s.close();
    const err = await failure(client({ maxAttempts: 3 }).getText(url));
    expect(err.kind).toBe('network');
    expect(err.attempts).toBe(3);
  });

  it('a read timeout (no headers in time) is retried', async () => {
    // not a sleep: the server's slow first answer (3 s, far beyond the 200 ms read timeout) is the fault under test
    const s = await serve((_req, res, n) => (n === 1 ? setTimeout(() => ok(res), 3000) : ok(res)));
    const started = Date.now();
    const got = await client({ readTimeoutMs: 200 }).getText(s.url);
    expect(got.attempts).toBe(2);
    // did not wait for the slow answer (undici's header timer has a resolution of about a second)
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('a body that stalls mid-way is a timeout and is retried', async () => {
    const s = await serve((_req, res, n) => {
      if (n === 1) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 100 });
        res.write('{"ok":');
        return; // never finishes
      }
      ok(res);
    });
    const got = await client({ readTimeoutMs: 200 }).getText(s.url);
    expect(got.attempts).toBe(2);
    expect(got.text).toBe('{"ok":true}');
  });

  it('a truncated body (connection closed before Content-Length bytes) is retried, and reported clearly when it persists', async () => {
    const truncate = (res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 100 });
      res.write('{"rows":[1,2,');
      // not a sleep: the server closes the connection a moment after the partial body, which is the fault under test
      setTimeout(() => res.socket?.destroy(), 5);
    };
    const once = await serve((_req, res, n) => (n === 1 ? truncate(res) : ok(res)));
    const got = await client().getText(once.url);
    expect(got.attempts).toBe(2);
    expect(got.text).toBe('{"ok":true}');

    const always = await serve((_req, res) => truncate(res));
    const err = await failure(client({ maxAttempts: 3 }).getText(always.url));
    expect(err.kind).toBe('network');
    expect(err.attempts).toBe(3);
    expect(err.message).toContain(always.url);
    expect(err.message).toContain('after 3 attempts');
    expect(always.hits).toHaveLength(3);
  });

  it.each([429, 500, 502, 503, 504])('HTTP %i is retried', async (status) => {
    const s = await serve((_req, res, n) => (n === 1 ? res.writeHead(status).end('busy') : ok(res)));
    const got = await client().getText(s.url);
    expect(got.attempts).toBe(2);
  });

  it('attempts are capped: a source that keeps answering 503 is asked exactly maxAttempts times', async () => {
    const s = await serve((_req, res) => res.writeHead(503).end('down'));
    const err = await failure(client({ maxAttempts: 3 }).getText(s.url));
    expect(err.kind).toBe('status');
    expect(err.status).toBe(503);
    expect(err.attempts).toBe(3);
    expect(s.hits).toHaveLength(3);
  });
});

describe('failures that are not retried', () => {
  it.each([400, 401, 403, 404, 410, 422])('HTTP %i fails at once', async (status) => {
    const s = await serve((_req, res) => res.writeHead(status).end('no'));
    const err = await failure(client().getText(s.url));
    expect(err.kind).toBe('status');
    expect(err.status).toBe(status);
    expect(err.attempts).toBe(1);
    expect(s.hits).toHaveLength(1);
  });

  it('an undici argument error (a header value with a newline) fails at once, without reaching the server', async () => {
    const s = await serve((_req, res) => ok(res));
    const err = await failure(client({ userAgent: 'bad\r\nx-injected: 1' }).getText(s.url));
    expect(err.kind).toBe('network');
    expect(err.attempts).toBe(1);
    expect(s.hits).toHaveLength(0);
  });

  it('a server certificate the client does not trust fails at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-tls-'));
    try {
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
        '-days', '1', '-subj', '/CN=127.0.0.1',
      ], { stdio: 'ignore' });
      let hits = 0;
      const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
        hits++;
        ok(res);
      });
      const host = await listen(server);
      servers.push({ close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) });
      const err = await failure(client().getText(`https://${host}/data`));
      expect(err.kind).toBe('network');
      expect(err.attempts).toBe(1);
      expect(hits).toBe(0);
      expect((err.cause as { code?: string }).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a body in an unknown character set fails at once with a charset error', async () => {
    const s = await serve((_req, res) => ok(res, 'abc', 'text/plain; charset=x-klingon'));
    const err = await failure(client().getText(s.url));
    expect(err.kind).toBe('charset');
    expect(err.attempts).toBe(1);
    expect(err.message).toContain('x-klingon');
  });
});

describe('Retry-After', () => {
  it('delta-seconds: the next attempt waits at least that long', async () => {
    const s = await serve((_req, res, n) => (n === 1 ? res.writeHead(429, { 'retry-after': '1' }).end() : ok(res)));
    const got = await client().getText(s.url);
    expect(got.attempts).toBe(2);
    const gap = s.hits[1]!.at - s.hits[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(990);
    expect(gap).toBeLessThan(2500);
  });

  it('an HTTP date: the next attempt comes no earlier than that date', async () => {
    let until = 0;
    const s = await serve((_req, res, n) => {
      if (n > 1) return ok(res);
      const date = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000); // HTTP dates have whole seconds
      until = date.getTime();
      res.writeHead(503, { 'retry-after': date.toUTCString() }).end();
    });
    const got = await client().getText(s.url);
    expect(got.attempts).toBe(2);
    expect(s.hits[1]!.at).toBeGreaterThanOrEqual(until - 10);
    expect(s.hits[1]!.at - s.hits[0]!.at).toBeLessThan(3500);
  });

  it('a Retry-After longer than maxRetryAfterMs fails the request instead of waiting', async () => {
    const s = await serve((_req, res) => res.writeHead(429, { 'retry-after': '3600' }).end());
    const started = Date.now();
    const err = await failure(client({ maxRetryAfterMs: 2000 }).getText(s.url));
    expect(err.kind).toBe('retry_after_too_long');
    expect(err.status).toBe(429);
    expect(s.hits).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('politeness per host', () => {
  it('never more than perHostConcurrency requests in flight at the server', async () => {
    // not a sleep: each answer takes 80 ms at the server, so requests overlap and the concurrency cap is put to work
    const s = await serve((_req, res) => setTimeout(() => ok(res), 80));
    const c = client({ perHostConcurrency: 2 });
    const results = await Promise.all(Array.from({ length: 8 }, () => c.getText(s.url)));
    expect(results).toHaveLength(8);
    expect(s.hits).toHaveLength(8);
    expect(s.peak).toBe(2);
    expect(c.gate(new URL(s.url).host).peakInFlight).toBe(2);
  });

  it('request starts follow the per-host rate (a one-second bucket, then the rate)', async () => {
    const s = await serve((_req, res) => ok(res));
    const c = client({ perHostConcurrency: 10, perHostRatePerSecond: 5 });
    await Promise.all(Array.from({ length: 10 }, () => c.getText(s.url)));
    const at = s.hits.map((h) => h.at);
    // a bucket of 5 tokens refilled at 5/s: 10 starts need at least one second
    expect(at[9]! - at[0]!).toBeGreaterThanOrEqual(900);
    expect(at[9]! - at[0]!).toBeLessThan(3000);
    // the sixth start waited for a refilled token
    expect(at[5]! - at[0]!).toBeGreaterThanOrEqual(150);
  });

  it('limits each host separately', async () => {
    // not a sleep: each answer takes 80 ms at the server, so the two hosts' requests overlap in time
    const a = await serve((_req, res) => setTimeout(() => ok(res), 80));
    const b = await serve((_req, res) => setTimeout(() => ok(res), 80));
    const c = client({ perHostConcurrency: 1 });
    await Promise.all([a, b].flatMap((s) => [1, 2].map(() => c.getText(s.url))));
    expect(a.peak).toBe(1);
    expect(b.peak).toBe(1);
    // both hosts were served at the same time at some point (each has its own slot)
    const aSpan = [a.hits[0]!.at, a.hits[1]!.at];
    expect(b.hits.some((h) => h.at >= aSpan[0]! && h.at <= aSpan[1]!)).toBe(true);
  });
});

describe('headers', () => {
  it('sends the configured User-Agent', async () => {
    const s = await serve((_req, res) => ok(res));
    await client().getText(s.url);
    expect(s.hits[0]!.headers['user-agent']).toBe('credit-exchange-gateway/test (+connector tests)');
  });

  it('sends a header token', async () => {
    const s = await serve((_req, res) => ok(res));
    await client({}, { type: 'header', header: 'X-Api-Key', token: 's3cret-token' }).getText(s.url);
    expect(s.hits[0]!.headers['x-api-key']).toBe('s3cret-token');
    expect(s.hits[0]!.headers.authorization).toBeUndefined();
  });

  it('sends basic credentials (UTF-8), on every attempt', async () => {
    const s = await serve((_req, res, n) => (n === 1 ? res.writeHead(503).end() : ok(res)));
    await client({}, { type: 'basic', username: '采集', password: 'p:w' }).getText(s.url);
    const expected = `Basic ${Buffer.from('采集:p:w', 'utf8').toString('base64')}`;
    expect(s.hits.map((h) => h.headers.authorization)).toEqual([expected, expected]);
  });
});

describe('character sets', () => {
  const gbkText = '{"name":"昆山市朱镕基路建设局有限公司","note":"失信被执行人"}'; // 镕 is in GBK but not GB2312

  it('decodes GBK declared in Content-Type', async () => {
    const s = await serve((_req, res) => ok(res, iconv.encode(gbkText, 'gbk'), 'application/json; charset=GBK'));
    const got = await client().getText(s.url);
    expect(got.text).toBe(gbkText);
    expect(JSON.parse(got.text).name).toBe('昆山市朱镕基路建设局有限公司');
  });

  it('decodes a page declared gb2312 that uses GBK-only characters', async () => {
    const s = await serve((_req, res) => ok(res, iconv.encode(gbkText, 'gbk'), 'text/plain; charset="gb2312"'));
    expect((await client().getText(s.url)).text).toBe(gbkText);
  });

  it('decodes GB18030, including four-byte characters outside GBK', async () => {
    const text = '𠮷野家（昆山）餐饮管理有限公司 — 㐀';
    const bytes = iconv.encode(text, 'gb18030');
    expect(iconv.decode(bytes, 'gbk')).not.toBe(text); // GBK alone would not do
    const s = await serve((_req, res) => ok(res, bytes, 'text/plain; charset=GB18030'));
    expect((await client().getText(s.url)).text).toBe(text);
  });

  it('takes the charset from an HTML <meta> when Content-Type has none', async () => {
    const html = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"><title>不良行为记录</title></head><body>昆山市住房和城乡建设局</body></html>';
    const s = await serve((_req, res) => ok(res, iconv.encode(html, 'gbk'), 'text/html'));
    const got = await client().getText(s.url);
    expect(got.text).toBe(html);
    expect(got.charset).toBe('gb18030');

    const html5 = '<!DOCTYPE html><html><head><meta charset="GB2312"></head><body>失信名单</body></html>';
    const s5 = await serve((_req, res) => ok(res, iconv.encode(html5, 'gbk'), 'text/html'));
    expect((await client().getText(s5.url)).text).toBe(html5);
  });

  it('reads UTF-8 when nothing is declared, and a forced encoding wins over the declared one', async () => {
    const s = await serve((_req, res) => ok(res, '{"name":"昆山"}', 'application/json'));
    expect((await client().getText(s.url)).text).toBe('{"name":"昆山"}');
    const mislabelled = await serve((_req, res) => ok(res, iconv.encode('{"name":"昆山"}', 'gbk'), 'application/json; charset=utf-8'));
    expect((await client({ encoding: 'gbk' }).getJson(mislabelled.url)).body).toEqual({ name: '昆山' });
  });
});

describe('POST requests as a source file asks for them (fetchText)', () => {
  interface Received { method: string; url: string; contentType: string; contentLength: string; body: string }

  /** A server that records each request's method, URL, Content-Type and body, then answers with `answer(n)`. */
  async function recording(answer: (res: ServerResponse, n: number) => void = (res) => ok(res)) {
    const received: Received[] = [];
    const s = await serve((req, res, n) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          method: req.method ?? '', url: req.url ?? '', contentType: String(req.headers['content-type']),
          contentLength: String(req.headers['content-length']), body: Buffer.concat(chunks).toString('utf8'),
        });
        answer(res, n);
      });
    });
    return { s, received };
  }

  it('a form POST (信用天津: pageNo and pageSize in the form) goes with its method, Content-Type and URL-encoded body', async () => {
    const { s, received } = await recording();
    const spec = sourceSpecs().get('shuanggongshi/tianjin-xzcf')!;
    const req = buildRequest(spec, s.url, { page: 3, seen: 20 }, 10);
    const got = await client().fetchText(req);
    expect(got.text).toBe('{"ok":true}');
    expect(got.attempts).toBe(1);
    expect(received).toEqual([{
      method: 'POST', url: '/data', contentType: 'application/x-www-form-urlencoded; charset=utf-8',
      contentLength: String(Buffer.byteLength('pageSize=10&pageNo=3')), body: 'pageSize=10&pageNo=3',
    }]);
    expect(Object.fromEntries(new URLSearchParams(received[0]!.body))).toEqual({ pageNo: '3', pageSize: '10' });
  });

  it('the search form of ccgp: the file\'s empty form fields and the page number gp, nothing in the query', async () => {
    const { s, received } = await recording();
    const spec = sourceSpecs().get('procurement/ccgp-cr-list')!;
    await client().fetchText(buildRequest(spec, s.url, { page: 2, seen: 20 }, undefined));
    expect(received.map((r) => [r.method, r.url, r.contentType])).toEqual([['POST', '/data', 'application/x-www-form-urlencoded; charset=utf-8']]);
    expect(received[0]!.body).toBe('orgName=&orgCode=&enforceUnit=&punishTime=&punishTimeMax=&gp=2');
    expect(Object.fromEntries(new URLSearchParams(received[0]!.body))).toEqual({ orgName: '', orgCode: '', enforceUnit: '', punishTime: '', punishTimeMax: '', gp: '2' });
  });

  it('Chinese form values are sent as UTF-8, percent-encoded; query parameters of the file stay in the URL', async () => {
    const { s, received } = await recording();
    const spec = checkSourceSpec({
      title: 't', category: 'admin_penalty', system: 'test.post-form', listing: 'complete',
      request: { method: 'POST', body: 'form', query: { configId: '_precast_pub_xzcf' }, form: { keyword: '失信 名单', area: '天津' } },
      paging: { kind: 'page', in: 'form', param: 'pageNo', sizeParam: 'pageSize' },
      response: { format: 'json' }, rows: { path: 'rows' },
      record: { key: ['CF_WSH'], subject: { name: 'CF_XDR_MC' }, decidedAt: { from: 'CF_JDRQ', parse: 'date' }, data: {} },
    }, 'test');
    await client().fetchText(buildRequest(spec, s.url, { page: 1, seen: 0 }, 50));
    expect(received[0]!.url).toBe('/data?configId=_precast_pub_xzcf');
    expect(received[0]!.body).toBe('keyword=%E5%A4%B1%E4%BF%A1+%E5%90%8D%E5%8D%95&area=%E5%A4%A9%E6%B4%A5&pageSize=50&pageNo=1');
    expect(Object.fromEntries(new URLSearchParams(received[0]!.body))).toEqual({ keyword: '失信 名单', area: '天津', pageNo: '1', pageSize: '50' });
    expect(received[0]!.contentLength).toBe(String(Buffer.byteLength(received[0]!.body)));
  });

  it('a JSON POST goes with Content-Type application/json and the file\'s object, the paging parameters in it', async () => {
    const { s, received } = await recording();
    const spec = checkSourceSpec({
      title: 't', category: 'admin_penalty', system: 'test.post-json', listing: 'complete',
      request: { method: 'POST', body: 'json', json: { filter: { province: '天津' } } },
      paging: { kind: 'page', in: 'json', param: 'page', sizeParam: 'size' },
      response: { format: 'json' }, rows: { path: 'rows' },
      record: { key: ['CF_WSH'], subject: { name: 'CF_XDR_MC' }, decidedAt: { from: 'CF_JDRQ', parse: 'date' }, data: {} },
    }, 'test');
    await client().fetchText(buildRequest(spec, s.url, { page: 4, seen: 60 }, 20));
    expect(received.map((r) => [r.method, r.url, r.contentType])).toEqual([['POST', '/data', 'application/json; charset=utf-8']]);
    expect(JSON.parse(received[0]!.body)).toEqual({ filter: { province: '天津' }, page: 4, size: 20 });
  });

  it('a POST answered 503 is retried with the same method, Content-Type and body', async () => {
    const { s, received } = await recording((res, n) => (n === 1 ? res.writeHead(503).end('busy') : ok(res)));
    const spec = sourceSpecs().get('shuanggongshi/tianjin-xzcf')!;
    const got = await client().fetchText(buildRequest(spec, s.url, { page: 1, seen: 0 }, 10));
    expect(got.attempts).toBe(2);
    expect(received).toHaveLength(2);
    expect(received[1]).toEqual(received[0]);
    expect(received[0]).toMatchObject({ method: 'POST', contentType: 'application/x-www-form-urlencoded; charset=utf-8', body: 'pageSize=10&pageNo=1' });
  });
});
