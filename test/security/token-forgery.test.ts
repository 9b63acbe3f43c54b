/**
 * Hostile token tests, from README "Onboarding a partner agency" alone: every forged, stale, replayed,
 * mis-bound or malformed token is a 401 problem+json (GW_AUTH_*), nothing is done, and every /v1
 * answer — refusals included — carries an X-Response-Signature that verifies against
 * /.well-known/jwks.json.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import {
  AUDIENCE,
  AUTHORITY_USCC,
  type Answer,
  b64u,
  checkAnswerSignature,
  contentDigest,
  expectSigned,
  expectSignedProblem,
  type GatewayEnv,
  jsonB64u,
  makePartner,
  makeUscc,
  type Partner,
  parseResponses,
  penaltyItem,
  rawSocket,
  request,
  scratchDatabase,
  show,
  signEs256,
  signJws,
  signed,
  signedHeaders,
  startGateway,
  tokenParts,
} from './helpers.js';

const AUTH = /^GW_AUTH_/;

const P = makePartner({
  id: AUTHORITY_USCC,
  name: '昆山市人民法院',
  scopes: ['records:write', 'records:read', 'subjects:read'],
  sourceSystems: ['court.kunshan'],
  categories: ['*'],
  regions: ['*'],
});
const Q = makePartner({
  id: makeUscc('11', '320583', 55501),
  name: '昆山市市场监督管理局',
  scopes: ['records:write', 'records:read'],
  sourceSystems: ['scjg.kunshan'],
  categories: ['*'],
  regions: ['*'],
});

// RL may make 5 requests a minute
const RL = makePartner({
  id: makeUscc('11', '320583', 55502),
  name: '限流测试单位',
  scopes: ['records:read'],
  sourceSystems: ['rl.sys'],
  categories: ['*'],
  regions: ['*'],
  rateLimit: { requests: 5, perSeconds: 60 },
});

// R publishes an RSA key registered for PS256; RS256 is not allowed for it (allowRs256: false).
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const R: Partner = {
  id: makeUscc('12', '320583', 77702),
  name: '昆山市公共资源交易中心',
  kid: `rsa-${randomUUID().slice(0, 8)}`,
  privateKey: rsa.privateKey,
  publicJwk: {},
  scopes: ['records:read'],
  sourceSystems: ['ggzy.kunshan'],
  categories: ['*'],
  regions: ['*'],
  allowRs256: false,
};
R.publicJwk = { ...(rsa.publicKey.export({ format: 'jwk' }) as Record<string, unknown>), kid: R.kid, alg: 'PS256', use: 'sig' };

let db: ScratchDatabase;
let gw: GatewayEnv;
let serial = 1000;
const nextUscc = () => makeUscc('91', '320583', ++serial);

beforeAll(async () => {
  db = await scratchDatabase();
  gw = await startGateway(db.url, [P, Q, R, RL]);
});

afterAll(async () => {
  await gw?.stop();
  await db?.drop();
});

/** Sends a request with exactly this Authorization value (or none) and optional JSON body. */
function withAuth(method: string, target: string, authorization: string | string[] | undefined, body?: Buffer, extra: Record<string, string> = {}): Promise<Answer> {
  const headers: Record<string, string | string[]> = { ...extra };
  if (authorization !== undefined) headers.authorization = authorization;
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-digest'] ??= contentDigest(body);
  }
  return request(gw.url, { method, path: target, headers, ...(body !== undefined ? { body } : {}) });
}

function tokenWith(p: Partner, method: string, target: string, change: (t: { header: Record<string, unknown>; claims: Record<string, unknown> }) => void, body?: Buffer): string {
  const t = tokenParts(p, method, target, body);
  change(t);
  return signEs256(t.header, t.claims, p.privateKey);
}

/** Records stored for a subject, as the (all-category, all-region) partner P reads them in the change feed. */
async function storedFor(uscc: string): Promise<unknown[]> {
  const ans = await signed(gw.url, P, 'GET', `/v1/records?uscc=${uscc}&limit=100`);
  expect(ans.status, show(ans)).toBe(200);
  return ans.json.items as unknown[];
}

