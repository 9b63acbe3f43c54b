/**
 * Hostile token signatures, written from the contract alone (README "Onboarding a partner agency",
 * docs/architecture.md §5.1.1 and §6.1): a partner signs with ES256, PS256 or EdDSA (RS256 only with
 * `allowRs256`), the token is a compact JWS `<header>.<payload>.<signature>` in base64url, and every
 * refusal is a 401 problem+json with a stable GW_AUTH_* code, signed like every /v1 answer. Nothing a
 * refused push carried is stored.
 *
 * Tokens are made with node:crypto only. Every hostile token carries a fresh jti, so a refusal is
 * never a replay refusal: it is about the signature, the encoding or the header. Each case is sent
 * twice as GET and once as a push, and the three refusals must carry the same code.
 *
 * Where the contract does not say which GW_AUTH_* code a fault gets, each case accepts the codes of
 * the contract's table that fit it (the lists below) and requires the same one every time.
 */
import { execFileSync } from 'node:child_process';
import { constants, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import { observeFor } from '../support/wait.js';
import {
  type Answer,
  b64u,
  checkAnswerSignature,
  contentDigest,
  expectSigned,
  expectSignedProblem,
  type GatewayEnv,
  jsonB64u,
  makeUscc,
  type Partner,
  penaltyItem,
  request,
  scratchDatabase,
  show,
  signed,
  startGateway,
  type TokenParts,
  tokenParts,
} from './helpers.js';

// ---------------------------------------------------------------------------------------------
// codes (docs/architecture.md §5.1.1, "authentication and authorisation")

const AUTH = /^GW_AUTH_/;
const MALFORMED = 'GW_AUTH_TOKEN_MALFORMED';
const SIG_INVALID = 'GW_AUTH_SIGNATURE_INVALID';
const ALG_NOT_ALLOWED = 'GW_AUTH_ALG_NOT_ALLOWED';
const KEY_UNKNOWN = 'GW_AUTH_KEY_UNKNOWN';

/** a signature segment that is not the signature (bytes, length, encoding) */
const SIG_FAULT = [MALFORMED, SIG_INVALID] as const;
/** an alg that is not one of ES256, PS256, EdDSA (RS256 with allowRs256), spelled exactly */
const ALG_FAULT = [ALG_NOT_ALLOWED, MALFORMED] as const;
/** a header the gateway must not honour (crit, unknown extensions) */
const HEADER_FAULT = [MALFORMED, ALG_NOT_ALLOWED, SIG_INVALID] as const;
/** a key that does not fit the alg, or key material the token brings itself */
const KEY_FAULT = [SIG_INVALID, KEY_UNKNOWN, ALG_NOT_ALLOWED, MALFORMED] as const;

/** What each case was answered with, printed at the end for the report. */
const observations: string[] = [];

// ---------------------------------------------------------------------------------------------
// keys and partners

type Keys = { privateKey: KeyObject; publicKey: KeyObject };

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The order n of P-256. */
const P256_N = BigInt('0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551');
/** The order L of the Ed25519 base point. */
const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;

function toBig(b: Buffer): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`);
}

function toBytes(v: bigint, length: number): Buffer {
  const hex = v.toString(16).padStart(length * 2, '0');
  if (hex.length > length * 2) throw new Error(`${length} bytes cannot hold the value`);
  return Buffer.from(hex, 'hex');
}

function le32(b: Buffer): bigint {
  return toBig(Buffer.from(b).reverse());
}

/** An RSA key pair whose modulus leaves room for s + n in the same number of bytes (for the s + n case). */
function rsaKeys(bits: number): Keys {
  for (let i = 0; i < 60; i++) {
    const k = generateKeyPairSync('rsa', { modulusLength: bits });
    const n = Buffer.from(String((k.publicKey.export({ format: 'jwk' }) as Record<string, unknown>).n), 'base64url');
    if (n[0]! < 0xc0) return k;
  }
  throw new Error('no RSA modulus with a top byte under 0xc0');
}

let serial = 88_100;

function partnerOf(keys: Keys, o: { alg: string; name: string; system: string; kid?: string; allowRs256?: boolean; jwkAlg?: string }): Partner {
  const id = makeUscc('11', '320583', ++serial);
  const kid = o.kid ?? `${o.alg.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  const jwk = keys.publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  return {
    id,
    name: o.name,
    kid,
    privateKey: keys.privateKey,
    publicJwk: { ...jwk, kid, alg: o.jwkAlg ?? o.alg, use: 'sig' },
    scopes: ['records:write', 'records:read'],
    sourceSystems: [o.system],
    categories: ['*'],
    regions: ['*'],
    allowRs256: o.allowRs256 ?? false,
  };
}

/**
 * E's kid is chosen so that its token header, {"alg":"ES256","typ":"JWT","kid":…}, is 3k+1 bytes: its
 * base64url form then has 4 unused trailing bits (room for a non-canonical last character) and would
 * take "==" padding.
 */
function tunedKid(base: string): string {
  for (let k = 0; k < 3; k++) {
    const kid = base + 'k'.repeat(k);
    if (JSON.stringify({ alg: 'ES256', typ: 'JWT', kid }).length % 3 === 1) return kid;
  }
  throw new Error('cannot tune the kid');
}

const E = partnerOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }), { alg: 'ES256', name: '签名测试单位ES256', system: 'sig.es256', kid: tunedKid(`es256-${randomUUID().slice(0, 8)}`) });
const S = partnerOf(rsaKeys(2048), { alg: 'PS256', name: '签名测试单位PS256', system: 'sig.ps256' });
const D = partnerOf(generateKeyPairSync('ed25519'), { alg: 'EdDSA', name: '签名测试单位EdDSA', system: 'sig.eddsa' });
const RS = partnerOf(rsaKeys(2048), { alg: 'RS256', name: '签名测试单位RS256', system: 'sig.rs256', allowRs256: true });

const attackerEc = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const attackerEd = generateKeyPairSync('ed25519');
const attackerRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed448 = generateKeyPairSync('ed448');

// ---------------------------------------------------------------------------------------------
// signing

