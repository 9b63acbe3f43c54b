/**
 * fast-check fuzzing of the body, query string and path parameters of every /v1 route in the README,
 * each request properly signed (so the fuzz reaches the handlers, not just the token check). Contract:
 * never a 5xx, every error answer is application/problem+json with a code, every /v1 answer carries a
 * valid X-Response-Signature; afterwards every stored record, read back through the API, validates
 * against schemas/record.schema.json (and its category's data schema) and holds only well-formed text.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import {
  type Answer,
  biddingItem,
  checkAnswerSignature,
  type GatewayEnv,
  isProblem,
  isValidUscc,
  orgCodeCheckChar,
  makePartner,
  makeUscc,
  penaltyItem,
  scratchDatabase,
  show,
  signed,
  startGateway,
} from './helpers.js';

// ajv-formats is a CommonJS module whose module.exports is the plugin (with the same as .default)
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule.default }).default ?? addFormatsModule) as unknown as typeof addFormatsModule.default;

const RUNS = 150;
const TIME_PER_ROUTE_MS = 2500;
const SYS = 'fuzz.kunshan';

const F = makePartner({
  id: '11320583000012343X',
  name: '昆山市信用办（模糊测试）',
  scopes: ['records:write', 'records:read', 'subjects:read', 'checks:run', 'objections:write', 'objections:decide', 'repairs:decide', 'monitoring:read', 'connectors:admin', 'pii:read'],
  sourceSystems: [SYS],
  categories: ['*'],
  regions: ['*'],
});

let db: ScratchDatabase;
let gw: GatewayEnv;
const fixed = { record: '', objRecord: '', objection: '', repairRecord: '', repair: '', uscc: makeUscc('91', '320583', 424242) };

beforeAll(async () => {
  db = await scratchDatabase();
  gw = await startGateway(db.url, [F]);
  const seed = await signed(gw.url, F, 'POST', '/v1/records', {
    body: {
      records: [
        penaltyItem({ system: SYS, key: 'seed-1', uscc: fixed.uscc }),
        penaltyItem({ system: SYS, key: 'seed-2', uscc: fixed.uscc }),
        penaltyItem({ system: SYS, key: 'seed-3', uscc: fixed.uscc }),
        biddingItem({ system: SYS, key: 'seed-4', uscc: makeUscc('91', '330106', 424243) }),
      ],
    },
  });
  expect(seed.status, show(seed)).toBe(200);
  const ids = (seed.json.results as { recordId: string }[]).map((r) => r.recordId);
  fixed.record = ids[0]!;
  fixed.objRecord = ids[1]!;
  fixed.repairRecord = ids[2]!;
  const o = await signed(gw.url, F, 'POST', `/v1/records/${fixed.objRecord}/objections`, { body: { reason: '种子异议' } });
  expect(o.status, show(o)).toBe(201);
  fixed.objection = o.json.objection.objectionId;
  const r = await signed(gw.url, F, 'POST', `/v1/records/${fixed.repairRecord}/repairs`, { body: { commitmentRef: 'SEED-1' } });
  expect(r.status, show(r)).toBe(201);
  fixed.repair = r.json.repair.repairId;
});

afterAll(async () => {
  await gw?.stop();
  await db?.drop();
});

// ---------------------------------------------------------------------------------------------
// arbitraries

const NASTY = [
  '\u0000', '\u0001', '\u0008', '\u000b', '\u001b', '\u001f', '\u007f', '\u0085', '\ud800', '\udbff', '\udc00', '\udfff',
  '\u2028', '\u2029', '\ufeff', '\uffff', '\ufffe', '𝟗', '９１３２', 'Ⅻ', 'ﬁ', 'İ', 'ß', '\u0301', '\u200d',
  '%00', '%', '%zz', '../', '..\\', '<script>alert(1)</script>', "'; DROP TABLE records;--", '$(id)', '{{7*7}}',
  '\\u0000', '\\', '"', '\n', '\r\n', '\t', ' ', '', '0', '-1', '1e309', 'NaN', 'null', 'true', '[]', '{}',
  '2024-02-30', '2024-13-01', '0000-00-00', '2024-01-01T25:00:00Z', '91320583MA1XXXXXXX', '11320583000012343X',
];

const nastyString: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom(...NASTY), fc.string({ maxLength: 8 })), { maxLength: 5 })
  .map((parts) => parts.join(''));

const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: nastyString },
  { weight: 1, arbitrary: fc.string({ minLength: 200, maxLength: 5000 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1e308, -0, Number.MAX_SAFE_INTEGER + 2) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(nastyString, { maxLength: 3 }) },
);

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
function pctBytes(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    s += UNRESERVED.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return s;
}
const pct = (s: string) => pctBytes(Buffer.from(s, 'utf8'));

/** A path segment or query value as it goes on the wire: percent-encoded text, raw invalid bytes, or broken escapes. */
const wireValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: nastyString.map(pct) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 16 }).map(pctBytes) },
  { weight: 2, arbitrary: fc.constantFrom('%', '%zz', '%C0%AF', '%FF%FE', '%ED%A0%80', '%E4%B8', '%00', '', '+', '%2B', '%2F', '..', '%2e%2e', '-1', '0', '1001', '1e309', '99999999999999999999', 'NaN', 'true', 'a'.repeat(600)) },
  { weight: 2, arbitrary: fc.constantFrom('admin_penalty', 'dishonest_debtor', 'active', 'objected', 'open', 'requested', '2024-01-01T00%3A00%3A00Z', '2026Q3', '2026-07', 'city', 'county', 'csv', 'json', '32', '3205', '100', '1') },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.base64String({ maxLength: 40 }).map(pct) },
);