function pushBody(uscc: string, key = `k-${randomUUID()}`): Buffer {
  return Buffer.from(JSON.stringify({ records: [penaltyItem({ system: 'court.kunshan', key, uscc })] }));
}

describe('control: a correctly signed request', () => {
  it('GET /v1/catalog is 200 and its answer is signed over the exact bytes, naming the request jti and iat', async () => {
    const ans = await signed(gw.url, P, 'GET', '/v1/catalog');
    expect(ans.status, show(ans)).toBe(200);
    const sig = await expectSigned(gw.url, ans);
    expect(sig.header?.kid).toBeTruthy();
    expect(sig.header?.jti).toBe(ans.jti);
    expect(sig.header?.iat).toBe(ans.iat);
    // the checker itself: one changed byte no longer verifies
    const altered = { ...ans, raw: Buffer.concat([ans.raw, Buffer.from(' ')]) };
    expect((await checkAnswerSignature(gw.url, altered)).ok).toBe(false);
  });

  it('/.well-known/jwks.json publishes public keys only (no d, p, q, dp, dq, qi, k)', async () => {
    const ans = await request(gw.url, { method: 'GET', path: '/.well-known/jwks.json' });
    expect(ans.status, show(ans)).toBe(200);
    const keys = ans.json.keys as Record<string, unknown>[];
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      expect(typeof k.kid).toBe('string');
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) expect(k, `member ${priv}`).not.toHaveProperty(priv);
    }
  });

  it('POST /v1/records with a digest-bound body is 200 and the item is created', async () => {
    const uscc = nextUscc();
    const ans = await signed(gw.url, P, 'POST', '/v1/records', { rawBody: pushBody(uscc) });
    expect(ans.status, show(ans)).toBe(200);
    await expectSigned(gw.url, ans);
    expect(ans.json.results[0].status).toBe('created');
    expect(await storedFor(uscc)).toHaveLength(1);
  });

  it('PS256 with the RSA key the partner registered is accepted (so the RS256 refusal below is about the algorithm)', async () => {
    const t = tokenParts(R, 'GET', '/v1/catalog');
    t.header.alg = 'PS256';
    const ans = await withAuth('GET', '/v1/catalog', `Bearer ${signJws(t.header, t.claims, 'PS256', R.privateKey)}`);
    expect(ans.status, show(ans)).toBe(200);
    await expectSigned(gw.url, ans);
  });
});

