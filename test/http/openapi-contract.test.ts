/**
 * The OpenAPI document a gateway serves at /docs/json is whole: Redocly lints it without errors;
 * every operation has a unique operationId, a tag, a summary, its path parameters, its answers and
 * its refusals with their stable codes; every `$ref` resolves within the document; the schema files
 * are in it; and real answers of a gateway match the schemas it documents for them.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config/load.js';
import { authOverrides, makePartner, type TestPartner } from '../../src/dev/partner.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { addDays, chinaDayOf } from '../../src/domain/publication-periods.js';
import { scratchDir } from '../../src/dev/scratch-dir.js';
import { ERRORS } from '../../src/errors.js';
import { OPERATIONS } from '../../src/http/openapi/operations.js';
import { addIdentifierFormats } from '../../src/validation/formats.js';
import { startTestGateway, type TestGateway } from '../support/env.js';

const run = promisify(execFile);
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const PURPOSE = encodeURIComponent('合同履约信用核查 openapi-contract');

/** Redocly's recommended rules, and every 4xx answer documented as RFC 9457 problem+json. */
const REDOCLY_CONFIG = 'extends:\n  - recommended\nrules:\n  operation-4xx-problem-details-rfc7807: error\n';

/** The warnings that remain, and why. */
const KNOWN_WARNINGS = [
  // the project states no licence (package.json is private and names none): not the document's to choose
  'warn info-license #/info',
  // the gateway's public keys are open and static: the route answers 200 and nothing else
  'warn operation-4xx-response #/paths/~1.well-known~1jwks.json/get/responses',
  // the objection decision's own schema (src/routes/objections.ts): `then` requires, and `else` forbids, the
  // `outcome` member that the enclosing object declares; the rule does not look outside the conditional
  'warn no-required-schema-properties-undefined #/paths/~1v1~1objections~1{id}~1decision/post/requestBody/content/application~1json/schema/then/required/0',
  'warn no-required-schema-properties-undefined #/paths/~1v1~1objections~1{id}~1decision/post/requestBody/content/application~1json/schema/else/not/required/0',
];

let gw: TestGateway;
let partner: TestPartner;
let doc: any;

beforeAll(async () => {
  partner = await makePartner({
    scopes: ['records:write', 'records:read', 'subjects:read', 'checks:run', 'objections:write', 'objections:decide', 'repairs:decide', 'monitoring:read'],
  });
  gw = await startTestGateway(authOverrides([partner]));
  const res = await fetch(`${gw.url}/docs/json`);
  expect(res.status).toBe(200);
  doc = await res.json();
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

function operations(): Array<{ method: string; path: string; op: any }> {
  return Object.entries(doc.paths as Record<string, any>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method] })));
}

/** The value a local `$ref` points at, or undefined. */
function resolvePointer(ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: any = doc;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

function allRefs(node: unknown, at = '#', out: Array<{ at: string; ref: string }> = []): Array<{ at: string; ref: string }> {
  if (Array.isArray(node)) node.forEach((item, i) => allRefs(item, `${at}/${i}`, out));
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push({ at, ref: value });
      else allRefs(value, `${at}/${key}`, out);
    }
  }
  return out;
}

