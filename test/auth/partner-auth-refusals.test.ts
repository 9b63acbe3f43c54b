/**
 * Every refusal of partner authentication, on a real gateway (PostgreSQL replay store and rate
 * counters): each bad token, binding or grant gets its 401/403/429 problem with a stable code, and
 * a valid request passes. Key rotation through a jwks_uri, two processes, Redis and the audit log
 * have their own files (auth-*.test.ts).
 */
import { createPublicKey } from 'node:crypto';
import Fastify from 'fastify';
import { SignJWT, base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuthRuntime, partnerAuth } from '../../src/auth/partner-auth.js';
import { jsonBody } from '../../src/http/plugins/json-body.js';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { authOverrides, makeKeyPair, makePartner, TEST_AUDIENCE, type TestPartner } from '../../src/dev/partner.js';
import { startTestGateway, type TestGateway } from '../support/env.js';

let gw: TestGateway;
let full: TestPartner;
let court: TestPartner;
const COURT_SYSTEM = 'court.kunshan';
let reader: TestPartner;
let limited: TestPartner;
let fenced: TestPartner;
let local: TestPartner;
let rsa: TestPartner;
let rsaNotAllowed: TestPartner;

const url = (path: string) => gw.url + path;
const now = () => Math.floor(Date.now() / 1000);

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await res.json()) as { code: string; status: number; detail?: string; errors?: Array<{ pointer: string; rule: string }> };
}

async function expectRefused(res: Response, status: number, code: string) {
  const body = await problem(res);
  expect({ status: res.status, code: body.code }).toEqual({ status, code });
  // never any key material in a refusal
  expect(JSON.stringify(body)).not.toMatch(/"(d|x|y|n|e|k)":/);
  return body;
}