describe('forged signatures and algorithms', () => {
  it('alg "none" (any spelling, with or without a signature segment) is refused', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const t = tokenParts(P, 'GET', '/v1/catalog');
      t.header.alg = alg;
      const unsigned = `${jsonB64u(t.header)}.${jsonB64u(t.claims)}`;
      for (const token of [`${unsigned}.`, unsigned]) {
        const ans = await withAuth('GET', '/v1/catalog', `Bearer ${token}`);
        await expectSignedProblem(gw.url, ans, 401, AUTH);
      }
    }
  });

  it('HS256 signed with the partner public key as the HMAC secret (key confusion) is refused', async () => {
    const pubKey = createPublicKey(P.privateKey);
    const secrets = [
      Buffer.from(pubKey.export({ format: 'pem', type: 'spki' }) as string),
      pubKey.export({ format: 'der', type: 'spki' }) as Buffer,
      Buffer.from(JSON.stringify(P.publicJwk)),
      Buffer.from(JSON.stringify({ keys: [P.publicJwk] })),
      Buffer.from(String(P.publicJwk.x)),
    ];
    for (const secret of secrets) {
      const t = tokenParts(P, 'GET', '/v1/catalog');
      t.header.alg = 'HS256';
      const ans = await withAuth('GET', '/v1/catalog', `Bearer ${signJws(t.header, t.claims, 'HS256', secret)}`);
      await expectSignedProblem(gw.url, ans, 401, AUTH);
    }
  });

  it('RS256 is refused for a partner without allowRs256, even with its registered RSA key', async () => {
    const t = tokenParts(R, 'GET', '/v1/catalog');
    t.header.alg = 'RS256';
    const ans = await withAuth('GET', '/v1/catalog', `Bearer ${signJws(t.header, t.claims, 'RS256', R.privateKey)}`);
    await expectSignedProblem(gw.url, ans, 401, AUTH);
  });

  it('an unknown kid, a missing kid and an embedded attacker jwk are refused', async () => {
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const attackerJwk = { ...(attacker.publicKey.export({ format: 'jwk' }) as Record<string, unknown>), alg: 'ES256' };
    const cases: { name: string; change: (t: { header: Record<string, unknown> }) => void; key: typeof attacker.privateKey }[] = [
      { name: 'unknown kid, partner key', change: (t) => (t.header.kid = 'no-such-kid'), key: P.privateKey },
      { name: 'unknown kid, attacker key', change: (t) => (t.header.kid = 'attacker-kid'), key: attacker.privateKey },
      { name: 'no kid', change: (t) => delete t.header.kid, key: P.privateKey },
      { name: 'embedded jwk, no kid', change: (t) => { delete t.header.kid; t.header.jwk = attackerJwk; }, key: attacker.privateKey },
      { name: 'embedded jwk with the partner kid', change: (t) => (t.header.jwk = { ...attackerJwk, kid: P.kid }), key: attacker.privateKey },
      { name: 'jku pointing elsewhere', change: (t) => { t.header.kid = 'attacker-kid'; t.header.jku = 'http://127.0.0.1:9/jwks.json'; }, key: attacker.privateKey },
    ];
    for (const c of cases) {
      const t = tokenParts(P, 'GET', '/v1/catalog');
      c.change(t);
      const ans = await withAuth('GET', '/v1/catalog', `Bearer ${signEs256(t.header, t.claims, c.key)}`);
      await expectSignedProblem(gw.url, ans, 401, AUTH);
    }
  });

  it('a signature over other claims (claims edited after signing), a DER-encoded, an all-zero and a borrowed signature are refused', async () => {
    const good = signEs256(tokenParts(P, 'GET', '/v1/catalog').header, tokenParts(P, 'GET', '/v1/catalog').claims, P.privateKey);
    const [h, c, s] = good.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString());
    const edited = `${h}.${jsonB64u({ ...claims, jti: randomUUID() })}.${s}`;
    const der = sign('sha256', Buffer.from(`${h}.${c}`), { key: P.privateKey, dsaEncoding: 'der' });
    const other = signEs256(tokenParts(P, 'GET', '/v1/records').header, tokenParts(P, 'GET', '/v1/records').claims, P.privateKey).split('.')[2]!;
    const tokens = [edited, `${h}.${c}.${b64u(der)}`, `${h}.${c}.${b64u(Buffer.alloc(64))}`, `${h}.${c}.${other}`, `${h}.${c}.${s.slice(0, -4)}AAAA`];
    for (const token of tokens) {
      const ans = await withAuth('GET', '/v1/catalog', `Bearer ${token}`);
      await expectSignedProblem(gw.url, ans, 401, AUTH);
    }
  });
});