function signWith(alg: string, key: KeyObject, input: Buffer, saltLength?: number): Buffer {
  const pss = (hash: string, salt: number) => sign(hash, input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: saltLength ?? salt });
  switch (alg) {
    case 'ES256':
      return sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' });
    case 'ES384':
      return sign('sha384', input, { key, dsaEncoding: 'ieee-p1363' });
    case 'ES256-DER':
      return sign('sha256', input, { key, dsaEncoding: 'der' });
    case 'PS256':
      return pss('sha256', 32);
    case 'PS384':
      return pss('sha384', 48);
    case 'PS512':
      return pss('sha512', 64);
    case 'RS256':
      return sign('sha256', input, key);
    case 'RS384':
      return sign('sha384', input, key);
    case 'RS512':
      return sign('sha512', input, key);
    case 'EdDSA':
      return sign(null, input, key);
    default:
      throw new Error(`no signer for ${alg}`);
  }
}

/** Header and claims of a correct token of partner p for this request, with the header's alg set. */
function fresh(p: Partner, alg: string, method: string, target: string, body?: Buffer): TokenParts {
  const t = tokenParts(p, method, target, body);
  t.header.alg = alg;
  return t;
}

/** Builds the token of one request; called anew for every request (fresh jti). */
type Build = (method: string, target: string, body?: Buffer) => string;

/**
 * A token of partner p whose header says `alg`, signed by `signAlg` (default: alg) with `key` (default:
 * p's), after `change` edits header and claims.
 */
function custom(p: Partner, o: { alg: string; signAlg?: string; key?: KeyObject; saltLength?: number; change?: (t: TokenParts) => void }): Build {
  return (method, target, body) => {
    const t = fresh(p, o.alg, method, target, body);
    o.change?.(t);
    const input = `${jsonB64u(t.header)}.${jsonB64u(t.claims)}`;
    return `${input}.${b64u(signWith(o.signAlg ?? o.alg, o.key ?? p.privateKey, Buffer.from(input), o.saltLength))}`;
  };
}

/**
 * A correct token of partner p whose signature segment is replaced by `alter(signature, segment)`;
 * `alter` returns null when this signature lacks the property it needs, and a fresh token (new jti,
 * so a new signature even for the deterministic algorithms) is tried.
 */
function sigVariant(p: Partner, alg: string, alter: (sig: Buffer, seg: string) => string | null, signer?: (input: Buffer) => Buffer): Build {
  return (method, target, body) => {
    for (let i = 0; i < 20_000; i++) {
      const t = fresh(p, alg, method, target, body);
      const input = `${jsonB64u(t.header)}.${jsonB64u(t.claims)}`;
      const sig = signer ? signer(Buffer.from(input)) : signWith(alg, p.privateKey, Buffer.from(input));
      const seg = alter(sig, b64u(sig));
      if (seg !== null) return `${input}.${seg}`;
    }
    throw new Error(`no ${alg} signature with the property the case needs`);
  };
}

/** The same bytes with the unused low bits of the last character set: a decoder that ignores them reads the same. */
function nonCanonical(seg: string): string | null {
  const unused = (seg.length * 6) % 8;
  if (unused === 0) return null;
  const v = ALPHABET.indexOf(seg.at(-1)!);
  return seg.slice(0, -1) + ALPHABET[v ^ 1]!;
}

function padded(seg: string): string | null {
  const n = (4 - (seg.length % 4)) % 4;
  return n === 0 ? null : seg + '='.repeat(n);
}

function standardB64(seg: string): string | null {
  return /[-_]/.test(seg) ? seg.replace(/-/g, '+').replace(/_/g, '/') : null;
}

function parseClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

// ---------------------------------------------------------------------------------------------
// the main gateway and its helpers

let db: ScratchDatabase;
let gw: GatewayEnv;

interface Target {
  url: () => string;
  /** an ES256 partner with every category and region, reading the change feed */
  reader: Partner;
}

const MAIN: Target = { url: () => gw.url, reader: E };

let usccSerial = 61_000;
const nextUscc = () => makeUscc('91', '320583', ++usccSerial);

function pushBody(p: Partner, uscc: string): Buffer {
  return Buffer.from(JSON.stringify({ records: [penaltyItem({ system: p.sourceSystems[0]!, key: `k-${randomUUID()}`, uscc })] }));
}

/** Sends one request with exactly this token. */
function send(url: string, method: string, target: string, token: string, body?: Buffer): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-digest'] = contentDigest(body);
  }
  return request(url, { method, path: target, headers, ...(body !== undefined ? { body } : {}) });
}

async function storedFor(env: Target, uscc: string): Promise<unknown[]> {
  const ans = await signed(env.url(), env.reader, 'GET', `/v1/records?uscc=${uscc}&limit=100`);
  expect(ans.status, show(ans)).toBe(200);
  return ans.json.items as unknown[];
}

interface Hostile {
  name: string;
  /** whose iss the token carries (and so whose source system a push names) */
  partner: Partner;
  codes: readonly string[];
  build: Build;
}

/**
 * The case is refused twice on GET and once as a push: 401, a signed problem with a GW_AUTH_* code
 * from `codes`, the same code all three times, and the push stored nothing.
 */
async function expectRefused(env: Target, c: Hostile): Promise<void> {
  const answers: Answer[] = [];
  for (let i = 0; i < 2; i++) answers.push(await send(env.url(), 'GET', '/v1/catalog', c.build('GET', '/v1/catalog')));
  const uscc = nextUscc();
  const body = pushBody(c.partner, uscc);
  answers.push(await send(env.url(), 'POST', '/v1/records', c.build('POST', '/v1/records', body), body));
  // what was answered, recorded before any assertion so that a failing case is described in full
  const described: string[] = [];
  for (const a of answers) {
    const sig = await checkAnswerSignature(env.url(), a);
    const retry = a.headers['retry-after'] === undefined ? '' : ` retry-after=${String(a.headers['retry-after'])}`;
    described.push(`${a.status} ${a.json?.code ?? '-'}${sig.ok ? '' : ' (unsigned)'}${retry}`);
  }
  const stored = (await storedFor(env, uscc)).length;
  observations.push(`${c.name}: GET ${described[0]}, GET ${described[1]}, push ${described[2]}, stored ${stored}`);
  for (const a of answers) await expectSignedProblem(env.url(), a, 401, AUTH);
  const seen = answers.map((a) => String(a.json.code));
  expect(c.codes, `${c.name}: code ${seen[0]} is not one the contract gives for this fault`).toContain(seen[0]);
  expect(new Set(seen).size, `${c.name}: one stable code, got ${seen.join(', ')}`).toBe(1);
  expect(stored, `${c.name}: the refused push stored nothing`).toBe(0);
}

