/**
 * Malformed HTTP and hostile bodies, from the README contract: a broken request on one connection never
 * disturbs properly signed requests on others; pipelining, header floods and oversized bodies are
 * answered (413 for bodies over the limit) without a 5xx; bodies are JSON in UTF-8 only (415
 * GW_BODY_UNSUPPORTED_MEDIA_TYPE, 400 GW_BODY_INVALID_UTF8); control characters and lone surrogates are
 * refused where they appear (an item of a batch alone; any other body whole, 400 GW_REQUEST_INVALID).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import {
  type Answer,
  checkAnswerSignature,
  expectSigned,
  expectSignedProblem,
  fieldErrors,
  type GatewayEnv,
  isProblem,
  makePartner,
  makeUscc,
  parseResponses,
  penaltyItem,
  rawSocket,
  rawSocketStreaming,
  scratchDatabase,
  show,
  signed,
  signedHeaders,
  startGateway,
} from './helpers.js';

const P = makePartner({
  id: '11320583000012343X',
  name: '昆山市市场监督管理局',
  scopes: ['records:write', 'records:read', 'objections:write', 'objections:decide', 'checks:run'],
  sourceSystems: ['scjg.kunshan'],
  categories: ['*'],
  regions: ['*'],
});
const SYS = 'scjg.kunshan';
const MAX_BATCH = 20;

let db: ScratchDatabase;
let gw: GatewayEnv;
let serial = 50_000;
const subject = () => makeUscc('91', '320583', ++serial);

beforeAll(async () => {
  db = await scratchDatabase();
  gw = await startGateway(db.url, [P], { server: { maxBatchSize: MAX_BATCH } });
});

afterAll(async () => {
  await gw?.stop();
  await db?.drop();
});

function answerOf(res: { status: number; headers: Record<string, string[]>; body: Buffer }): Answer {
  const text = res.body.toString('utf8');
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, v.length === 1 ? v[0] : v])), raw: res.body, text, json };
}

/** The raw text of a signed request, for sockets. */
function rawSigned(method: string, target: string, body?: Buffer, extraHeaders = ''): Buffer {
  const { headers } = signedHeaders(P, method, target, body !== undefined ? { rawBody: body } : {});
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${String(v)}`);
  if (body !== undefined) lines.push(`Content-Length: ${body.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n${extraHeaders}\r\n`, 'latin1');
  return body !== undefined ? Buffer.concat([head, body]) : head;
}

async function storedFor(uscc: string): Promise<{ recordId: string }[]> {
  const ans = await signed(gw.url, P, 'GET', `/v1/records?uscc=${uscc}&limit=100`);
  expect(ans.status, show(ans)).toBe(200);
  return ans.json.items;
}

async function stillServing(): Promise<void> {
  expect(gw.child.proc.exitCode, 'the gateway process is still running').toBeNull();
  const ans = await signed(gw.url, P, 'GET', '/v1/catalog');
  expect(ans.status, show(ans)).toBe(200);
}

function statusesIn(stream: string): number[] {
  return [...stream.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
}

describe('a broken request on one connection does not disturb the others', () => {
  it('GET with a body and no Content-Length, sent repeatedly while 100 signed GETs and 30 signed pushes run: every signed request is 200', async () => {
    const broken = 'GET /v1/catalog HTTP/1.1\r\nHost: x\r\n\r\n{"x":1}';
    const raws: Promise<string>[] = [rawSocket(gw.url, broken, { quietMs: 1000, timeoutMs: 8000 })];
    const load: Promise<{ kind: string; ans: Answer; uscc?: string }>[] = [];
    for (let i = 0; i < 130; i++) {
      if (i < 100) load.push(signed(gw.url, P, 'GET', '/v1/catalog').then((ans) => ({ kind: 'GET', ans })));
      else {
        const uscc = subject();
        load.push(signed(gw.url, P, 'POST', '/v1/records', { body: { records: [penaltyItem({ system: SYS, key: `load-${i}`, uscc })] } }).then((ans) => ({ kind: 'POST', ans, uscc })));
      }
      if (i % 5 === 0) raws.push(rawSocket(gw.url, broken, { quietMs: 1000, timeoutMs: 8000 }));
    }
    const results = await Promise.all(load);
    const bad = results.filter((r) => r.ans.status !== 200).map((r) => `${r.kind} ${show(r.ans)}`);
    expect(bad, `${bad.length} of 130 signed requests failed:\n${bad.slice(0, 5).join('\n')}`).toEqual([]);
    for (const r of results.filter((x) => x.kind === 'POST')) expect(r.ans.json.results[0].status).toBe('created');
    // a sample of the answers is properly signed
    for (const r of results.slice(0, 5)) await expectSigned(gw.url, r.ans);
    // the broken connections themselves may be answered (401 for the first request, 400 for the garbage) or closed, never a 5xx
    const outs = await Promise.all(raws);
    for (const out of outs) expect(statusesIn(out).every((s) => s < 500), out.slice(0, 400)).toBe(true);
    await stillServing();
  });
});

describe('connection-level abuse', () => {
  it('pipelined signed requests on one connection are all answered, in order, each signed', async () => {
    const uscc = subject();
    const body = Buffer.from(JSON.stringify({ records: [penaltyItem({ system: SYS, key: 'pipe-1', uscc })] }));
    const payload = Buffer.concat([rawSigned('GET', '/v1/catalog'), rawSigned('POST', '/v1/records', body), rawSigned('GET', '/v1/records?limit=1'), rawSigned('GET', '/v1/catalog', undefined, 'Connection: close\r\n')]);
    const out = await rawSocket(gw.url, payload, { quietMs: 2000, timeoutMs: 15_000 });
    const res = parseResponses(out);
    expect(res.map((r) => r.status), out.slice(0, 500)).toEqual([200, 200, 200, 200]);
    for (const r of res) await expectSigned(gw.url, answerOf(r));
    expect(await storedFor(uscc)).toHaveLength(1);
  });

  it('request-smuggling shapes (Content-Length with Transfer-Encoding, two differing Content-Lengths) are 400 and the smuggled request is not served', async () => {
    const uscc = subject();
    const smuggledBody = JSON.stringify({ records: [penaltyItem({ system: SYS, key: 'smuggled', uscc })] });
    const inner = rawSigned('POST', '/v1/records', Buffer.from(smuggledBody)).toString('latin1');
    const shapes = [
      `POST /v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${inner}`,
      `POST /v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{"a":1}${inner}`,
      `POST /v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n${inner}`,
    ];
    for (const shape of shapes) {
      const out = await rawSocket(gw.url, shape, { quietMs: 1000, timeoutMs: 8000 });
      const statuses = statusesIn(out);
      expect(statuses[0], out.slice(0, 300)).toBe(400);
      expect(statuses.every((s) => s < 500)).toBe(true);
    }
    expect(await storedFor(uscc)).toHaveLength(0);
    await stillServing();
  });

  it('header floods (many headers, one huge header, a huge request target) are refused with 431/414/400, never 5xx, and the gateway keeps serving', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => `X-Flood-${i}: ${'v'.repeat(8)}\r\n`).join('');
    const huge = `X-Huge: ${'h'.repeat(64 * 1024)}\r\n`;
    const longTarget = `/v1/records?cursor=${'c'.repeat(64 * 1024)}`;
    const payloads = [
      `GET /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\n${many}\r\n`,
      `GET /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\n${huge}\r\n`,
      `GET ${longTarget} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
    ];
    for (const p of payloads) {
      const out = await rawSocket(gw.url, p, { quietMs: 1000, timeoutMs: 8000 });
      const statuses = statusesIn(out);
      expect(statuses.length, 'an answer, not a silent reset').toBeGreaterThan(0);
      expect([400, 413, 414, 431], out.slice(0, 200)).toContain(statuses[0]);
    }
    // a signed request with 200 extra headers is still served
    const extra: Record<string, string> = {};
    for (let i = 0; i < 200; i++) extra[`x-extra-${i}`] = `v${i}`;
    const ok = await signed(gw.url, P, 'GET', '/v1/catalog', { headers: extra });
    expect(ok.status, show(ok)).toBe(200);
    await stillServing();
  });
});