describe('claims', () => {
  it("iss/sub that are not the kid's partner are refused (another partner, an unknown USCC, iss ≠ sub)", async () => {
    const stranger = makeUscc('91', '320583', 99001);
    const variants: Record<string, unknown>[] = [
      { iss: Q.id, sub: Q.id },
      { iss: stranger, sub: stranger },
      { iss: P.id, sub: Q.id },
      { iss: Q.id, sub: P.id },
      { iss: P.id.toLowerCase(), sub: P.id.toLowerCase() },
    ];
    for (const v of variants) {
      const ans = await withAuth('GET', '/v1/catalog', `Bearer ${tokenWith(P, 'GET', '/v1/catalog', (t) => Object.assign(t.claims, v))}`);
      await expectSignedProblem(gw.url, ans, 401, AUTH);
    }
    // a push under Q's identity signed with P's key stores nothing
    const uscc = nextUscc();
    const body = pushBody(uscc);
    const tok = tokenWith(P, 'POST', '/v1/records', (t) => Object.assign(t.claims, { iss: Q.id, sub: Q.id }), body);
    await expectSignedProblem(gw.url, await withAuth('POST', '/v1/records', `Bearer ${tok}`, body), 401, AUTH);
    expect(await storedFor(uscc)).toHaveLength(0);
  });

  it('aud as an array — even one holding our audience — is refused with GW_AUTH_AUDIENCE_INVALID', async () => {
    for (const aud of [[AUDIENCE], ['someone-else', AUDIENCE], [AUDIENCE, AUDIENCE]]) {
      const ans = await withAuth('GET', '/v1/catalog', `Bearer ${tokenWith(P, 'GET', '/v1/catalog', (t) => (t.claims.aud = aud))}`);
      await expectSignedProblem(gw.url, ans, 401, 'GW_AUTH_AUDIENCE_INVALID');
    }
  });

  it('a wrong aud (another audience, different case, empty, trailing space) is refused with GW_AUTH_AUDIENCE_INVALID', async () => {
    for (const aud of ['credit-gateway', AUDIENCE.toUpperCase(), '', `${AUDIENCE} `, `${AUDIENCE}/`]) {
      const ans = await withAuth('GET', '/v1/catalog', `Bearer ${tokenWith(P, 'GET', '/v1/catalog', (t) => (t.claims.aud = aud))}`);
      await expectSignedProblem(gw.url, ans, 401, 'GW_AUTH_AUDIENCE_INVALID');
    }
  });

  it('exp more than 300 s after iat is refused; exactly 300 s is accepted', async () => {
    for (const life of [301, 3600, 86_400 * 365]) {
      const ans = await withAuth('GET', '/v1/catalog', `Bearer ${tokenWith(P, 'GET', '/v1/catalog', (t) => (t.claims.exp = Number(t.claims.iat) + life))}`);
      await expectSignedProblem(gw.url, ans, 401, AUTH);
    }
    const ok = await withAuth('GET', '/v1/catalog', `Bearer ${tokenWith(P, 'GET', '/v1/catalog', (t) => (t.claims.exp = Number(t.claims.iat) + 300))}`);
    expect(ok.status, show(ok)).toBe(200);
  });

  it('iat in the future (beyond 10 s and the skew) is refused; a few seconds ahead is accepted', async () => {
    for (const ahead of [60, 3600]) {
      const ans = await withAuth(
        'GET',
        '/v1/catalog',
        `Bearer ${tokenWith(P, 'GET', '/v1/catalog', (t) => {
          t.claims.iat = Math.floor(Date.now() / 1000) + ahead;
          t.claims.exp = Number(t.claims.iat) + 60;
        })}`,
      );
      await expectSignedProblem(gw.url, ans, 401, AUTH);
    }
    const ok = await withAuth(
      'GET',
      '/v1/catalog',
      `Bearer ${tokenWith(P, 'GET', '/v1/catalog', (t) => {
        t.claims.iat = Math.floor(Date.now() / 1000) + 3;
        t.claims.exp = Number(t.claims.iat) + 60;
      })}`,
    );
    expect(ok.status, show(ok)).toBe(200);
  });

  it('an expired token is refused', async () => {
    const ans = await withAuth(
      'GET',
      '/v1/catalog',
      `Bearer ${tokenWith(P, 'GET', '/v1/catalog', (t) => {
        t.claims.iat = Math.floor(Date.now() / 1000) - 120;
        t.claims.exp = Math.floor(Date.now() / 1000) - 60;
      })}`,
    );
    await expectSignedProblem(gw.url, ans, 401, AUTH);
  });

  it('a token missing any required claim (iss, sub, aud, iat, exp, jti, htm, htu; cdg with a body) is refused', async () => {
    for (const claim of ['iss', 'sub', 'aud', 'iat', 'exp', 'jti', 'htm', 'htu']) {
      const ans = await withAuth('GET', '/v1/catalog', `Bearer ${tokenWith(P, 'GET', '/v1/catalog', (t) => delete t.claims[claim])}`);
      await expectSignedProblem(gw.url, ans, 401, AUTH);
    }
    const uscc = nextUscc();
    const body = pushBody(uscc);
    const ans = await withAuth('POST', '/v1/records', `Bearer ${tokenWith(P, 'POST', '/v1/records', (t) => delete t.claims.cdg, body)}`, body);
    await expectSignedProblem(gw.url, ans, 401, AUTH);
    expect(await storedFor(uscc)).toHaveLength(0);
  });

  it('wrongly typed claims (jti empty or a number, iat/exp as strings) are refused', async () => {
    const changes: ((c: Record<string, unknown>) => void)[] = [
      (c) => (c.jti = ''),
      (c) => (c.jti = 12345),
      (c) => (c.iat = String(c.iat)),
      (c) => (c.exp = String(c.exp)),
      (c) => (c.htm = ['GET']),
    ];
    for (const change of changes) {
      const ans = await withAuth('GET', '/v1/catalog', `Bearer ${tokenWith(P, 'GET', '/v1/catalog', (t) => change(t.claims))}`);
      await expectSignedProblem(gw.url, ans, 401, AUTH);
    }
  });
});