describe('GET /docs/json', () => {
  it('passes Redocly lint (recommended rules, and problem+json for every 4xx) with no errors and only the known warnings', async () => {
    const dir = scratchDir('openapi-lint-');
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc, null, 2));
    writeFileSync(join(dir, 'redocly.yaml'), REDOCLY_CONFIG);
    let stdout: string;
    try {
      ({ stdout } = await run(join(REPO_ROOT, 'node_modules/.bin/redocly'), ['lint', file, '--config', join(dir, 'redocly.yaml'), '--format=json'], {
        cwd: dir,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        maxBuffer: 64 * 1024 * 1024,
      }));
    } catch (err) {
      stdout = (err as { stdout?: string }).stdout ?? '';
    }
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer?: string }> }> };
    const found = report.problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer ?? ''}`);
    const listed = report.problems.map((p, i) => `${found[i]}: ${p.message}`).join('\n');
    expect(report.totals.errors, listed).toBe(0);
    expect(found.sort(), listed).toEqual([...KNOWN_WARNINGS].sort());
  }, 120_000);

  it('gives every operation a unique operationId, a tag, a summary and an entry in the operations table', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThanOrEqual(22);
    const ids = ops.map(({ op }) => op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[A-Za-z][A-Za-z0-9]*$/.test(id)), ids.join(', ')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const tags = new Set(doc.tags.map((t: any) => t.name));
    for (const { method, path, op } of ops) {
      expect(op.tags?.length, `${method} ${path}`).toBe(1);
      expect(tags.has(op.tags[0]), `${method} ${path} tag ${op.tags[0]}`).toBe(true);
      expect(op.summary, `${method} ${path}`).toEqual(expect.any(String));
    }
    // the table describes routes that exist, and nothing else
    expect(ops.map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort()).toEqual(Object.keys(OPERATIONS).sort());
  });

  it('declares every path parameter, once, and no other', () => {
    for (const { method, path, op } of operations()) {
      const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const params = (op.parameters ?? []).map((p: any) => (p.$ref ? resolvePointer(p.$ref) : p) as any);
      const declared = params.filter((p: any) => p.in === 'path');
      expect(declared.map((p: any) => p.name).sort(), `${method} ${path}`).toEqual([...inTemplate].sort());
      expect(declared.every((p: any) => p.required === true && p.schema), `${method} ${path}`).toBe(true);
    }
  });

  it('resolves every $ref within the document', () => {
    const refs = allRefs(doc);
    expect(refs.length).toBeGreaterThan(100);
    const broken = refs.filter(({ ref }) => resolvePointer(ref) === undefined);
    expect(broken, JSON.stringify(broken.slice(0, 20), null, 1)).toEqual([]);
  });

  it('bundles the record schema files and their definitions as components', () => {
    const names = Object.keys(doc.components.schemas);
    for (const name of ['record', 'record-input', 'record-input.subject', 'common.uscc', 'common.personalId', 'categories.dishonest_debtor', 'categories.procurement_breach.seriousDishonesty']) {
      expect(names, name).toContain(name);
    }
    expect(JSON.stringify(doc.components.schemas)).not.toMatch(/urn:credit-gateway:schema|"#\/\$defs\//);
  });

  it('documents request bodies, headers, security, answers and refusals with their stable codes', () => {
    const codes = new Set(Object.keys(ERRORS));
    for (const { method, path, op } of operations()) {
      const name = `${method.toUpperCase()} ${path}`;
      const statuses = Object.keys(op.responses);
      const success = statuses.filter((s) => s.startsWith('2'));
      expect(success, name).toHaveLength(1);
      expect(Object.keys(op.responses[success[0]!].content ?? {}), name).not.toHaveLength(0);
      for (const status of statuses.filter((s) => /^[45]/.test(s))) {
        const answer = op.responses[status];
        expect(Object.keys(answer.content), `${name} ${status}`).toEqual(['application/problem+json']);
        for (const code of answer['x-error-codes']) {
          expect(codes.has(code), `${name} ${code}`).toBe(true);
          expect(String(ERRORS[code as keyof typeof ERRORS].status), `${name} ${code}`).toBe(status);
        }
      }
      if (!path.startsWith('/v1/')) continue;
      expect(op.security.length, name).toBeGreaterThan(0);
      expect(op['x-error-codes'], name).toEqual(expect.arrayContaining(['GW_AUTH_TOKEN_MISSING', 'GW_AUTH_SCOPE_MISSING', 'GW_INTERNAL']));
      expect(op.responses[success[0]!].headers['X-Response-Signature'], name).toBeDefined();
      const headers = (op.parameters ?? []).filter((p: any) => p.$ref?.startsWith('#/components/parameters/')).map((p: any) => (resolvePointer(p.$ref) as any).name);
      expect(headers, name).toEqual(expect.arrayContaining(['X-Request-Purpose', 'Accept-Language', ...(op.requestBody ? ['Content-Digest'] : [])]));
    }
    const push = doc.paths['/v1/records'].post;
    expect(push.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/RecordBatch' });
    expect(push.parameters).toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
    expect(push.security).toEqual([{ partnerJwt: ['records:write'] }]);
    expect(Object.keys(doc.paths['/v1/records/{recordId}/objections'].post.responses)).toContain('201');
    expect(Object.keys(doc.paths['/v1/records/{recordId}/repairs'].post.responses)).toContain('201');
    expect(doc.paths['/v1/objections/{id}/decision'].post.requestBody.content['application/json'].schema.required).toEqual(['decision', 'reason']);
    expect(doc.components.securitySchemes.partnerJwt).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    const template = doc.paths['/v1/templates/{category}'].get;
    expect(Object.keys(template.responses['200'].content).sort()).toEqual(['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'text/csv']);
    expect(template.responses['404']['x-error-codes']).toContain('GW_SCHEMA_NOT_FOUND');
    expect(template.responses['400']['x-error-codes']).toContain('GW_REQUEST_INVALID');
  });
});

/** Validates real answers against the schema the document gives for their operation, status and media type. */
function documentedValidator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addIdentifierFormats(ajv);
  ajv.addSchema(doc, 'openapi.json');
  const compiled = new Map<string, ValidateFunction>();
  return async (method: string, path: string, res: Response): Promise<any> => {
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const pointer = ['paths', path, method, 'responses', String(res.status), 'content', mediaType, 'schema']
      .map((s) => encodeURIComponent(s.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/');
    const body = JSON.parse(await res.text());
    const at = `${method.toUpperCase()} ${path} ${res.status} ${mediaType}`;
    expect(resolvePointer(`#/${pointer}`), `${at} is not documented`).toBeDefined();
    let validate = compiled.get(pointer);
    if (!validate) compiled.set(pointer, (validate = ajv.compile({ $ref: `openapi.json#/${pointer}` })));
    expect(validate(body) ? [] : validate.errors, `${at}: ${JSON.stringify(body).slice(0, 500)}`).toEqual([]);
    return body;
  };
}