describe('malformed request targets', () => {
  it('broken percent-encoding or an over-long path parameter in a signed /v1 request is a signed 4xx problem+json, never 5xx', async () => {
    const targets = [
      '/v1/records/%zz',
      '/v1/records/%FF%FE',
      '/v1/records/%C0%AF',
      '/v1/records/%ED%A0%80',
      '/v1/records/%E4%B8',
      '/v1/records/%',
      `/v1/records/${'a'.repeat(600)}`,
      '/v1/objections/%zz',
      '/v1/repairs/%FF',
      '/v1/schemas/%C0%AF',
      '/v1/subjects/%zz',
      '/v1/connectors/%FF/runs',
      '/v1/records?uscc=%zz',
      '/v1/records?limit=%FF',
      '/v1/records?cursor=%C0%AF',
    ];
    const broken: string[] = [];
    for (const target of targets) {
      const ans = await signed(gw.url, P, 'GET', target, { headers: { 'x-request-purpose': 'test' } });
      const sig = await checkAnswerSignature(gw.url, ans);
      if (ans.status < 400 || ans.status >= 500 || !isProblem(ans) || !sig.ok) broken.push(`${target}: ${show(ans).slice(0, 160)} signature: ${sig.ok ? 'ok' : sig.reason}`);
    }
    expect(broken, broken.join('\n')).toEqual([]);
    await stillServing();
  });
});