describe('replay', () => {
  it('the same token twice: the first is served, the second refused', async () => {
    const { headers } = signedHeaders(P, 'GET', '/v1/catalog');
    const first = await request(gw.url, { method: 'GET', path: '/v1/catalog', headers });
    expect(first.status, show(first)).toBe(200);
    const second = await request(gw.url, { method: 'GET', path: '/v1/catalog', headers });
    await expectSignedProblem(gw.url, second, 401, AUTH);
  });

  it('a fresh token that reuses a consumed jti is refused', async () => {
    const jti = randomUUID();
    const first = await withAuth('GET', '/v1/catalog', `Bearer ${tokenWith(P, 'GET', '/v1/catalog', (t) => (t.claims.jti = jti))}`);
    expect(first.status, show(first)).toBe(200);
    const again = await withAuth('GET', '/v1/records?limit=1', `Bearer ${tokenWith(P, 'GET', '/v1/records?limit=1', (t) => {
      t.claims.jti = jti;
      t.claims.iat = Number(t.claims.iat) + 1;
      t.claims.exp = Number(t.claims.exp) + 1;
    })}`);
    await expectSignedProblem(gw.url, again, 401, AUTH);
  });

  it('the same push token sent 10 times at once is served exactly once', async () => {
    const uscc = nextUscc();
    const body = pushBody(uscc);
    const { headers } = signedHeaders(P, 'POST', '/v1/records', { rawBody: body });
    const answers = await Promise.all(Array.from({ length: 10 }, () => request(gw.url, { method: 'POST', path: '/v1/records', headers, body })));
    const served = answers.filter((a) => a.status === 200);
    expect(served, answers.map((a) => a.status).join(',')).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 200)) await expectSignedProblem(gw.url, a, 401, AUTH);
  });
});