describe('answers of a running gateway', () => {
  it('match the schemas the document gives for them', async () => {
    const documented = documentedValidator();
    const call = (method: string, path: string, body?: unknown, purpose?: boolean) =>
      partner.signedFetch(`${gw.url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: purpose ? { 'x-request-purpose': PURPOSE } : {} });

    const recent = addDays(chinaDayOf(new Date()), -10);
    const item = sampleRecordInput('dishonest_debtor', 72_000_001, { decidedAt: recent });
    const penalty = sampleRecordInput('admin_penalty', 72_000_002, { severity: 'severe', decidedAt: recent });
    const invalid = { ...item, category: 'no_such_category' } as unknown;
    const pushed = await documented('post', '/v1/records', await call('POST', '/v1/records', { records: [item, penalty, invalid] }));
    expect(pushed.summary).toMatchObject({ created: 2, rejected: 1 });
    const [recordId, penaltyId] = [pushed.results[0].recordId as string, pushed.results[1].recordId as string];
    const uscc = item.subject.uscc!;

    await documented('get', '/v1/records/{recordId}', await call('GET', `/v1/records/${recordId}`));
    await documented('get', '/v1/records', await call('GET', `/v1/records?uscc=${uscc}`));
    const profile = await documented('get', '/v1/subjects/{uscc}', await call('GET', `/v1/subjects/${uscc}`, undefined, true));
    expect(profile.records.map((r: any) => r.recordId)).toEqual([recordId]);
    await documented('get', '/v1/subjects', await call('GET', `/v1/subjects?name=${encodeURIComponent(item.subject.name)}`, undefined, true));
    await documented('get', '/v1/catalog', await call('GET', '/v1/catalog'));
    await documented('get', '/v1/schemas/{name}', await call('GET', '/v1/schemas/record'));
    const noTemplate = await documented('get', '/v1/templates/{category}', await call('GET', '/v1/templates/no_such_category'));
    expect(noTemplate.code).toBe('GW_SCHEMA_NOT_FOUND');
    await documented('post', '/v1/checks', await call('POST', '/v1/checks', { codes: [uscc, 'not-a-code'] }, true));

    const filed = await documented('post', '/v1/records/{recordId}/objections', await call('POST', `/v1/records/${recordId}/objections`, { reason: '案号有误' }));
    const objectionId = filed.objection.objectionId as string;
    await documented('get', '/v1/objections/{id}', await call('GET', `/v1/objections/${objectionId}`));
    await documented('get', '/v1/objections', await call('GET', '/v1/objections?status=open'));
    await documented('post', '/v1/objections/{id}/decision', await call('POST', `/v1/objections/${objectionId}/decision`, { decision: 'rejected', reason: '核实无误' }));
    const decided = await documented('post', '/v1/objections/{id}/decision', await call('POST', `/v1/objections/${objectionId}/decision`, { decision: 'rejected', reason: '再次' }));
    expect(decided.code).toBe('GW_OBJECTION_ALREADY_DECIDED');
    const missing = await documented('post', '/v1/records/{recordId}/objections', await call('POST', '/v1/records/00000000-0000-4000-8000-000000000000/objections', { reason: 'x' }));
    expect(missing.code).toBe('GW_RECORD_NOT_FOUND');
    const tooEarly = await documented('post', '/v1/records/{recordId}/repairs', await call('POST', `/v1/records/${penaltyId}/repairs`, { commitmentRef: 'XYCN-1' }));
    expect(tooEarly).toMatchObject({ code: 'GW_REPAIR_TOO_EARLY', recordId: penaltyId });
    await documented('get', '/v1/repairs', await call('GET', '/v1/repairs'));

    await documented('get', '/v1/alerts', await call('GET', '/v1/alerts'));
    await documented('get', '/v1/reports/integrity', await call('GET', `/v1/reports/integrity?period=${new Date().getUTCFullYear()}&level=province`));
    await documented('get', '/.well-known/jwks.json', await fetch(`${gw.url}/.well-known/jwks.json`));
  }, 120_000);
});