function queryOf(names: readonly string[]): fc.Arbitrary<string> {
  const name = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'limit[]', 'x', '') }, { weight: 1, arbitrary: nastyString.map(pct) });
  const pair = fc.tuple(name, fc.option(wireValue, { nil: undefined, freq: 8 })).map(([k, v]) => (v === undefined ? k : `${k}=${v}`));
  return fc.oneof({ weight: 6, arbitrary: fc.array(pair, { minLength: 1, maxLength: 5 }).map((pairs) => `?${pairs.join('&')}`) }, { weight: 1, arbitrary: fc.constantFrom('', '?', '?&', '?=') });
}

function mutate(base: Record<string, unknown>, mutations: [string[], unknown][]): Record<string, unknown> {
  const item = structuredClone(base);
  for (const [path, value] of mutations) {
    let node: any = item;
    for (const key of path.slice(0, -1)) {
      if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
      node = node[key];
    }
    const last = path[path.length - 1]!;
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return item;
}

const ITEM_PATHS: string[][] = [
  ['category'], ['severity'], ['decidedAt'], ['publishFrom'], ['publishUntil'],
  ['subject'], ['subject', 'uscc'], ['subject', 'name'], ['subject', 'idNumber'], ['subject', 'kind'], ['subject', 'region'],
  ['source'], ['source', 'key'], ['source', 'url'], ['source', 'fetchedAt'],
  ['data'], ['data', 'CF_SY'], ['data', 'CF_XDR_MC'], ['data', 'CF_NR_FK'], ['data', 'CF_JDRQ'], ['data', 'CF_CFLB'], ['data', 'CF_XDR_LB'],
  ['data', 'CF_XDR_ZJHM'], ['data', 'CF_XDR_ZJLX'], ['data', 'BZ'], ['data', 'projectName'], ['data', 'partyRole'], ['extra'], ['data', 'unknownField'],
];

let itemSerial = 0;
const fuzzItem: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.boolean(),
    fc.integer({ min: 1, max: 99_999 }),
    fc.array(fc.tuple(fc.constantFrom(...ITEM_PATHS), fc.option(nastyValue, { nil: undefined, freq: 6 })), { maxLength: 3 }),
  )
  .map(([penalty, n, mutations]) => {
    const key = `fz-${++itemSerial}-${n}`;
    const base = penalty ? penaltyItem({ system: SYS, key, uscc: makeUscc('91', '320583', 600_000 + n) }) : biddingItem({ system: SYS, key, uscc: makeUscc('91', '330106', 600_000 + n) });
    return mutate(base, mutations);
  });