describe('binding to the request', () => {
  it('htm that is not the request method is refused (and a push under a GET token stores nothing)', async () => {
    const ans = await withAuth('GET', '/v1/catalog', `Bearer ${tokenWith(P, 'GET', '/v1/catalog', (t) => (t.claims.htm = 'POST'))}`);
    await expectSignedProblem(gw.url, ans, 401, AUTH);
    const uscc = nextUscc();
    const body = pushBody(uscc);
    const push = await withAuth('POST', '/v1/records', `Bearer ${tokenWith(P, 'POST', '/v1/records', (t) => (t.claims.htm = 'GET'), body)}`, body);
    await expectSignedProblem(gw.url, push, 401, AUTH);
    expect(await storedFor(uscc)).toHaveLength(0);
  });

  it('htu naming another path, without the query, or with scheme and host is refused', async () => {
    const target = '/v1/records?limit=2';
    for (const htu of ['/v1/catalog', '/v1/records', '/v1/records?limit=3', `${gw.url}${target}`, `//127.0.0.1${target}`, `${target}&`, '/v1/records/?limit=2']) {
      const ans = await withAuth('GET', target, `Bearer ${tokenWith(P, 'GET', target, (t) => (t.claims.htu = htu))}`);
      await expectSignedProblem(gw.url, ans, 401, AUTH);
    }
  });

  it('htu must be the raw percent-encoded target: the decoded form is refused, the raw form accepted (feed query)', async () => {
    const raw = '/v1/records?updatedAfter=2024-01-01T00%3A00%3A00%2B08%3A00&limit=1';
    const decoded = '/v1/records?updatedAfter=2024-01-01T00:00:00+08:00&limit=1';
    const ok = await signed(gw.url, P, 'GET', raw);
    expect(ok.status, show(ok)).toBe(200);
    await expectSigned(gw.url, ok);
    const bad = await withAuth('GET', raw, `Bearer ${tokenWith(P, 'GET', raw, (t) => (t.claims.htu = decoded))}`);
    await expectSignedProblem(gw.url, bad, 401, AUTH);
  });

  it('htu must be the raw percent-encoded target: decoded UTF-8 and re-cased escapes are refused (subject query)', async () => {
    const uscc = nextUscc();
    const purpose = { 'x-request-purpose': 'bidding%3AZB-2024-001' };
    const upper = `/v1/subjects/${uscc}?x=%E4%B8%AD`;
    const lower = `/v1/subjects/${uscc}?x=%e4%b8%ad`;
    const ok = await signed(gw.url, P, 'GET', upper, { headers: purpose });
    expect(ok.status, show(ok)).toBe(200);
    const okLower = await signed(gw.url, P, 'GET', lower, { headers: purpose });
    expect(okLower.status, show(okLower)).toBe(200);
    const cases: [string, string][] = [
      [upper, `/v1/subjects/${uscc}?x=中`],
      [upper, lower],
      [lower, upper],
    ];
    for (const [target, htu] of cases) {
      const ans = await withAuth('GET', target, `Bearer ${tokenWith(P, 'GET', target, (t) => (t.claims.htu = htu))}`, undefined, purpose);
      await expectSignedProblem(gw.url, ans, 401, AUTH);
    }
  });

  it('cdg that differs from Content-Digest, a Content-Digest that differs from the body, or no Content-Digest is refused; nothing stored', async () => {
    const uscc = nextUscc();
    const body = pushBody(uscc);
    const other = pushBody(uscc);
    const realDigest = contentDigest(body);
    const otherDigest = contentDigest(other);
    const cases: { cdg: string; header: string | null }[] = [
      { cdg: otherDigest, header: realDigest },
      { cdg: realDigest, header: otherDigest },
      { cdg: otherDigest, header: otherDigest },
      { cdg: realDigest, header: null },
      { cdg: realDigest.replace('sha-256', 'sha-512'), header: realDigest.replace('sha-256', 'sha-512') },
      { cdg: `sha-256=:${createHash('sha256').update(body).digest('hex')}:`, header: `sha-256=:${createHash('sha256').update(body).digest('hex')}:` },
    ];
    for (const c of cases) {
      const token = tokenWith(P, 'POST', '/v1/records', (t) => (t.claims.cdg = c.cdg), body);
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      if (c.header !== null) headers['content-digest'] = c.header;
      const ans = await request(gw.url, { method: 'POST', path: '/v1/records', headers, body });
      await expectSignedProblem(gw.url, ans, 401, AUTH);
    }
    expect(await storedFor(uscc)).toHaveLength(0);
  });

  it('a body changed after signing (token and Content-Digest for the original) is refused; nothing stored', async () => {
    const uscc = nextUscc();
    const original = pushBody(uscc, 'same-key');
    const changed = Buffer.from(original.toString('utf8').replace('罚款人民币五万元', '罚款人民币一万元'));
    expect(changed.length).toBe(original.length);
    const { headers } = signedHeaders(P, 'POST', '/v1/records', { rawBody: original });
    const ans = await request(gw.url, { method: 'POST', path: '/v1/records', headers, body: changed });
    await expectSignedProblem(gw.url, ans, 401, AUTH);
    // appended bytes (a second JSON document) are refused too
    const { headers: h2 } = signedHeaders(P, 'POST', '/v1/records', { rawBody: original });
    const appended = await request(gw.url, { method: 'POST', path: '/v1/records', headers: h2, body: Buffer.concat([original, Buffer.from(' ')]) });
    expect(appended.status, show(appended)).not.toBe(200);
    expect(appended.status).toBeLessThan(500);
    expect(await storedFor(uscc)).toHaveLength(0);
  });
});