/** Sends a valid token of this build: served, answer signed naming the token's jti; a push is created. */
async function expectServed(env: Target, p: Partner, build: Build): Promise<void> {
  const token = build('GET', '/v1/catalog');
  const ans = await send(env.url(), 'GET', '/v1/catalog', token);
  expect(ans.status, show(ans)).toBe(200);
  const sig = await expectSigned(env.url(), ans);
  expect(sig.header?.jti).toBe(parseClaims(token).jti);
  const uscc = nextUscc();
  const body = pushBody(p, uscc);
  const push = await send(env.url(), 'POST', '/v1/records', build('POST', '/v1/records', body), body);
  expect(push.status, show(push)).toBe(200);
  await expectSigned(env.url(), push);
  expect(push.json.results[0].status, show(push)).toBe('created');
  expect(await storedFor(env, uscc)).toHaveLength(1);
}

// ---------------------------------------------------------------------------------------------
// a key server for jku / x5u: it must never be asked

const keyServerHits: string[] = [];
let keyServer: http.Server;
let keyServerUrl = '';
let attackerCertDer: Buffer;

function selfSignedCert(key: KeyObject): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'gw-x5c-'));
  try {
    writeFileSync(join(dir, 'key.pem'), key.export({ format: 'pem', type: 'pkcs8' }));
    execFileSync('openssl', ['req', '-x509', '-new', '-key', join(dir, 'key.pem'), '-subj', '/CN=attacker', '-days', '1', '-outform', 'DER', '-out', join(dir, 'cert.der')], { stdio: 'ignore' });
    return readFileSync(join(dir, 'cert.der'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  attackerCertDer = selfSignedCert(attackerEc.privateKey);
  const attackerJwk = attackerEc.publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const jwks = JSON.stringify({ keys: [{ ...attackerJwk, kid: E.kid, alg: 'ES256', use: 'sig' }, { ...attackerJwk, kid: 'attacker-kid', alg: 'ES256', use: 'sig' }] });
  const pem = `-----BEGIN CERTIFICATE-----\n${attackerCertDer.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  keyServer = http.createServer((req, res) => {
    keyServerHits.push(`${req.method} ${req.url}`);
    if (String(req.url).endsWith('.pem')) res.writeHead(200, { 'content-type': 'application/pem-certificate-chain' }).end(pem);
    else res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
  });
  await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
  keyServerUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;

  db = await scratchDatabase();
  gw = await startGateway(db.url, [E, S, D, RS]);
});

afterAll(async () => {
  await gw?.stop();
  await db?.drop();
  await new Promise((resolve) => keyServer?.close(resolve));
  // what each case was answered with, for a reviewer: SHOW_TOKEN_OBSERVATIONS=1
  if (process.env.SHOW_TOKEN_OBSERVATIONS === '1') console.log(`token-signature-hostile observations:\n  ${observations.join('\n  ')}`);
});

// ---------------------------------------------------------------------------------------------

const ALGS: { alg: 'ES256' | 'PS256' | 'EdDSA' | 'RS256'; partner: Partner; note: string }[] = [
  { alg: 'ES256', partner: E, note: 'P-256' },
  { alg: 'PS256', partner: S, note: 'RSA 2048' },
  { alg: 'EdDSA', partner: D, note: 'Ed25519' },
  { alg: 'RS256', partner: RS, note: 'RSA 2048, allowRs256: true' },
];

describe('control: a valid token of every algorithm a partner may use is served', () => {
  for (const { alg, partner, note } of ALGS) {
    it(`${alg} (${note}): GET answered 200 and signed naming the jti; a push is created and stored`, async () => {
      await expectServed(MAIN, partner, custom(partner, { alg }));
    });
  }

  it('ES256 with a jti holding "~" (used below to get "-" and "_" into the payload segment) is served', async () => {
    await expectServed(MAIN, E, custom(E, { alg: 'ES256', change: (t) => (t.claims.jti = `${randomUUID()}~~~`) }));
  });
});

/** Signature-segment faults every algorithm must refuse. */
const ENCODING_VARIANTS: { name: string; alter: (sig: Buffer, seg: string) => string | null }[] = [
  { name: 'one "=" appended to the signature segment', alter: (_s, seg) => `${seg}=` },
  { name: 'base64 padding "==" appended to the signature segment', alter: (_s, seg) => padded(seg) },
  { name: 'non-canonical last character (same decoded bytes, trailing bits set)', alter: (sig, seg) => {
    const nc = nonCanonical(seg);
    if (nc !== null && !Buffer.from(nc, 'base64url').equals(sig)) throw new Error('non-canonical form does not decode to the same bytes');
    return nc;
  } },
  { name: 'standard base64 alphabet ("+" and "/" for "-" and "_")', alter: (_s, seg) => standardB64(seg) },
  { name: 'standard base64 with "=" padding', alter: (sig) => (/[+/]/.test(sig.toString('base64')) && sig.toString('base64').endsWith('=') ? sig.toString('base64') : null) },
  { name: 'a character outside base64url ("!") inside the signature segment', alter: (_s, seg) => `${seg.slice(0, 10)}!${seg.slice(10)}` },
  { name: 'a space inside the signature segment', alter: (_s, seg) => `${seg.slice(0, 10)} ${seg.slice(10)}` },
  { name: 'signature truncated by one byte', alter: (sig) => b64u(sig.subarray(0, -1)) },
  { name: 'one extra byte (0x00) appended to the signature', alter: (sig) => b64u(Buffer.concat([sig, Buffer.alloc(1)])) },
  { name: 'one extra byte (0x00) put before the signature', alter: (sig) => b64u(Buffer.concat([Buffer.alloc(1), sig])) },
  { name: 'empty signature segment', alter: () => '' },
];

describe('signature segment encoding: refused for every algorithm', () => {
  for (const { alg, partner } of ALGS) {
    for (const v of ENCODING_VARIANTS) {
      it(`${alg}: ${v.name}`, async () => {
        await expectRefused(MAIN, { name: `${alg}: ${v.name}`, partner, codes: SIG_FAULT, build: sigVariant(partner, alg, v.alter) });
      });
    }
  }
});

/** Faults particular to one algorithm. */
const ALG_SPECIFIC: Hostile[] = [
  // ES256: JWA §3.4 is the 64-byte R||S form
  { name: 'ES256: DER-encoded ECDSA signature', partner: E, codes: SIG_FAULT, build: sigVariant(E, 'ES256', (_s, seg) => seg, (d) => signWith('ES256-DER', E.privateKey, d)) },
  { name: 'ES256: r with its leading zero byte left out (63 bytes, same integers)', partner: E, codes: SIG_FAULT, build: sigVariant(E, 'ES256', (sig) => (sig[0] === 0 ? b64u(sig.subarray(1)) : null)) },
  { name: 'ES256: s with its leading zero byte left out (63 bytes, same integers)', partner: E, codes: SIG_FAULT, build: sigVariant(E, 'ES256', (sig) => (sig[32] === 0 ? b64u(Buffer.concat([sig.subarray(0, 32), sig.subarray(33)])) : null)) },
  { name: 'ES256: s replaced by n', partner: E, codes: SIG_FAULT, build: sigVariant(E, 'ES256', (sig) => b64u(Buffer.concat([sig.subarray(0, 32), toBytes(P256_N, 32)]))) },
  { name: 'ES256: r = s = 0 ("psychic signature")', partner: E, codes: SIG_FAULT, build: sigVariant(E, 'ES256', () => b64u(Buffer.alloc(64))) },
  { name: 'ES256: r = s = n', partner: E, codes: SIG_FAULT, build: sigVariant(E, 'ES256', () => b64u(Buffer.concat([toBytes(P256_N, 32), toBytes(P256_N, 32)]))) },
  // PS256: RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (JWA §3.5), signature exactly k bytes (RFC 8017 §8.1.2)
  { name: 'PS256: an RS256 (PKCS#1 v1.5) signature presented under alg PS256', partner: S, codes: SIG_FAULT, build: sigVariant(S, 'PS256', (_s, seg) => seg, (d) => signWith('RS256', S.privateKey, d)) },
  { name: 'PS256: PSS with an empty salt', partner: S, codes: SIG_FAULT, build: custom(S, { alg: 'PS256', saltLength: 0 }) },
  { name: 'PS256: PSS with the largest salt', partner: S, codes: SIG_FAULT, build: custom(S, { alg: 'PS256', saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN }) },
  { name: 'PS256: signature whose leading zero byte is left out (255 bytes, same integer)', partner: S, codes: SIG_FAULT, build: sigVariant(S, 'PS256', (sig) => (sig[0] === 0 ? b64u(sig.subarray(1)) : null)) },
  { name: 'PS256: signature s replaced by s + n (same residue, out of range)', partner: S, codes: SIG_FAULT, build: rsaPlusN(S, 'PS256') },
  // RS256 (allowRs256)
  { name: 'RS256: a PS256 (PSS) signature presented under alg RS256', partner: RS, codes: SIG_FAULT, build: sigVariant(RS, 'RS256', (_s, seg) => seg, (d) => signWith('PS256', RS.privateKey, d)) },
  { name: 'RS256: signature whose leading zero byte is left out (255 bytes, same integer)', partner: RS, codes: SIG_FAULT, build: sigVariant(RS, 'RS256', (sig) => (sig[0] === 0 ? b64u(sig.subarray(1)) : null)) },
  { name: 'RS256: signature s replaced by s + n (same residue, out of range)', partner: RS, codes: SIG_FAULT, build: rsaPlusN(RS, 'RS256') },
  // EdDSA: Ed25519 (RFC 8032 §5.1.7: S must be below L)
  { name: 'EdDSA: signed with an Ed448 key, under the Ed25519 key\'s kid', partner: D, codes: SIG_FAULT, build: sigVariant(D, 'EdDSA', (_s, seg) => seg, (d) => signWith('EdDSA', ed448.privateKey, d)) },
  { name: 'EdDSA: S replaced by S + L (malleated, non-canonical S)', partner: D, codes: SIG_FAULT, build: sigVariant(D, 'EdDSA', (sig) => {
    const s = le32(sig.subarray(32)) + ED25519_L;
    if (s >= 2n ** 256n) return null;
    return b64u(Buffer.concat([sig.subarray(0, 32), toBytes(s, 32).reverse()]));
  }) },
];

function rsaPlusN(p: Partner, alg: string): Build {
  const n = toBig(Buffer.from(String(p.publicJwk.n), 'base64url'));
  return sigVariant(p, alg, (sig) => {
    const v = toBig(sig) + n;
    return v < 2n ** BigInt(sig.length * 8) ? b64u(toBytes(v, sig.length)) : null;
  });
}

describe('algorithm-specific signature forms: refused', () => {
  for (const c of ALG_SPECIFIC) it(c.name, async () => expectRefused(MAIN, c));

  it('sanity: the "same integer" and "same bytes" forms above would pass a lenient node:crypto check', () => {
    // so the cases above probe the gateway's strictness, not a form any verifier refuses
    const input = Buffer.from('probe');
    for (let i = 0; i < 20_000; i++) {
      const data = Buffer.from(`probe-${i}`);
      const sig = signWith('PS256', S.privateKey, data);
      if (sig[0] !== 0) continue;
      expect(verify('sha256', data, { key: createPublicKey(S.privateKey), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig.subarray(1))).toBe(true);
      break;
    }
    expect(Buffer.from(`${b64u(input)}==`, 'base64url').equals(input)).toBe(true);
    expect(Buffer.from(`${b64u(input).slice(0, 3)}!${b64u(input).slice(3)}`, 'base64url').equals(input)).toBe(true);
  });
});

describe('re-encoded twins of a token share its jti: at most one of a token and its twin is served', () => {
  /** A valid token and a twin (same header, claims and signature bytes or integer) made by `twin`. */
  function pair(p: Partner, alg: string, twin: (sig: Buffer, seg: string) => string | null, method: string, target: string, body?: Buffer): { original: string; twin: string } {
    for (let i = 0; i < 20_000; i++) {
      const t = fresh(p, alg, method, target, body);
      const input = `${jsonB64u(t.header)}.${jsonB64u(t.claims)}`;
      const sig = signWith(alg, p.privateKey, Buffer.from(input));
      const seg = twin(sig, b64u(sig));
      if (seg !== null) return { original: `${input}.${b64u(sig)}`, twin: `${input}.${seg}` };
    }
    throw new Error('no signature with the property the twin needs');
  }

  const twins: { name: string; p: Partner; alg: string; twin: (sig: Buffer, seg: string) => string | null }[] = [
    { name: 'ES256, signature with "==" padding', p: E, alg: 'ES256', twin: (_s, seg) => padded(seg) },
    { name: 'ES256, signature with a non-canonical last character', p: E, alg: 'ES256', twin: (_s, seg) => nonCanonical(seg) },
    { name: 'EdDSA, signature with a non-canonical last character', p: D, alg: 'EdDSA', twin: (_s, seg) => nonCanonical(seg) },
    { name: 'PS256, signature with its leading zero byte left out', p: S, alg: 'PS256', twin: (sig) => (sig[0] === 0 ? b64u(sig.subarray(1)) : null) },
  ];
  for (const tw of twins) {
    it(`${tw.name}: twin first then original (GET), and both of one push at once`, async () => {
      const g = pair(tw.p, tw.alg, tw.twin, 'GET', '/v1/catalog');
      const first = await send(gw.url, 'GET', '/v1/catalog', g.twin);
      const second = await send(gw.url, 'GET', '/v1/catalog', g.original);
      const uscc = nextUscc();
      const body = pushBody(tw.p, uscc);
      const pp = pair(tw.p, tw.alg, tw.twin, 'POST', '/v1/records', body);
      const pushes = await Promise.all([send(gw.url, 'POST', '/v1/records', pp.twin, body), send(gw.url, 'POST', '/v1/records', pp.original, body)]);
      observations.push(`${tw.name} twin: GET twin ${first.status} ${first.json?.code ?? ''} then original ${second.status} ${second.json?.code ?? ''}; pushes at once ${pushes.map((a) => `${a.status} ${a.json?.code ?? ''}`).join(' / ')}`);
      expect([first, second].filter((a) => a.status === 200).length, `${show(first)} / ${show(second)}`).toBeLessThanOrEqual(1);
      for (const a of [first, second, ...pushes]) {
        if (a.status === 200) await expectSigned(gw.url, a);
        else await expectSignedProblem(gw.url, a, 401, AUTH);
      }
      const servedPushes = pushes.filter((a) => a.status === 200).length;
      expect(servedPushes, pushes.map(show).join(' / ')).toBeLessThanOrEqual(1);
      expect(await storedFor(MAIN, uscc)).toHaveLength(servedPushes);
    });
  }
});

describe('ES256 high-s twin (s → n − s): the contract does not forbid high s, so at most one of the twins is served', () => {
  /** A token with a low s and its high-s twin: the same header, claims (jti) and r. */
  function twins(method: string, target: string, body?: Buffer): { low: string; high: string } {
    for (;;) {
      const t = fresh(E, 'ES256', method, target, body);
      const input = `${jsonB64u(t.header)}.${jsonB64u(t.claims)}`;
      const sig = signWith('ES256', E.privateKey, Buffer.from(input));
      const s = toBig(sig.subarray(32));
      if (s > P256_N / 2n) continue;
      const high = Buffer.concat([sig.subarray(0, 32), toBytes(P256_N - s, 32)]);
      // the twin is a valid ECDSA signature: a verifier that does not reject high s accepts it
      expect(verify('sha256', Buffer.from(input), { key: createPublicKey(E.privateKey), dsaEncoding: 'ieee-p1363' }, high)).toBe(true);
      return { low: `${input}.${b64u(sig)}`, high: `${input}.${b64u(high)}` };
    }
  }

  it('high-s twin first, then the original (GET): at most one is served, the other is a signed 401', async () => {
    const { low, high } = twins('GET', '/v1/catalog');
    const first = await send(gw.url, 'GET', '/v1/catalog', high);
    const second = await send(gw.url, 'GET', '/v1/catalog', low);
    observations.push(`ES256 high-s twin first: ${first.status} ${first.json?.code ?? ''}; then original: ${second.status} ${second.json?.code ?? ''}`);
    const served = [first, second].filter((a) => a.status === 200);
    expect(served.length, `${show(first)} / ${show(second)}`).toBeLessThanOrEqual(1);
    for (const a of [first, second]) {
      if (a.status === 200) await expectSigned(gw.url, a);
      else await expectSignedProblem(gw.url, a, 401, AUTH);
    }
  });

  it('original first, then the high-s twin (GET): the twin is refused', async () => {
    const { low, high } = twins('GET', '/v1/catalog');
    const first = await send(gw.url, 'GET', '/v1/catalog', low);
    expect(first.status, show(first)).toBe(200);
    const second = await send(gw.url, 'GET', '/v1/catalog', high);
    observations.push(`ES256 original then high-s twin: twin ${second.status} ${second.json?.code ?? ''}`);
    await expectSignedProblem(gw.url, second, 401, AUTH);
  });

  it('both twins of one push sent at once: at most one is served and at most that one is stored', async () => {
    const uscc = nextUscc();
    const body = pushBody(E, uscc);
    const { low, high } = twins('POST', '/v1/records', body);
    const answers = await Promise.all([send(gw.url, 'POST', '/v1/records', high, body), send(gw.url, 'POST', '/v1/records', low, body)]);
    observations.push(`ES256 twins pushed at once: ${answers.map((a) => `${a.status} ${a.json?.code ?? ''}`).join(' / ')}`);
    const served = answers.filter((a) => a.status === 200);
    expect(served.length, answers.map(show).join(' / ')).toBeLessThanOrEqual(1);
    for (const a of answers) if (a.status !== 200) await expectSignedProblem(gw.url, a, 401, AUTH);
    expect(await storedFor(MAIN, uscc)).toHaveLength(served.length);
  });
});

describe('header and payload segments that are not canonical base64url', () => {
  /**
   * A token of E whose header or payload segment is altered by `alter`; signed over the altered text
   * as sent ("as sent") or over the canonical text ("canonical"). The jti holds "~~~" (so the payload
   * segment has "-" or "_") and is lengthened until `alter` applies.
   */
  function segVariant(which: 'header' | 'payload', alter: (seg: string) => string | null, signedOver: 'as sent' | 'canonical'): Build {
    return (method, target, body) => {
      for (let i = 0; i < 30; i++) {
        const t = fresh(E, 'ES256', method, target, body);
        t.claims.jti = `${randomUUID()}~~~${'j'.repeat(i)}`;
        const h = jsonB64u(t.header);
        const c = jsonB64u(t.claims);
        const altered = alter(which === 'header' ? h : c);
        if (altered === null) continue;
        const sent = which === 'header' ? `${altered}.${c}` : `${h}.${altered}`;
        const input = signedOver === 'as sent' ? sent : `${h}.${c}`;
        return `${sent}.${b64u(signWith('ES256', E.privateKey, Buffer.from(input)))}`;
      }
      throw new Error(`cannot alter the ${which} segment this way`);
    };
  }

  const alters: { name: string; alter: (seg: string) => string | null }[] = [
    { name: '"=" padding', alter: padded },
    { name: 'a non-canonical last character', alter: nonCanonical },
    { name: 'the standard base64 alphabet ("+" "/")', alter: standardB64 },
    { name: 'a "!" inside', alter: (seg) => `${seg.slice(0, 8)}!${seg.slice(8)}` },
  ];
  for (const which of ['payload', 'header'] as const) {
    for (const a of alters) {
      if (which === 'header' && a.name.startsWith('the standard')) continue; // an ASCII header of ours has no "-" or "_" to swap
      for (const over of ['as sent', 'canonical'] as const) {
        const name = `${which} segment with ${a.name}, signed over the ${over === 'as sent' ? 'text as sent' : 'canonical text'}`;
        it(name, async () => expectRefused(MAIN, { name, partner: E, codes: SIG_FAULT, build: segVariant(which, a.alter, over) }));
      }
    }
  }

  it('payload sent unencoded (RFC 7797 form, raw JSON) without b64/crit is refused', async () => {
    const build: Build = (method, target, body) => {
      const t = fresh(E, 'ES256', method, target, body);
      const input = `${jsonB64u(t.header)}.${JSON.stringify(t.claims)}`;
      return `${input}.${b64u(signWith('ES256', E.privateKey, Buffer.from(input)))}`;
    };
    await expectRefused(MAIN, { name: 'raw JSON payload', partner: E, codes: SIG_FAULT, build });
  });
});

describe('token structure', () => {
  const valid = custom(E, { alg: 'ES256' });
  const shapes: { name: string; shape: (token: string) => string }[] = [
    { name: '4 segments (signature repeated)', shape: (t) => `${t}.${t.split('.')[2]}` },
    { name: '4 segments (a trailing dot)', shape: (t) => `${t}.` },
    { name: '4 segments (a leading dot)', shape: (t) => `.${t}` },
    { name: '4 segments (an empty segment before the signature)', shape: (t) => t.replace(/\.([^.]*)$/, '..$1') },
    { name: '5 segments (JWE-like)', shape: (t) => `${t}.${t.split('.')[2]}.${t.split('.')[2]}` },
    { name: 'JWS JSON serialization instead of compact', shape: (t) => {
      const [h, c, s] = t.split('.');
      return b64u(JSON.stringify({ protected: h, payload: c, signature: s }));
    } },
  ];
  for (const s of shapes) {
    it(s.name, async () => expectRefused(MAIN, { name: s.name, partner: E, codes: SIG_FAULT, build: (m, t, b) => s.shape(valid(m, t, b)) }));
  }
});

describe('alg spelled otherwise, or not one the contract lists (each correctly signed for what it names)', () => {
  const cases: { name: string; partner: Partner; alg: unknown; signAlg: string }[] = [
    { name: '"es256"', partner: E, alg: 'es256', signAlg: 'ES256' },
    { name: '"Es256"', partner: E, alg: 'Es256', signAlg: 'ES256' },
    { name: '"eS256"', partner: E, alg: 'eS256', signAlg: 'ES256' },
    { name: '"ES256 " (trailing space)', partner: E, alg: 'ES256 ', signAlg: 'ES256' },
    { name: '"ps256"', partner: S, alg: 'ps256', signAlg: 'PS256' },
    { name: '"Ps256"', partner: S, alg: 'Ps256', signAlg: 'PS256' },
    { name: '"eddsa"', partner: D, alg: 'eddsa', signAlg: 'EdDSA' },
    { name: '"EDDSA"', partner: D, alg: 'EDDSA', signAlg: 'EdDSA' },
    { name: '"EdDsa"', partner: D, alg: 'EdDsa', signAlg: 'EdDSA' },
    { name: '"Ed25519" (fully-specified name, not in the contract)', partner: D, alg: 'Ed25519', signAlg: 'EdDSA' },
    { name: '"rs256" (partner with allowRs256)', partner: RS, alg: 'rs256', signAlg: 'RS256' },
    { name: '"ES384" with a SHA-384 signature by the P-256 key', partner: E, alg: 'ES384', signAlg: 'ES384' },
    { name: '"PS384" with a valid PS384 signature', partner: S, alg: 'PS384', signAlg: 'PS384' },
    { name: '"PS512" with a valid PS512 signature', partner: S, alg: 'PS512', signAlg: 'PS512' },
    { name: '"RS384" with a valid RS384 signature (partner with allowRs256)', partner: RS, alg: 'RS384', signAlg: 'RS384' },
    { name: '"RS512" with a valid RS512 signature (partner with allowRs256)', partner: RS, alg: 'RS512', signAlg: 'RS512' },
    { name: '"RS256" for a partner without allowRs256 (valid PKCS#1 v1.5 signature by its RSA key)', partner: S, alg: 'RS256', signAlg: 'RS256' },
    { name: 'alg as an array ["ES256"]', partner: E, alg: ['ES256'], signAlg: 'ES256' },
    { name: 'alg null', partner: E, alg: null, signAlg: 'ES256' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const build = custom(c.partner, { alg: 'ES256', signAlg: c.signAlg, change: (t) => (t.header.alg = c.alg) });
      await expectRefused(MAIN, { name: `alg ${c.name}`, partner: c.partner, codes: ALG_FAULT, build });
    });
  }
});

describe('crit: a header naming extensions the gateway does not implement is refused (RFC 7515 §4.1.11)', () => {
  const cases: { name: string; change: (t: TokenParts) => void }[] = [
    { name: 'crit ["b64"] with b64: false, payload base64url-encoded, signed over it', change: (t) => Object.assign(t.header, { b64: false, crit: ['b64'] }) },
    { name: 'crit ["exp"] with an exp header parameter', change: (t) => Object.assign(t.header, { exp: t.claims.exp, crit: ['exp'] }) },
    { name: 'crit ["x-gw-critical"] with that parameter', change: (t) => Object.assign(t.header, { 'x-gw-critical': true, crit: ['x-gw-critical'] }) },
    { name: 'crit [] (empty list)', change: (t) => Object.assign(t.header, { crit: [] }) },
    { name: 'crit "b64" (not a list) with b64: false', change: (t) => Object.assign(t.header, { b64: false, crit: 'b64' }) },
    { name: 'crit ["alg"] (a parameter of the JWS spec itself)', change: (t) => Object.assign(t.header, { crit: ['alg'] }) },
  ];
  for (const c of cases) {
    it(c.name, async () => expectRefused(MAIN, { name: c.name, partner: E, codes: HEADER_FAULT, build: custom(E, { alg: 'ES256', change: c.change }) }));
  }

  it('crit ["b64"] with b64: false in the RFC 7797 form (raw JSON payload, signed over it)', async () => {
    const build: Build = (method, target, body) => {
      const t = fresh(E, 'ES256', method, target, body);
      Object.assign(t.header, { b64: false, crit: ['b64'] });
      const input = `${jsonB64u(t.header)}.${JSON.stringify(t.claims)}`;
      return `${input}.${b64u(signWith('ES256', E.privateKey, Buffer.from(input)))}`;
    };
    await expectRefused(MAIN, { name: 'crit b64 RFC 7797 form', partner: E, codes: HEADER_FAULT, build });
  });
});

describe('key material carried by the token itself is never used, and never fetched', () => {
  const attackerEcJwk = () => ({ ...(attackerEc.publicKey.export({ format: 'jwk' }) as Record<string, unknown>), alg: 'ES256' });
  const byAttacker = (p: Partner, alg: string, key: KeyObject, change: (t: TokenParts) => void): Build => custom(p, { alg, key, change });
  const cases: Hostile[] = [
    { name: 'ES256: embedded attacker jwk with the partner kid', partner: E, codes: KEY_FAULT, build: byAttacker(E, 'ES256', attackerEc.privateKey, (t) => (t.header.jwk = { ...attackerEcJwk(), kid: E.kid })) },
    { name: 'ES256: embedded attacker jwk, no kid', partner: E, codes: KEY_FAULT, build: byAttacker(E, 'ES256', attackerEc.privateKey, (t) => {
      delete t.header.kid;
      t.header.jwk = attackerEcJwk();
    }) },
    { name: 'ES256: jku to a key server holding an attacker key under the partner kid', partner: E, codes: KEY_FAULT, build: byAttacker(E, 'ES256', attackerEc.privateKey, (t) => (t.header.jku = `${keyServerUrl}/jwks.json`)) },
    { name: 'ES256: jku and an attacker kid', partner: E, codes: KEY_FAULT, build: byAttacker(E, 'ES256', attackerEc.privateKey, (t) => Object.assign(t.header, { kid: 'attacker-kid', jku: `${keyServerUrl}/attacker/jwks.json` })) },
    { name: 'ES256: x5u to an attacker certificate, partner kid', partner: E, codes: KEY_FAULT, build: byAttacker(E, 'ES256', attackerEc.privateKey, (t) => (t.header.x5u = `${keyServerUrl}/cert.pem`)) },
    { name: 'ES256: x5c with an attacker certificate, partner kid', partner: E, codes: KEY_FAULT, build: byAttacker(E, 'ES256', attackerEc.privateKey, (t) => (t.header.x5c = [attackerCertDer.toString('base64')])) },
    { name: 'ES256: x5c with an attacker certificate, no kid', partner: E, codes: KEY_FAULT, build: byAttacker(E, 'ES256', attackerEc.privateKey, (t) => {
      delete t.header.kid;
      t.header.x5c = [attackerCertDer.toString('base64')];
    }) },
    { name: 'EdDSA: embedded attacker Ed25519 jwk with the partner kid', partner: D, codes: KEY_FAULT, build: byAttacker(D, 'EdDSA', attackerEd.privateKey, (t) => (t.header.jwk = { ...(attackerEd.publicKey.export({ format: 'jwk' }) as Record<string, unknown>), kid: D.kid, alg: 'EdDSA' })) },
    { name: 'PS256: embedded attacker RSA jwk with the partner kid', partner: S, codes: KEY_FAULT, build: byAttacker(S, 'PS256', attackerRsa.privateKey, (t) => (t.header.jwk = { ...(attackerRsa.publicKey.export({ format: 'jwk' }) as Record<string, unknown>), kid: S.kid, alg: 'PS256' })) },
  ];
  for (const c of cases) it(c.name, async () => expectRefused(MAIN, c));

  it('contract silent: the partner\'s own valid signature with jwk/jku/x5u/x5c hints is judged by the registered key alone (served or a signed 401), and nothing is fetched', async () => {
    const hints: Record<string, unknown>[] = [
      { jku: `${keyServerUrl}/own/jwks.json` },
      { x5u: `${keyServerUrl}/own/cert.pem` },
      { jwk: { ...attackerEcJwk(), kid: E.kid } },
      { x5c: [attackerCertDer.toString('base64')] },
    ];
    for (const h of hints) {
      const build = custom(E, { alg: 'ES256', change: (t) => Object.assign(t.header, h) });
      const ans = await send(gw.url, 'GET', '/v1/catalog', build('GET', '/v1/catalog'));
      observations.push(`partner-signed token with ${Object.keys(h)[0]} hint: ${ans.status} ${ans.json?.code ?? ''}`);
      if (ans.status === 200) await expectSigned(gw.url, ans);
      else await expectSignedProblem(gw.url, ans, 401, AUTH);
    }
  });

  it('the jku / x5u key server was never asked', async () => {
    await observeFor(1000, () => expect(keyServerHits, 'requests the gateway made to URLs named in tokens').toEqual([]));
  });
});

describe('a key that does not fit the alg', () => {
  const cases: Hostile[] = [
    { name: 'ES256 header with the kid of an RSA key (PS256 partner), signed by a P-256 key', partner: S, codes: KEY_FAULT, build: custom(S, { alg: 'ES256', key: attackerEc.privateKey }) },
    { name: 'ES256 header with the kid of an Ed25519 key, signed by a P-256 key', partner: D, codes: KEY_FAULT, build: custom(D, { alg: 'ES256', key: attackerEc.privateKey }) },
    { name: 'PS256 header with the kid of a P-256 key, signed by an RSA key', partner: E, codes: KEY_FAULT, build: custom(E, { alg: 'PS256', key: attackerRsa.privateKey }) },
    { name: 'EdDSA header with the kid of a P-256 key, signed by an Ed25519 key', partner: E, codes: KEY_FAULT, build: custom(E, { alg: 'EdDSA', key: attackerEd.privateKey }) },
    { name: 'EdDSA header with the kid of an RSA key, signed by an Ed25519 key', partner: S, codes: KEY_FAULT, build: custom(S, { alg: 'EdDSA', key: attackerEd.privateKey }) },
  ];
  for (const c of cases) it(c.name, async () => expectRefused(MAIN, c));

  it('contract silent: PS256 with the RSA key registered with alg RS256 (allowRs256 partner), valid PSS signature', async () => {
    const ans = await send(gw.url, 'GET', '/v1/catalog', custom(RS, { alg: 'PS256' })('GET', '/v1/catalog'));
    observations.push(`PS256 under a key registered with alg RS256: ${ans.status} ${ans.json?.code ?? ''}`);
    if (ans.status === 200) await expectSigned(gw.url, ans);
    else await expectSignedProblem(gw.url, ans, 401, AUTH);
  });
});

// ---------------------------------------------------------------------------------------------
// registries the gateway may refuse at start-up

describe('partner keys the gateway may refuse at start-up; if it starts, their tokens are refused', () => {
  interface Side {
    env?: GatewayEnv;
    refusal?: string;
    db: ScratchDatabase;
  }

  async function sideGateway(partners: Partner[]): Promise<Side> {
    const sdb = await scratchDatabase();
    try {
      return { env: await startGateway(sdb.url, partners), db: sdb };
    } catch (e) {
      return { refusal: (e as Error).message, db: sdb };
    }
  }

  /** Starts a gateway with a control ES256 partner and `weak`; runs `whenStarted` if it started. */
  async function withSide(name: string, weak: Partner, whenStarted: (env: Target) => Promise<void>): Promise<void> {
    const control = partnerOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }), { alg: 'ES256', name: '对照单位', system: 'sig.control' });
    const side = await sideGateway([control, weak]);
    try {
      if (side.refusal !== undefined) {
        observations.push(`${name}: start-up refused`);
        expect(side.refusal, 'a start-up refusal, not a timeout').toMatch(/^gateway exited during start-up/);
        expect(side.refusal, 'the refusal names the partner entry or its kid').toMatch(new RegExp(`${weak.id}|${weak.kid}`));
        return;
      }
      const env: Target = { url: () => side.env!.url, reader: control };
      const ok = await signed(env.url(), control, 'GET', '/v1/catalog');
      expect(ok.status, `control partner on the same gateway: ${show(ok)}`).toBe(200);
      const out = side.env!.child.output();
      observations.push(`${name}: gateway started${out.includes(weak.kid) || out.includes(weak.id) ? ' (its output names the entry)' : ' (its output does not name the entry)'}`);
      await whenStarted(env);
    } finally {
      await side.env?.stop();
      await side.db.drop();
    }
  }

  const T = 240_000;

  it('PS256 with a 1024-bit RSA key (JWA §3.5: at least 2048 bits)', async () => {
    const weak = partnerOf(generateKeyPairSync('rsa', { modulusLength: 1024 }), { alg: 'PS256', name: '弱密钥单位', system: 'sig.weak1024' });
    await withSide('PS256 RSA-1024', weak, (env) => expectRefused(env, { name: 'PS256 RSA-1024 token', partner: weak, codes: KEY_FAULT, build: custom(weak, { alg: 'PS256' }) }));
  }, T);

  it('PS256 with a 2047-bit RSA key (256-byte modulus, one bit short)', async () => {
    const weak = partnerOf(generateKeyPairSync('rsa', { modulusLength: 2047 }), { alg: 'PS256', name: '弱密钥单位', system: 'sig.weak2047' });
    await withSide('PS256 RSA-2047', weak, (env) => expectRefused(env, { name: 'PS256 RSA-2047 token', partner: weak, codes: KEY_FAULT, build: custom(weak, { alg: 'PS256' }) }));
  }, T);

  it('RS256 (allowRs256) with a 1024-bit RSA key', async () => {
    const weak = partnerOf(generateKeyPairSync('rsa', { modulusLength: 1024 }), { alg: 'RS256', name: '弱密钥单位', system: 'sig.weakrs', allowRs256: true });
    await withSide('RS256 RSA-1024', weak, (env) => expectRefused(env, { name: 'RS256 RSA-1024 token', partner: weak, codes: KEY_FAULT, build: custom(weak, { alg: 'RS256' }) }));
  }, T);

  it('a P-384 key registered for ES256: ES256 tokens signed with it are refused', async () => {
    const weak = partnerOf(generateKeyPairSync('ec', { namedCurve: 'P-384' }), { alg: 'ES256', name: '曲线错配单位', system: 'sig.p384' });
    await withSide('P-384 key registered as ES256', weak, async (env) => {
      await expectRefused(env, { name: 'ES256 token signed with the P-384 key (96-byte R||S)', partner: weak, codes: KEY_FAULT, build: custom(weak, { alg: 'ES256' }) });
      await expectRefused(env, { name: 'ES256 header, DER signature by the P-384 key', partner: weak, codes: KEY_FAULT, build: custom(weak, { alg: 'ES256', signAlg: 'ES256-DER' }) });
      await expectRefused(env, { name: 'ES384 with the P-384 key', partner: weak, codes: [...KEY_FAULT, ...ALG_FAULT], build: custom(weak, { alg: 'ES384' }) });
    });
  }, T);

  it('one kid for two keys, P-256 and P-384: a token signed with the P-384 key under that kid is refused', async () => {
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const twin = partnerOf(p256, { alg: 'ES256', name: '同名密钥单位', system: 'sig.dupkid' });
    twin.extraJwks = [{ ...(p384.publicKey.export({ format: 'jwk' }) as Record<string, unknown>), kid: twin.kid, alg: 'ES256', use: 'sig' }];
    await withSide('P-256 and P-384 under one kid', twin, async (env) => {
      await expectRefused(env, { name: 'ES256 under the shared kid, signed with the P-384 key', partner: twin, codes: KEY_FAULT, build: custom(twin, { alg: 'ES256', key: p384.privateKey }) });
      const own = await send(env.url(), 'GET', '/v1/catalog', custom(twin, { alg: 'ES256' })('GET', '/v1/catalog'));
      observations.push(`shared kid, signed with the P-256 key: ${own.status} ${own.json?.code ?? ''}`);
    });
  }, T);

  it('an Ed448 key registered for EdDSA: EdDSA tokens signed with it are refused (partners sign with Ed25519)', async () => {
    const weak = partnerOf(generateKeyPairSync('ed448'), { alg: 'EdDSA', name: 'Ed448单位', system: 'sig.ed448' });
    await withSide('Ed448 key registered as EdDSA', weak, (env) => expectRefused(env, { name: 'EdDSA token signed with the Ed448 key', partner: weak, codes: KEY_FAULT, build: custom(weak, { alg: 'EdDSA' }) }));
  }, T);
});