const jsonBody = (arb: fc.Arbitrary<unknown>): fc.Arbitrary<Buffer> =>
  fc.oneof(
    { weight: 8, arbitrary: arb.map((v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8')) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
  );

interface FuzzRequest {
  method: string;
  target: string;
  body?: Buffer;
  headers?: Record<string, string>;
}

const evidence = fc.array(fc.record({ ref: nastyValue, description: fc.option(nastyValue, { nil: undefined }) }, { requiredKeys: ['ref'] }), { maxLength: 3 });
const idSegment = (real: () => string) => fc.oneof({ weight: 2, arbitrary: fc.constant(null).map(() => real()) }, { weight: 3, arbitrary: wireValue });

const ROUTES: { name: string; arb: fc.Arbitrary<FuzzRequest> }[] = [
  {
    name: 'POST /v1/records',
    arb: jsonBody(fc.oneof({ weight: 6, arbitrary: fc.record({ records: fc.array(fuzzItem, { minLength: 1, maxLength: 3 }) }) }, { weight: 1, arbitrary: fc.record({ records: fc.array(nastyValue, { maxLength: 3 }) }) }, { weight: 1, arbitrary: fc.dictionary(nastyString, nastyValue, { maxKeys: 3 }) })).map((body) => ({ method: 'POST', target: '/v1/records', body })),
  },
  { name: 'GET /v1/records (feed)', arb: queryOf(['uscc', 'category', 'status', 'updatedAfter', 'cursor', 'limit']).map((q) => ({ method: 'GET', target: `/v1/records${q}` })) },
  { name: 'GET /v1/records/:recordId', arb: fc.tuple(idSegment(() => fixed.record), queryOf(['x'])).map(([id, q]) => ({ method: 'GET', target: `/v1/records/${id}${q}` })) },
  {
    name: 'GET /v1/subjects/:uscc',
    arb: fc
      .tuple(fc.oneof(wireValue, fc.constantFrom(fixed.uscc, fixed.uscc.toLowerCase(), pct('９１３２０５８３'), `%20${fixed.uscc}%20`)), queryOf(['purpose', 'x']), fc.oneof(wireValue, fc.constant('bidding%3AZB-2024-001')))
      .map(([u, q, purpose]) => ({ method: 'GET', target: `/v1/subjects/${u}${q}`, headers: { 'x-request-purpose': purpose } })),
  },
  { name: 'GET /v1/catalog', arb: queryOf(['lang', 'x']).map((q) => ({ method: 'GET', target: `/v1/catalog${q}` })) },
  { name: 'GET /v1/schemas/:name', arb: fc.tuple(fc.oneof(wireValue, fc.constantFrom('record', 'record-input', 'common', 'categories%2Fadmin_penalty', 'categories', '..%2F..%2Fpackage')), queryOf(['x'])).map(([n, q]) => ({ method: 'GET', target: `/v1/schemas/${n}${q}` })) },
  {
    name: 'POST /v1/records/:recordId/objections',
    arb: fc
      .tuple(idSegment(() => fixed.record), jsonBody(fc.record({ reason: nastyValue, evidence }, { requiredKeys: [] })))
      .map(([id, body]) => ({ method: 'POST', target: `/v1/records/${id}/objections`, body })),
  },
  {
    name: 'POST /v1/objections/:id/decision',
    arb: fc
      .tuple(idSegment(() => fixed.objection), jsonBody(fc.record({ decision: fc.oneof(fc.constantFrom('upheld', 'rejected'), nastyValue), outcome: fc.oneof(fc.constantFrom('corrected', 'revoked'), nastyValue), reason: nastyValue }, { requiredKeys: [] })))
      .map(([id, body]) => ({ method: 'POST', target: `/v1/objections/${id}/decision`, body })),
  },
  { name: 'GET /v1/objections', arb: queryOf(['status', 'recordId', 'overdue', 'limit']).map((q) => ({ method: 'GET', target: `/v1/objections${q}` })) },
  { name: 'GET /v1/objections/:id', arb: idSegment(() => fixed.objection).map((id) => ({ method: 'GET', target: `/v1/objections/${id}` })) },
  {
    name: 'POST /v1/records/:recordId/repairs',
    arb: fc
      .tuple(idSegment(() => fixed.record), jsonBody(fc.record({ commitmentRef: nastyValue, reason: nastyValue, evidence }, { requiredKeys: [] })))
      .map(([id, body]) => ({ method: 'POST', target: `/v1/records/${id}/repairs`, body })),
  },
  {
    name: 'POST /v1/repairs/:id/decision',
    arb: fc
      .tuple(idSegment(() => fixed.repair), jsonBody(fc.record({ decision: fc.oneof(fc.constantFrom('granted', 'rejected'), nastyValue), reason: nastyValue }, { requiredKeys: [] })))
      .map(([id, body]) => ({ method: 'POST', target: `/v1/repairs/${id}/decision`, body })),
  },
  { name: 'GET /v1/repairs', arb: queryOf(['status', 'recordId', 'overdue', 'limit']).map((q) => ({ method: 'GET', target: `/v1/repairs${q}` })) },
  { name: 'GET /v1/repairs/:id', arb: idSegment(() => fixed.repair).map((id) => ({ method: 'GET', target: `/v1/repairs/${id}` })) },
  {
    name: 'POST /v1/checks',
    arb: fc
      .tuple(
        jsonBody(fc.record({ codes: fc.oneof(fc.array(fc.oneof(nastyValue, fc.constant(fixed.uscc)), { maxLength: 6 }), nastyValue), purpose: nastyValue }, { requiredKeys: [] })),
        fc.option(fc.oneof(wireValue, fc.constant('bidding%3AZB-2024-001')), { nil: undefined }),
      )
      .map(([body, purpose]) => ({ method: 'POST', target: '/v1/checks', body, ...(purpose !== undefined ? { headers: { 'x-request-purpose': purpose } } : {}) })),
  },
  { name: 'GET /v1/connectors', arb: queryOf(['x']).map((q) => ({ method: 'GET', target: `/v1/connectors${q}` })) },
  { name: 'GET /v1/connectors/:name/runs', arb: fc.tuple(fc.oneof(wireValue, fc.constantFrom('court-dishonest', 'xzcf-feed')), queryOf(['limit'])).map(([n, q]) => ({ method: 'GET', target: `/v1/connectors/${n}/runs${q}` })) },
  {
    name: 'POST /v1/connectors/:name/runs',
    arb: fc.tuple(fc.oneof(wireValue, fc.constantFrom('court-dishonest', 'no-such')), fc.option(jsonBody(nastyValue), { nil: undefined })).map(([n, body]) => ({ method: 'POST', target: `/v1/connectors/${n}/runs`, ...(body ? { body } : {}) })),
  },
  { name: 'GET /v1/reports/integrity', arb: queryOf(['period', 'level', 'region', 'format']).map((q) => ({ method: 'GET', target: `/v1/reports/integrity${q}` })) },
  { name: 'GET /v1/alerts', arb: queryOf(['kind', 'region', 'cursor', 'limit']).map((q) => ({ method: 'GET', target: `/v1/alerts${q}` })) },
  {
    name: 'GET /v1/templates/:category',
    arb: fc.tuple(fc.oneof(wireValue, fc.constantFrom('admin_penalty', 'procurement_breach', 'no_such', '..%2Fcommon')), queryOf(['format', 'x'])).map(([c, q]) => ({ method: 'GET', target: `/v1/templates/${c}${q}` })),
  },
  { name: 'GET /v1/deliveries', arb: queryOf(['destination', 'state', 'cursor', 'limit']).map((q) => ({ method: 'GET', target: `/v1/deliveries${q}` })) },
  { name: 'GET /v1/uploads', arb: queryOf(['state', 'cursor', 'limit']).map((q) => ({ method: 'GET', target: `/v1/uploads${q}` })) },
];

// ---------------------------------------------------------------------------------------------
// judging answers

async function judge(ans: Answer): Promise<string | undefined> {
  const issues: string[] = [];
  if (ans.status >= 500) issues.push(`status ${ans.status}`);
  if (ans.status >= 400) {
    if (!isProblem(ans)) issues.push(`a ${ans.status} that is not problem+json with a code`);
    else if (ans.json.status !== ans.status) issues.push(`problem status ${ans.json.status} ≠ ${ans.status}`);
  }
  const sig = await checkAnswerSignature(gw.url, ans);
  if (!sig.ok) issues.push(`X-Response-Signature: ${sig.reason}`);
  return issues.length ? issues.join(' + ') : undefined;
}

function describeRequest(r: FuzzRequest): string {
  const body = r.body ? ` body=${JSON.stringify(r.body.subarray(0, 160).toString('utf8'))}` : '';
  const headers = r.headers ? ` headers=${JSON.stringify(r.headers)}` : '';
  return `${r.method} ${r.target.slice(0, 200)}${headers}${body}`;
}

describe('fuzzing every /v1 route with signed requests', () => {
  for (const route of ROUTES) {
    it(`${route.name}: never 5xx, errors are problem+json, answers signed`, async () => {
      // violations grouped by kind (verdict, status, code), with the first example of each
      const kinds = new Map<string, { count: number; example: string }>();
      const note = (kind: string, example: string) => {
        const k = kinds.get(kind);
        if (k) k.count++;
        else kinds.set(kind, { count: 1, example });
      };
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(route.arb, async (req) => {
          runs++;
          let ans: Answer;
          try {
            ans = await signed(gw.url, F, req.method, req.target, { ...(req.body !== undefined ? { rawBody: req.body } : {}), ...(req.headers ? { headers: req.headers } : {}) });
          } catch (e) {
            // the client refused to send it (e.g. a header value Node will not put on the wire): not the gateway's fault
            if (/Invalid character|unescaped characters|Invalid value/i.test((e as Error).message)) return true;
            note(`request failed: ${(e as Error).message.slice(0, 80)}`, describeRequest(req));
            return true;
          }
          const v = await judge(ans);
          if (v) note(`${v} (${ans.status} ${String(ans.json?.code ?? '')})`, `${describeRequest(req)} → ${show(ans).slice(0, 300)}`);
          return true;
        }),
        { numRuns: RUNS, plugins: [fc.interruptAfterTimeLimit(TIME_PER_ROUTE_MS)] },
      );
      expect(runs).toBeGreaterThan(0);
      const summary = [...kinds.entries()].map(([kind, { count, example }]) => `${count}× ${kind}; e.g. ${example}`);
      expect(summary, `${runs} runs`).toEqual([]);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// what was stored

const GB11643_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
function isPersonalId(s: string): boolean {
  if (!/^\d{17}[\dX]$/.test(s)) return false;
  const sum = GB11643_WEIGHTS.reduce((acc, w, i) => acc + w * Number(s[i]), 0);
  return '10X98765432'[sum % 11] === s[17];
}

function makeAjv() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addFormat('uscc', { type: 'string', validate: (s: string) => isValidUscc(s) });
  ajv.addFormat('personal-id', { type: 'string', validate: (s: string) => isPersonalId(s) });
  ajv.addFormat('gb2260', { type: 'string', validate: (s: string) => /^\d{6}$/.test(s) });
  // README "Records": a subject may carry a GB 11714 organisation code (9 characters, mod-11 check)
  ajv.addFormat('org-code', { type: 'string', validate: (s: string) => /^[0-9A-Z]{8}[0-9X]$/.test(s) && orgCodeCheckChar(s.slice(0, 8)) === s[8] });
  const dir = join(process.cwd(), 'schemas');
  const files = [...readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f)), ...readdirSync(join(dir, 'categories')).map((f) => join(dir, 'categories', f))];
  for (const f of files) ajv.addSchema(JSON.parse(readFileSync(f, 'utf8')));
  return ajv;
}

const BAD_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
function badStrings(value: unknown, path = ''): string[] {
  if (typeof value === 'string') return BAD_TEXT.test(value) ? [path || '/'] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => badStrings(v, `${path}/${i}`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [...(BAD_TEXT.test(k) ? [`${path}/<key ${JSON.stringify(k)}>`] : []), ...badStrings(v, `${path}/${k}`)]);
  return [];
}

describe('after the fuzzing', () => {
  it('every stored record, read back through the API, validates against record.schema.json and its category schema, with well-formed text', async () => {
    const ajv = makeAjv();
    const validateRecord = ajv.getSchema('urn:credit-gateway:schema:record');
    expect(validateRecord).toBeDefined();
    const ids: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 30; page++) {
      const q = `limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const ans = await signed(gw.url, F, 'GET', `/v1/records?${q}`);
      expect(ans.status, show(ans)).toBe(200);
      const items = ans.json.items as { recordId: string }[];
      ids.push(...items.map((r) => r.recordId));
      cursor = ans.json.nextCursor ?? undefined;
      if (!cursor || items.length === 0) break;
    }
    expect(ids.length, 'the seed records at least').toBeGreaterThanOrEqual(4);
    const unique = [...new Set(ids)];
    expect(unique.length, 'the feed repeats no record').toBe(ids.length);
    const invalid: string[] = [];
    for (const id of unique.slice(0, 600)) {
      const ans = await signed(gw.url, F, 'GET', `/v1/records/${id}`);
      if (ans.status !== 200) {
        invalid.push(`${id}: GET is ${show(ans)}`);
        continue;
      }
      const envelopes: [string, any][] = [['record', ans.json.record], ...((ans.json.versions ?? []) as any[]).filter((v) => v?.envelope).map((v, i): [string, any] => [`versions/${i}/envelope`, v.envelope])];
      for (const [where, rec] of envelopes) {
        if (!validateRecord!(rec)) invalid.push(`${id} ${where}: ${ajv.errorsText(validateRecord!.errors)}`);
        const validateData = ajv.getSchema(`urn:credit-gateway:schema:categories:${String(rec?.category)}`);
        if (!validateData) invalid.push(`${id} ${where}: no category schema for ${String(rec?.category)}`);
        else if (!validateData(rec.data)) invalid.push(`${id} ${where} data: ${ajv.errorsText(validateData.errors)}`);
        const bad = badStrings(rec);
        if (bad.length) invalid.push(`${id} ${where}: control characters or lone surrogates at ${bad.join(', ')}`);
      }
    }
    expect(invalid.slice(0, 10), `${invalid.length} problems in ${unique.length} stored records (${Math.min(unique.length, 600)} read back)`).toEqual([]);
  });
});