describe('the Authorization header itself', () => {
  it('two Authorization headers (http.request array) are refused with GW_AUTH_TOKEN_MALFORMED', async () => {
    const a = signedHeaders(P, 'GET', '/v1/catalog').headers.authorization as string;
    const b = signedHeaders(P, 'GET', '/v1/catalog').headers.authorization as string;
    for (const pair of [[a, b], [a, a], [a, 'Bearer garbage'], ['Bearer garbage', a]]) {
      const ans = await withAuth('GET', '/v1/catalog', pair);
      await expectSignedProblem(gw.url, ans, 401, 'GW_AUTH_TOKEN_MALFORMED');
    }
  });

  it('two Authorization headers on a raw socket are refused with GW_AUTH_TOKEN_MALFORMED', async () => {
    const a = signedHeaders(P, 'GET', '/v1/catalog').headers.authorization as string;
    const b = signedHeaders(P, 'GET', '/v1/catalog').headers.authorization as string;
    const out = await rawSocket(gw.url, `GET /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${a}\r\nAuthorization: ${b}\r\nConnection: close\r\n\r\n`);
    const [res] = parseResponses(out);
    expect(res, out.slice(0, 300)).toBeDefined();
    const ans: Answer = {
      status: res!.status,
      headers: Object.fromEntries(Object.entries(res!.headers).map(([k, v]) => [k, v.length === 1 ? v[0] : v])),
      raw: res!.body,
      text: res!.body.toString('utf8'),
      json: JSON.parse(res!.body.toString('utf8') || 'null'),
    };
    await expectSignedProblem(gw.url, ans, 401, 'GW_AUTH_TOKEN_MALFORMED');
  });

  it('a missing header, another scheme and garbage after Bearer are refused', async () => {
    const good = signedHeaders(P, 'GET', '/v1/catalog').headers.authorization as string;
    const token = good.slice('Bearer '.length);
    const values: (string | undefined)[] = [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Bearer garbage',
      'Bearer a.b.c',
      'Bearer ...',
      `Bearer ${'A'.repeat(8000)}`,
      'Basic dXNlcjpwYXNzd29yZA==',
      `Token ${token}`,
      `${token}`,
      `Bearer ${token}.extra`,
      `Bearer ${token.split('.').slice(0, 2).join('.')}`,
      `Bearer ${b64u('{not json')}.${token.split('.')[1]}.${token.split('.')[2]}`,
      `Bearer ${token}, Bearer ${token}`,
    ];
    for (const v of values) {
      const ans = await withAuth('GET', '/v1/catalog', v);
      await expectSignedProblem(gw.url, ans, 401, AUTH);
    }
  });

  it('unknown /v1 routes and methods, signed or not, are signed 4xx problem+json answers', async () => {
    const unsigned = await request(gw.url, { method: 'GET', path: '/v1/no-such-route' });
    await expectSignedProblem(gw.url, unsigned, unsigned.status, /^GW_/);
    expect(unsigned.status).toBeGreaterThanOrEqual(400);
    expect(unsigned.status).toBeLessThan(500);
    for (const [method, path] of [['GET', '/v1/no-such-route'], ['DELETE', '/v1/records'], ['PUT', '/v1/catalog']] as const) {
      const ans = await signed(gw.url, P, method, path);
      await expectSignedProblem(gw.url, ans, ans.status, /^GW_/);
      expect(ans.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(ans.status, `${method} ${path}`).toBeLessThan(500);
    }
  });
});

describe('rate limit', () => {
  it('past its rateLimit a partner gets a signed 429 problem with Retry-After', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 8; i++) answers.push(await signed(gw.url, RL, 'GET', '/v1/catalog'));
    expect(answers.slice(0, 5).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    for (const a of answers.slice(5)) {
      await expectSignedProblem(gw.url, a, 429, /^GW_/);
      const retry = String(a.headers['retry-after'] ?? '');
      expect(retry, 'Retry-After in seconds').toMatch(/^\d+$/);
      expect(Number(retry)).toBeGreaterThanOrEqual(1);
      expect(Number(retry)).toBeLessThanOrEqual(60);
    }
    // other partners are not affected
    expect((await signed(gw.url, P, 'GET', '/v1/catalog')).status).toBe(200);
  });
});