describe('body size', () => {
  it('a properly signed body over the limit (8 MiB) is a signed 413 problem+json, and nothing is stored', async () => {
    const uscc = subject();
    const item = penaltyItem({ system: SYS, key: 'big', uscc, note: 'x'.repeat(9 * 1024 * 1024) });
    // over a raw socket, stopping the upload once the answer starts: the gateway may answer and close before reading the body
    const body = Buffer.from(JSON.stringify({ records: [item] }));
    const whole = rawSigned('POST', '/v1/records', body);
    const head = whole.subarray(0, whole.length - body.length);
    const out = await rawSocketStreaming(gw.url, head, body, { quietMs: 2000, timeoutMs: 20_000 });
    const [res] = parseResponses(out);
    expect(res, out.slice(0, 300)).toBeDefined();
    const ans = answerOf(res!);
    expect(ans.status, show(ans)).toBe(413);
    expect(isProblem(ans), show(ans)).toBe(true);
    await expectSigned(gw.url, ans);
    expect(await storedFor(uscc)).toHaveLength(0);
  });

  it('a Content-Length of 100 MB with no body is answered promptly (413 or an auth refusal), not held open or 5xx', async () => {
    const { headers } = signedHeaders(P, 'POST', '/v1/records', { rawBody: Buffer.from('{}') });
    const lines = ['POST /v1/records HTTP/1.1', 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${String(v)}`), 'Content-Length: 100000000'];
    const t0 = Date.now();
    const out = await rawSocket(gw.url, `${lines.join('\r\n')}\r\n\r\n`, { quietMs: 3000, timeoutMs: 10_000 });
    const statuses = statusesIn(out);
    expect(statuses[0], out.slice(0, 300)).toBe(413);
    expect(Date.now() - t0).toBeLessThan(9000);
  });

  it('a chunked body that grows past the limit is 413, never 5xx', async () => {
    const { headers } = signedHeaders(P, 'POST', '/v1/records', { rawBody: Buffer.from('{}') });
    const lines = ['POST /v1/records HTTP/1.1', 'Host: 127.0.0.1', ...Object.entries(headers).filter(([k]) => k !== 'content-length').map(([k, v]) => `${k}: ${String(v)}`), 'Transfer-Encoding: chunked'];
    const chunk = 'a'.repeat(1024 * 1024);
    const chunks = Array.from({ length: 10 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('');
    const out = await rawSocketStreaming(gw.url, Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), Buffer.from(`${chunks}0\r\n\r\n`), { quietMs: 2000, timeoutMs: 15_000 });
    const statuses = statusesIn(out);
    expect(statuses[0], out.slice(0, 300)).toBe(413);
  });

  it(`a batch of more than server.maxBatchSize (${MAX_BATCH}) items is a 4xx problem and nothing is stored`, async () => {
    const uscc = subject();
    const records = Array.from({ length: MAX_BATCH + 1 }, (_, i) => penaltyItem({ system: SYS, key: `over-${i}`, uscc }));
    const ans = await signed(gw.url, P, 'POST', '/v1/records', { body: { records } });
    expect(ans.status, show(ans)).toBeGreaterThanOrEqual(400);
    expect(ans.status, show(ans)).toBeLessThan(500);
    expect(isProblem(ans), show(ans)).toBe(true);
    await expectSigned(gw.url, ans);
    expect(await storedFor(uscc)).toHaveLength(0);
  });
});

describe('limits on other inputs', () => {
  it('a check of more than 1,000 codes is a signed 4xx problem', async () => {
    const codes = Array.from({ length: 1001 }, (_, i) => makeUscc('91', '320583', 80_000 + i));
    const ans = await signed(gw.url, P, 'POST', '/v1/checks', { body: { codes, purpose: 'limit-test' } });
    expect(ans.status, show(ans)).toBeGreaterThanOrEqual(400);
    expect(ans.status, show(ans)).toBeLessThan(500);
    expect(isProblem(ans), show(ans)).toBe(true);
    await expectSigned(gw.url, ans);
  });

  it('hostile Idempotency-Key values (huge, tab, non-ASCII bytes, blank, injection-like) never produce a 5xx', async () => {
    for (const key of ['k'.repeat(10_000), 'a\tb', Buffer.from('ключ-键', 'utf8').toString('latin1'), '', ' ', '../../etc/passwd', "'; DROP TABLE idempotency;--"]) {
      const uscc = subject();
      const ans = await signed(gw.url, P, 'POST', '/v1/records', { body: { records: [penaltyItem({ system: SYS, key: `idem-${uscc}`, uscc })] }, headers: { 'idempotency-key': key } });
      expect(ans.status, `key ${JSON.stringify(key.slice(0, 40))}: ${show(ans)}`).toBeLessThan(500);
      if (ans.status >= 400) expect(isProblem(ans), show(ans)).toBe(true);
      await expectSigned(gw.url, ans);
    }
    await stillServing();
  });
});

describe('media type and encoding', () => {
  const INVALID_UTF8: [string, Buffer][] = [
    ['a stray 0xFF', Buffer.from([0xff])],
    ['an overlong "/" (C0 AF)', Buffer.from([0xc0, 0xaf])],
    ['a UTF-8-encoded surrogate (ED A0 80)', Buffer.from([0xed, 0xa0, 0x80])],
    ['a truncated sequence (E4 B8)', Buffer.from([0xe4, 0xb8])],
    ['a five-byte form (F8 88 80 80 80)', Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80])],
    ['a code point above U+10FFFF (F4 90 80 80)', Buffer.from([0xf4, 0x90, 0x80, 0x80])],
  ];

  function withBytesInString(json: string, marker: string, bytes: Buffer): Buffer {
    const [before, after] = json.split(marker) as [string, string];
    return Buffer.concat([Buffer.from(before, 'utf8'), bytes, Buffer.from(after, 'utf8')]);
  }

  it('a push whose bytes are not valid UTF-8 is 400 GW_BODY_INVALID_UTF8 (each kind of invalid sequence) and nothing is stored', async () => {
    const uscc = subject();
    const json = JSON.stringify({ records: [penaltyItem({ system: SYS, key: 'utf8', uscc, note: '违法@@事实' })] });
    for (const [name, bytes] of INVALID_UTF8) {
      const ans = await signed(gw.url, P, 'POST', '/v1/records', { rawBody: withBytesInString(json, '@@', bytes) });
      expect(ans.status, `${name}: ${show(ans)}`).toBe(400);
      await expectSignedProblem(gw.url, ans, 400, 'GW_BODY_INVALID_UTF8');
    }
    expect(await storedFor(uscc)).toHaveLength(0);
  });

  it('objection and check bodies that are not valid UTF-8 are 400 GW_BODY_INVALID_UTF8; the record is not objected', async () => {
    const uscc = subject();
    const created = await signed(gw.url, P, 'POST', '/v1/records', { body: { records: [penaltyItem({ system: SYS, key: 'utf8-obj', uscc })] } });
    const id = created.json.results[0].recordId as string;
    for (const [name, bytes] of INVALID_UTF8) {
      const obj = await signed(gw.url, P, 'POST', `/v1/records/${id}/objections`, { rawBody: withBytesInString(JSON.stringify({ reason: '理由@@' }), '@@', bytes) });
      expect(obj.status, `${name}: ${show(obj)}`).toBe(400);
      await expectSignedProblem(gw.url, obj, 400, 'GW_BODY_INVALID_UTF8');
      const chk = await signed(gw.url, P, 'POST', '/v1/checks', { rawBody: withBytesInString(JSON.stringify({ codes: [uscc], purpose: '核查@@' }), '@@', bytes) });
      await expectSignedProblem(gw.url, chk, 400, 'GW_BODY_INVALID_UTF8');
    }
    const rec = await signed(gw.url, P, 'GET', `/v1/records/${id}`);
    expect(rec.json.record.status).toBe('active');
  });

  it('a non-JSON content type (or none) is 415 GW_BODY_UNSUPPORTED_MEDIA_TYPE on every body route, and nothing is stored', async () => {
    const uscc = subject();
    const created = await signed(gw.url, P, 'POST', '/v1/records', { body: { records: [penaltyItem({ system: SYS, key: 'ct-obj', uscc })] } });
    const id = created.json.results[0].recordId as string;
    const other = subject();
    const bodies: [string, string, unknown][] = [
      ['POST', '/v1/records', { records: [penaltyItem({ system: SYS, key: 'ct', uscc: other })] }],
      ['POST', `/v1/records/${id}/objections`, { reason: '理由' }],
      ['POST', '/v1/checks', { codes: [uscc], purpose: 'ct' }],
    ];
    const types = [
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=xyz',
      'application/xml',
      'text/json',
      'application/jsonp',
      'application/octet-stream',
      'application/json; charset=iso-8859-1',
      'application/json; charset=utf-16',
      '',
    ];
    for (const [method, path, body] of bodies) {
      for (const type of types) {
        const ans = await signed(gw.url, P, method, path, { body, contentType: type, ...(type === '' ? { headers: { 'content-type': undefined } } : {}) });
        expect(ans.status, `${path} with content-type "${type}": ${show(ans)}`).toBe(415);
        await expectSignedProblem(gw.url, ans, 415, 'GW_BODY_UNSUPPORTED_MEDIA_TYPE');
      }
    }
    expect(await storedFor(other)).toHaveLength(0);
    expect((await signed(gw.url, P, 'GET', `/v1/records/${id}`)).json.record.status).toBe('active');
  });

  it('application/json with charset=utf-8 and application/*+json are accepted', async () => {
    const refused: string[] = [];
    for (const [i, type] of ['application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'Application/JSON', 'application/vnd.gov.credit+json', 'application/problem+json'].entries()) {
      const uscc = subject();
      const ans = await signed(gw.url, P, 'POST', '/v1/records', { body: { records: [penaltyItem({ system: SYS, key: `ok-ct-${i}`, uscc })] }, contentType: type });
      if (ans.status !== 200 || ans.json?.results?.[0]?.status !== 'created') refused.push(`${type}: ${show(ans)}`);
    }
    expect(refused).toEqual([]);
  });
});

describe('text: control characters and lone surrogates', () => {
  it('in a batch, each offending item alone is rejected with the rule and a pointer to the field; the valid items are stored', async () => {
    const uscc = subject();
    const base = (key: string, patch: (item: any) => void) => {
      const item: any = penaltyItem({ system: SYS, key, uscc });
      patch(item);
      return item;
    };
    const cases: { item: any; rule?: string; field?: string }[] = [
      { item: base('t-0', () => undefined) },
      { item: base('t-1', (i) => (i.data.CF_SY = '违法\u0000事实')), rule: 'text.control_character', field: '/data/CF_SY' },
      { item: base('t-2', (i) => (i.data.CF_WFXW = '虚假\ud800宣传')), rule: 'text.lone_surrogate', field: '/data/CF_WFXW' },
      { item: base('t-3', () => undefined) },
      { item: base('t-4', (i) => (i.data.CF_NR = '罚款\udc00')), rule: 'text.lone_surrogate', field: '/data/CF_NR' },
      { item: base('t-5', (i) => (i.data.CF_YJ = '依据\u007f')), rule: 'text.control_character', field: '/data/CF_YJ' },
      { item: base('t-6', (i) => (i.data.CF_CFJG = '\u001b[31m昆山市市场监督管理局')), rule: 'text.control_character', field: '/data/CF_CFJG' },
      { item: base('t-7', (i) => (i.source.key = 't-7\u0000')), rule: 'text.control_character', field: '/source/key' },
      { item: base('t-8', (i) => (i.data.CF_SY = '第一行\n第二行\t制表\r回车 😀')) },
      { item: base('t-9', (i) => (i.data.BZ = '备注\ud83d')), rule: 'text.lone_surrogate', field: '/data/BZ' },
      { item: base('t-10', (i) => (i.data.CF_SY = '\u0085\u2028正常的 Unicode 行分隔符')) },
    ];
    const ans = await signed(gw.url, P, 'POST', '/v1/records', { body: { records: cases.map((c) => c.item) } });
    expect(ans.status, show(ans)).toBe(200);
    await expectSigned(gw.url, ans);
    const results = ans.json.results as any[];
    expect(results).toHaveLength(cases.length);
    const created: string[] = [];
    for (const [i, c] of cases.entries()) {
      const r = results.find((x) => x.index === i) ?? results[i];
      if (!c.rule) {
        expect(r.status, `item ${i}: ${JSON.stringify(r)}`).toBe('created');
        created.push(r.recordId);
        continue;
      }
      expect(r.status, `item ${i}: ${JSON.stringify(r)}`).toBe('rejected');
      const errs = fieldErrors(r);
      const hit = errs.find((e) => e.rule === c.rule && new RegExp(`^(/records/${i})?${c.field!.replace(/\//g, '\\/')}$`).test(String(e.pointer)));
      expect(hit, `item ${i} wants ${c.rule} at ${c.field}: ${JSON.stringify(errs)}`).toBeDefined();
    }
    const stored = (await storedFor(uscc)).map((r) => r.recordId).sort();
    expect(stored).toEqual(created.sort());
    // what was stored is what was sent (the allowed whitespace and the emoji survive)
    const t8 = await signed(gw.url, P, 'GET', `/v1/records/${created[2]}`);
    expect(t8.json.record.data.CF_SY).toBe('第一行\n第二行\t制表\r回车 😀');
  });

  it('in an objection, a repair, a check and a decision body, a control character or lone surrogate is 400 GW_REQUEST_INVALID with the rule and pointer; nothing is done', async () => {
    const uscc = subject();
    const created = await signed(gw.url, P, 'POST', '/v1/records', {
      body: { records: [penaltyItem({ system: SYS, key: 'body-1', uscc }), penaltyItem({ system: SYS, key: 'body-2', uscc })] },
    });
    const [id, id2] = (created.json.results as any[]).map((r) => r.recordId as string) as [string, string];
    const cases: [string, string, unknown, string, string][] = [
      ['POST', `/v1/records/${id}/objections`, { reason: '理由\u0000' }, 'text.control_character', '/reason'],
      ['POST', `/v1/records/${id}/objections`, { reason: '理由', evidence: [{ ref: 'EV-1', description: '说明\ud800' }] }, 'text.lone_surrogate', '/evidence/0/description'],
      ['POST', `/v1/records/${id}/objections`, { reason: '理由', evidence: [{ ref: 'EV\u0007-1' }] }, 'text.control_character', '/evidence/0/ref'],
      ['POST', `/v1/records/${id}/repairs`, { commitmentRef: 'CN\u0000-1' }, 'text.control_character', '/commitmentRef'],
      ['POST', `/v1/records/${id}/repairs`, { commitmentRef: 'CN-1', reason: '整改\udfff' }, 'text.lone_surrogate', '/reason'],
      ['POST', '/v1/checks', { codes: [uscc], purpose: '招标\u0000核查' }, 'text.control_character', '/purpose'],
      ['POST', '/v1/checks', { codes: [`${uscc}\u0000`] }, 'text.control_character', '/codes/0'],
    ];
    for (const [method, path, body, rule, pointer] of cases) {
      const ans = await signed(gw.url, P, method, path, { body });
      await expectSignedProblem(gw.url, ans, 400, 'GW_REQUEST_INVALID');
      const errs = fieldErrors(ans.json);
      expect(errs.some((e) => e.rule === rule && e.pointer === pointer), `${path} wants ${rule} at ${pointer}: ${JSON.stringify(errs)}`).toBe(true);
    }
    expect((await signed(gw.url, P, 'GET', `/v1/records/${id}`)).json.record.status).toBe('active');
    // a decision body
    const obj = await signed(gw.url, P, 'POST', `/v1/records/${id2}/objections`, { body: { reason: '主体有误' } });
    expect(obj.status, show(obj)).toBe(201);
    const oid = obj.json.objection.objectionId as string;
    const dec = await signed(gw.url, P, 'POST', `/v1/objections/${oid}/decision`, { body: { decision: 'rejected', reason: '核实\u0000无误' } });
    await expectSignedProblem(gw.url, dec, 400, 'GW_REQUEST_INVALID');
    expect(fieldErrors(dec.json).some((e) => e.rule === 'text.control_character' && e.pointer === '/reason'), JSON.stringify(dec.json)).toBe(true);
    expect((await signed(gw.url, P, 'GET', `/v1/objections/${oid}`)).json.status).toBe('open');
  });

  it('deeply nested JSON and unusual but valid JSON never produce a 5xx', async () => {
    const uscc = subject();
    const depth = 20_000;
    const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const item = JSON.stringify(penaltyItem({ system: SYS, key: 'deep', uscc })).replace('"CF_SY":"', `"CF_DEEP":${nested},"CF_SY":"`);
    const bodies: Buffer[] = [
      Buffer.from(`{"records":[${item}]}`),
      Buffer.from(`{"records":${nested}}`),
      Buffer.from(`${nested}`),
      Buffer.from('{"records":[{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}]}'),
      Buffer.from('{"records":[1e999, -0, 123456789012345678901234567890, "\\u0000"]}'),
      Buffer.from('\ufeff{"records":[]}'),
      Buffer.from('{"records":[]} {"records":[]}'),
      Buffer.from('{"records":[],"records":[{}]}'),
      Buffer.from(''),
      Buffer.from('null'),
    ];
    for (const body of bodies) {
      const ans = await signed(gw.url, P, 'POST', '/v1/records', { rawBody: body });
      expect(ans.status, `${body.subarray(0, 60).toString()}: ${show(ans)}`).toBeLessThan(500);
      if (ans.status >= 400) expect(isProblem(ans), show(ans)).toBe(true);
      expect((await checkAnswerSignature(gw.url, ans)).ok).toBe(true);
    }
    const obj = await signed(gw.url, P, 'POST', `/v1/records/${randomUUID()}/objections`, { rawBody: Buffer.from(`{"reason":"x","evidence":${nested}}`) });
    expect(obj.status, show(obj)).toBeLessThan(500);
    await stillServing();
  });
});