beforeAll(async () => {
  full = await makePartner({ scopes: ['records:write', 'records:read', 'subjects:read', 'pii:read'] });
  court = await makePartner({ scopes: ['records:write', 'records:read'], sourceSystems: [COURT_SYSTEM], categories: ['dishonest_debtor'], regions: ['3205'] });
  reader = await makePartner({ scopes: ['records:read'] });
  limited = await makePartner({ scopes: ['records:read'], rateLimit: { requests: 3, perSeconds: 3600 } });
  fenced = await makePartner({ scopes: ['records:read'], cidrs: ['10.0.0.0/8', '192.168.0.0/16'] });
  local = await makePartner({ scopes: ['records:read'], cidrs: ['127.0.0.0/8', '::1/128'] });
  rsa = await makePartner({ scopes: ['records:read'], alg: 'RS256', allowRs256: true });
  rsaNotAllowed = await makePartner({ scopes: ['records:read'], alg: 'RS256', allowRs256: false });
  // registered without an alg member, so only allowRs256 stands between it and RS256
  delete (rsaNotAllowed.entry.jwks!.keys[0] as { alg?: string }).alg;
  gw = await startTestGateway(authOverrides([full, court, reader, limited, fenced, local, rsa, rsaNotAllowed]));
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

describe('a valid signed request', () => {
  it('passes, for ES256 and for RS256 where the partner is configured for it', async () => {
    expect((await full.signedFetch(url('/v1/catalog'))).status).toBe(200);
    expect((await rsa.signedFetch(url('/v1/catalog'))).status).toBe(200);
  });

  it('leaves health, metrics, docs and the JWKS open', async () => {
    for (const path of ['/healthz', '/metrics', '/.well-known/jwks.json', '/docs/json']) {
      expect((await fetch(url(path))).status, path).toBe(200);
    }
  });
});

describe('token refusals (401)', () => {
  it('no token', async () => {
    const counted = async () => Number(/^gateway_auth_refusals_total\{code="GW_AUTH_TOKEN_MISSING"\} (\d+)$/m.exec(await (await fetch(url('/metrics'))).text())?.[1] ?? 0);
    const before = await counted();
    await expectRefused(await fetch(url('/v1/catalog')), 401, 'GW_AUTH_TOKEN_MISSING');
    expect(await counted()).toBe(before + 1); // by code, on /metrics
  });

  it('not a JWT', async () => {
    await expectRefused(await fetch(url('/v1/catalog'), { headers: { authorization: 'Bearer abc' } }), 401, 'GW_AUTH_TOKEN_MALFORMED');
  });

  it('expired', async () => {
    const res = await full.signedFetch(url('/v1/catalog'), { claims: { iat: now() - 400, exp: now() - 120 } });
    await expectRefused(res, 401, 'GW_AUTH_TOKEN_EXPIRED');
  });

  it('not yet valid (nbf in the future)', async () => {
    const res = await full.signedFetch(url('/v1/catalog'), { claims: { nbf: now() + 120 } });
    await expectRefused(res, 401, 'GW_AUTH_TOKEN_NOT_YET_VALID');
  });

  it('iat more than 10 s in the future', async () => {
    const res = await full.signedFetch(url('/v1/catalog'), { claims: { iat: now() + 30, exp: now() + 90 } });
    const body = await expectRefused(res, 401, 'GW_AUTH_TOKEN_NOT_YET_VALID');
    expect(body.detail).toMatch(/iat/);
  });

  it('lifetime over 300 s, and a missing jti', async () => {
    await expectRefused(await full.signedFetch(url('/v1/catalog'), { claims: { exp: now() + 301 } }), 401, 'GW_AUTH_CLAIMS_INVALID');
    await expectRefused(await full.signedFetch(url('/v1/catalog'), { claims: { jti: undefined } }), 401, 'GW_AUTH_CLAIMS_INVALID');
  });

  it('wrong aud', async () => {
    const res = await full.signedFetch(url('/v1/catalog'), { claims: { aud: 'some-other-gateway' } });
    await expectRefused(res, 401, 'GW_AUTH_AUDIENCE_INVALID');
  });

  it('wrong iss: not a registered partner, or sub differing from iss', async () => {
    const stranger = syntheticUscc(4242, { kindCode: '11' });
    await expectRefused(await full.signedFetch(url('/v1/catalog'), { claims: { iss: stranger, sub: stranger } }), 401, 'GW_AUTH_ISSUER_UNKNOWN');
    await expectRefused(await full.signedFetch(url('/v1/catalog'), { claims: { sub: court.id } }), 401, 'GW_AUTH_ISSUER_UNKNOWN');
    // a registered partner's id with another partner's key: the signature does not verify
    await expectRefused(await full.signedFetch(url('/v1/catalog'), { claims: { iss: court.id, sub: court.id }, header: { kid: court.kid } }), 401, 'GW_AUTH_SIGNATURE_INVALID');
  });

  it('unknown kid, and a missing kid', async () => {
    await expectRefused(await full.signedFetch(url('/v1/catalog'), { header: { kid: 'no-such-key' } }), 401, 'GW_AUTH_KEY_UNKNOWN');
    await expectRefused(await full.signedFetch(url('/v1/catalog'), { header: { kid: undefined } }), 401, 'GW_AUTH_TOKEN_MALFORMED');
  });

  it('alg: none', async () => {
    const headers = await full.sign(url('/v1/catalog'));
    const [, payload] = headers.authorization!.slice(7).split('.');
    const unsigned = `${base64url.encode(JSON.stringify({ alg: 'none', kid: full.kid, typ: 'JWT' }))}.${payload}.`;
    await expectRefused(await fetch(url('/v1/catalog'), { headers: { authorization: `Bearer ${unsigned}` } }), 401, 'GW_AUTH_ALG_NOT_ALLOWED');
  });

  it('HS256 signed with the public key as the secret (JWK text and PEM)', async () => {
    const pem = createPublicKey({ key: full.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
    for (const secret of [JSON.stringify(full.publicJwk), pem]) {
      const headers = await full.sign(url('/v1/catalog'));
      const claims = JSON.parse(Buffer.from(headers.authorization!.slice(7).split('.')[1]!, 'base64url').toString());
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: full.kid }).sign(new TextEncoder().encode(secret));
      await expectRefused(await fetch(url('/v1/catalog'), { headers: { authorization: `Bearer ${forged}` } }), 401, 'GW_AUTH_ALG_NOT_ALLOWED');
    }
  });

  it('RS256 from a partner not configured for it', async () => {
    await expectRefused(await rsaNotAllowed.signedFetch(url('/v1/catalog')), 401, 'GW_AUTH_ALG_NOT_ALLOWED');
  });

  it('a key/alg mismatch: an EC key named in a PS256 header', async () => {
    const { privateJwk } = await makeKeyPair('PS256', full.kid);
    const headers = await full.sign(url('/v1/catalog'));
    const claims = JSON.parse(Buffer.from(headers.authorization!.slice(7).split('.')[1]!, 'base64url').toString());
    const { importJWK } = await import('jose');
    const token = await new SignJWT(claims).setProtectedHeader({ alg: 'PS256', kid: full.kid }).sign(await importJWK(privateJwk, 'PS256'));
    await expectRefused(await fetch(url('/v1/catalog'), { headers: { authorization: `Bearer ${token}` } }), 401, 'GW_AUTH_KEY_UNKNOWN');
  });

  it('replayed jti', async () => {
    const headers = await full.sign(url('/v1/catalog'));
    expect((await fetch(url('/v1/catalog'), { headers })).status).toBe(200);
    await expectRefused(await fetch(url('/v1/catalog'), { headers }), 401, 'GW_AUTH_TOKEN_REPLAYED');
  });

  it('htm mismatch and htu mismatch (path, and query)', async () => {
    await expectRefused(await full.signedFetch(url('/v1/catalog'), { claims: { htm: 'POST' } }), 401, 'GW_AUTH_REQUEST_MISMATCH');
    const headers = await full.sign(url('/v1/records?limit=1'));
    await expectRefused(await fetch(url('/v1/records?limit=1000'), { headers }), 401, 'GW_AUTH_REQUEST_MISMATCH');
    const other = await full.sign(url('/v1/catalog'));
    await expectRefused(await fetch(url('/v1/schemas/credit-record'), { headers: other }), 401, 'GW_AUTH_REQUEST_MISMATCH');
  });
});

describe('body digest', () => {
  const body = JSON.stringify({ records: [sampleRecordInput('dishonest_debtor', 7001)] });

  it('a signed body is accepted', async () => {
    const res = await full.signedFetch(url('/v1/records'), { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).summary.created).toBe(1);
  });

  it('the body changed by one byte after signing', async () => {
    const headers = await full.sign(url('/v1/records'), { method: 'POST', body });
    const changed = body.replace('K7001', 'K7002');
    expect(changed.length).toBe(body.length);
    await expectRefused(await fetch(url('/v1/records'), { method: 'POST', headers, body: changed }), 401, 'GW_AUTH_DIGEST_MISMATCH');
  });

  it('Content-Digest missing', async () => {
    const { 'content-digest': _dropped, ...headers } = await full.sign(url('/v1/records'), { method: 'POST', body });
    await expectRefused(await fetch(url('/v1/records'), { method: 'POST', headers, body }), 401, 'GW_AUTH_DIGEST_MISSING');
    // nor may a body come with neither header nor cdg
    const noCdg = await full.sign(url('/v1/records'), { method: 'POST', body, claims: { cdg: undefined } });
    delete noCdg['content-digest'];
    await expectRefused(await fetch(url('/v1/records'), { method: 'POST', headers: noCdg, body }), 401, 'GW_AUTH_DIGEST_MISSING');
  });

  it('Content-Digest differing from the cdg claim, or from the body', async () => {
    const headers = await full.sign(url('/v1/records'), { method: 'POST', body });
    const wrong = 'sha-256=:' + Buffer.alloc(32).toString('base64') + ':';
    await expectRefused(await fetch(url('/v1/records'), { method: 'POST', headers: { ...headers, 'content-digest': wrong }, body }), 401, 'GW_AUTH_DIGEST_MISMATCH');
    const both = await full.sign(url('/v1/records'), { method: 'POST', body, claims: { cdg: wrong } });
    await expectRefused(await fetch(url('/v1/records'), { method: 'POST', headers: { ...both, 'content-digest': wrong }, body }), 401, 'GW_AUTH_DIGEST_MISMATCH');
  });
});

describe('authorisation (403) and limits (429)', () => {
  it('missing scope', async () => {
    const res = await reader.signedFetch(url('/v1/records'), { method: 'POST', body: JSON.stringify({ records: [sampleRecordInput('dishonest_debtor', 7100)] }) });
    await expectRefused(res, 403, 'GW_AUTH_SCOPE_MISSING');
    await expectRefused(await reader.signedFetch(url(`/v1/subjects/${syntheticUscc(1)}`), { purpose: 'test' }), 403, 'GW_AUTH_SCOPE_MISSING');
  });

  it('category not granted, region not granted: the whole batch is refused with one field error per item', async () => {
    const inGrant = sampleRecordInput('dishonest_debtor', 7200, { source: { system: COURT_SYSTEM } });
    const wrongCategory = sampleRecordInput('admin_penalty', 7201, { source: { system: COURT_SYSTEM } });
    const otherUscc = syntheticUscc(7202, { region: '110105' });
    const wrongRegion = sampleRecordInput('dishonest_debtor', 7202, { subject: { uscc: otherUscc, region: '110105' }, source: { system: COURT_SYSTEM } });
    const res = await court.signedFetch(url('/v1/records'), { method: 'POST', body: JSON.stringify({ records: [inGrant, wrongCategory, wrongRegion] }) });
    const body = await expectRefused(res, 403, 'GW_AUTH_GRANT_MISSING');
    expect(body.errors!.map((e) => [e.pointer, e.rule])).toEqual([
      ['/records/1/category', 'auth.category_not_granted'],
      ['/records/2/subject/region', 'auth.region_not_granted'],
    ]);
    const { rows } = await gw.ctx.pool.query('SELECT count(*)::int AS n FROM records WHERE uscc = $1', [inGrant.subject.uscc]);
    expect(rows[0].n).toBe(0);
    const ok = await court.signedFetch(url('/v1/records'), { method: 'POST', body: JSON.stringify({ records: [inGrant] }) });
    expect(ok.status).toBe(200);
  });

  it('over the rate limit: 429 with Retry-After', async () => {
    for (let i = 0; i < 3; i++) expect((await limited.signedFetch(url('/v1/catalog'))).status).toBe(200);
    const res = await limited.signedFetch(url('/v1/catalog'));
    await expectRefused(res, 429, 'GW_AUTH_RATE_LIMITED');
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
  });

  it('address outside the CIDR list (and inside it)', async () => {
    await expectRefused(await fenced.signedFetch(url('/v1/catalog')), 403, 'GW_AUTH_ADDRESS_NOT_ALLOWED');
    expect((await local.signedFetch(url('/v1/catalog'))).status).toBe(200);
  });

  it('a subject query needs a stated purpose (claim or header)', async () => {
    const uscc = syntheticUscc(7300);
    await expectRefused(await full.signedFetch(url(`/v1/subjects/${uscc}`)), 403, 'GW_AUTH_PURPOSE_REQUIRED');
    expect((await full.signedFetch(url(`/v1/subjects/${uscc}`), { purpose: 'bidding:ZB-2024-001' })).status).toBe(200);
    expect((await full.signedFetch(url(`/v1/subjects/${uscc}`), { headers: { 'x-request-purpose': 'bidding:ZB-2024-002' } })).status).toBe(200);
    const both = await full.signedFetch(url(`/v1/subjects/${uscc}`), { purpose: 'a', headers: { 'x-request-purpose': 'b' } });
    await expectRefused(both, 401, 'GW_AUTH_REQUEST_MISMATCH');
  });

  it('a /v1 route that declares no scope is refused (deny by default)', async () => {
    const app = Fastify();
    const runtime = await openAuthRuntime(gw.ctx);
    expect(runtime).not.toBeNull();
    app.addHook('onClose', async () => runtime!.close());
    await app.register(jsonBody);
    await app.register(partnerAuth, { runtime: runtime!, auth: gw.config.auth });
    app.setErrorHandler((err, _req, reply) => reply.code((err as { status?: number }).status ?? 500).send({ code: (err as { code?: string }).code }));
    app.get('/v1/undeclared', async () => ({ secret: true }));
    app.get('/v1/declared', { config: { scope: 'records:read' } }, async () => ({ ok: true }));
    await app.ready();
    const inject = async (path: string) => {
      const headers = await full.sign(`http://localhost${path}`);
      return app.inject({ method: 'GET', url: path, headers });
    };
    const refused = await inject('/v1/undeclared');
    expect({ status: refused.statusCode, code: refused.json().code }).toEqual({ status: 403, code: 'GW_AUTH_ROUTE_NOT_DECLARED' });
    expect((await inject('/v1/declared')).statusCode).toBe(200);
    await app.close();
  });
});

describe('personal identity numbers', () => {
  it('are masked unless the partner holds pii:read', async () => {
    const { syntheticPersonalId } = await import('../../src/domain/personal-id.js');
    const idNumber = syntheticPersonalId(77);
    const base = sampleRecordInput('dishonest_debtor', 7400);
    const record = { ...base, data: { ...base.data, duty: `${String(base.data.duty)}（担保人身份证号 ${idNumber}）` } };
    const pushed = await full.signedFetch(url('/v1/records'), { method: 'POST', body: JSON.stringify({ records: [record] }) });
    const answer = (await pushed.json()) as any;
    expect(answer.summary.created).toBe(1);
    const path = `/v1/records/${answer.results[0].recordId}`;
    const withPii = await (await full.signedFetch(url(path))).text();
    const withoutPii = await (await reader.signedFetch(url(path))).text();
    expect(withPii).toContain(idNumber);
    expect(withoutPii).not.toContain(idNumber);
  });
});

describe('audience', () => {
  it('is the configured one', () => {
    expect(gw.config.auth.audience).toBe(TEST_AUDIENCE);
  });
});
