/**
 * Helpers for the hostile security suite. Built from the README contract alone: tokens are made with
 * node:crypto (no JOSE library, no project client), gateways run as child processes on scratch
 * databases, and answers are read over node:http with the request target sent exactly as given.
 */
import { execFile } from 'node:child_process';
import { createHash, createHmac, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, sign, verify, constants, type KeyObject } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { expect, inject } from 'vitest';
import { spawnGateway, writeConfigFile, type ChildGateway } from '../../src/dev/child-gateway.js';
import { createScratchDatabase, type ScratchDatabase } from '../../src/dev/scratch-database.js';
import { scratchDir } from '../../src/dev/scratch-dir.js';

// ---------------------------------------------------------------------------------------------
// USCC (GB 32100-2015) and organisation codes (GB 11714)

const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];

/** The GB 32100 mod-31 check character for the first 17 characters. */
export function usccCheckChar(first17: string): string {
  if (first17.length !== 17) throw new Error(`need 17 characters, got ${first17.length}`);
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = USCC_CHARS.indexOf(first17[i]!);
    if (v < 0) throw new Error(`bad USCC character ${first17[i]}`);
    sum += v * USCC_WEIGHTS[i]!;
  }
  const c = (31 - (sum % 31)) % 31;
  return USCC_CHARS[c]!;
}

export function isValidUscc(code: string): boolean {
  return /^[0-9A-HJ-NPQRTUWXY]{18}$/.test(code) && usccCheckChar(code.slice(0, 17)) === code[17];
}

/** The GB 11714 check character for the first 8 characters of an organisation code. */
export function orgCodeCheckChar(first8: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const ch = first8[i]!;
    const v = /[0-9]/.test(ch) ? Number(ch) : ch.charCodeAt(0) - 55;
    sum += v * ORG_WEIGHTS[i]!;
  }
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

/**
 * A valid USCC: registration authority + entity kind (e.g. "91" enterprise, "11" organ), a six-digit
 * GB/T 2260 region, an 8-digit serial with its GB 11714 check, and the GB 32100 check character.
 */
export function makeUscc(kind: string, region: string, serial: number): string {
  const org8 = String(serial).padStart(8, '0').slice(-8);
  const first17 = `${kind}${region}${org8}${orgCodeCheckChar(org8)}`;
  return first17 + usccCheckChar(first17);
}

// ---------------------------------------------------------------------------------------------
// base64url, JWS

export function b64u(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export function jsonB64u(value: unknown): string {
  return b64u(JSON.stringify(value));
}

/** A compact JWS over the given header and claims, ES256 (P-256, raw r||s signature). */
export function signEs256(header: Record<string, unknown>, claims: Record<string, unknown>, key: KeyObject): string {
  const input = `${jsonB64u(header)}.${jsonB64u(claims)}`;
  const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64u(sig)}`;
}

/** A compact JWS with any of the algorithms a forger might try. `key` is a KeyObject or, for HS*, a secret. */
export function signJws(header: Record<string, unknown>, claims: Record<string, unknown>, alg: 'ES256' | 'PS256' | 'RS256' | 'HS256' | 'none', key?: KeyObject | Buffer): string {
  const input = `${jsonB64u(header)}.${jsonB64u(claims)}`;
  const data = Buffer.from(input);
  let sig: Buffer;
  switch (alg) {
    case 'ES256':
      sig = sign('sha256', data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
      break;
    case 'PS256':
      sig = sign('sha256', data, { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
      break;
    case 'RS256':
      sig = sign('sha256', data, key as KeyObject);
      break;
    case 'HS256':
      sig = createHmac('sha256', key as Buffer).update(data).digest();
      break;
    case 'none':
      sig = Buffer.alloc(0);
      break;
  }
  return `${input}.${b64u(sig)}`;
}

export function contentDigest(body: Buffer): string {
  return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

// ---------------------------------------------------------------------------------------------
// partners

export interface Partner {
  id: string;
  name: string;
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
  scopes: string[];
  sourceSystems: string[];
  categories: string[];
  regions: string[];
  rateLimit?: { requests: number; perSeconds: number };
  cidrs?: string[];
  allowRs256?: boolean;
  /** extra keys published in the partner's JWKS (e.g. an RSA key) */
  extraJwks?: Record<string, unknown>[];
}

export function makePartner(opts: {
  id: string;
  name: string;
  scopes: string[];
  sourceSystems: string[];
  categories: string[];
  regions: string[];
  rateLimit?: { requests: number; perSeconds: number };
  cidrs?: string[];
}): Partner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = `${opts.id.slice(-6)}-${randomBytes(4).toString('hex')}`;
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  return { ...opts, kid, privateKey, publicJwk: { ...jwk, kid, alg: 'ES256', use: 'sig' } };
}

/** The registry entry for `auth.partners`, as README "Onboarding a partner agency" step 2 shows. */
export function partnerEntry(p: Partner): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    jwks: { keys: [p.publicJwk, ...(p.extraJwks ?? [])] },
    scopes: p.scopes,
    sourceSystems: p.sourceSystems,
    categories: p.categories,
    regions: p.regions,
    rateLimit: p.rateLimit ?? { requests: 100_000, perSeconds: 60 },
    cidrs: p.cidrs ?? [],
    allowRs256: p.allowRs256 ?? false,
  };
}

export const AUDIENCE = 'credit-gateway-sec-test';

export interface TokenParts {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/** Header and claims of a correct token for this request (README: iss/sub/aud/iat/exp/jti/htm/htu[/cdg]). */
export function tokenParts(p: Partner, method: string, target: string, body?: Buffer): TokenParts {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: p.id,
    sub: p.id,
    aud: AUDIENCE,
    iat: now,
    exp: now + 60,
    jti: randomUUID(),
    htm: method,
    htu: target,
  };
  if (body !== undefined) claims.cdg = contentDigest(body);
  return { header: { alg: 'ES256', typ: 'JWT', kid: p.kid }, claims };
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  text: string;
  json: any;
  /** the jti of the token sent, when there was one */
  jti?: string;
  iat?: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export interface RawRequest {
  method: string;
  /** the request target exactly as it goes on the wire */
  path: string;
  headers?: http.OutgoingHttpHeaders;
  body?: Buffer;
  timeoutMs?: number;
}

export function request(baseUrl: string, req: RawRequest): Promise<Answer> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const r = http.request(
      {
        host: u.hostname,
        port: Number(u.port),
        method: req.method,
        path: req.path,
        headers: { ...(req.body !== undefined ? { 'content-length': String(req.body.length) } : {}), ...req.headers },
        agent,
        timeout: req.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const text = raw.toString('utf8');
          let json: any;
          try {
            json = text.length ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, text, json });
        });
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`request ${req.method} ${req.path} timed out`)));
    r.on('error', reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

export interface SignedOptions {
  /** JSON value (serialised here) or raw bytes */
  body?: unknown;
  rawBody?: Buffer;
  contentType?: string;
  headers?: http.OutgoingHttpHeaders;
  /** changes to the token's header/claims before signing; return value replaces them */
  tamper?: (t: TokenParts) => void;
  /** replace the Authorization value entirely */
  authorization?: string | string[];
  /** the Content-Digest header to send (default: the digest of the bytes sent); null = none */
  contentDigestHeader?: string | null;
}

export function bodyBytes(opts: SignedOptions): Buffer | undefined {
  if (opts.rawBody !== undefined) return opts.rawBody;
  if (opts.body !== undefined) return Buffer.from(JSON.stringify(opts.body), 'utf8');
  return undefined;
}

/** Builds the Authorization value (and digest) of a correctly signed request, after `tamper`. */
export function signedHeaders(p: Partner, method: string, target: string, opts: SignedOptions = {}): { headers: http.OutgoingHttpHeaders; parts: TokenParts; body?: Buffer } {
  const body = bodyBytes(opts);
  const parts = tokenParts(p, method, target, body);
  opts.tamper?.(parts);
  const token = signEs256(parts.header, parts.claims, p.privateKey);
  const headers: http.OutgoingHttpHeaders = {};
  (headers as Record<string, string | string[]>).authorization = opts.authorization ?? `Bearer ${token}`;
  if (body !== undefined) {
    headers['content-type'] = opts.contentType ?? 'application/json';
    const d = opts.contentDigestHeader === undefined ? contentDigest(body) : opts.contentDigestHeader;
    if (d !== null) headers['content-digest'] = d;
  }
  Object.assign(headers, opts.headers);
  for (const [k, v] of Object.entries(headers)) if (v === undefined || v === '') delete headers[k];
  return body === undefined ? { headers, parts } : { headers, parts, body };
}

export async function signed(baseUrl: string, p: Partner, method: string, target: string, opts: SignedOptions = {}): Promise<Answer> {
  const { headers, parts, body } = signedHeaders(p, method, target, opts);
  const ans = await request(baseUrl, { method, path: target, headers, ...(body !== undefined ? { body } : {}) });
  ans.jti = String(parts.claims.jti);
  ans.iat = Number(parts.claims.iat);
  return ans;
}

/**
 * One request over a fresh raw TCP socket; resolves with everything the server sent until it closed,
 * went quiet after answering, or the hard timeout. The quiet window (`quietMs` without a byte) is an
 * observation window, not a sleep: a server that keeps the connection open marks no end of what it
 * sends, so a while of silence is the only sign that nothing more is coming.
 */
export function rawSocket(baseUrl: string, payload: Buffer | string, opts: { quietMs?: number; timeoutMs?: number; onConnect?: (s: net.Socket) => void } = {}): Promise<string> {
  const u = new URL(baseUrl);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const sock = net.connect({ host: u.hostname, port: Number(u.port) });
    let quiet: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(quiet);
      clearTimeout(hard);
      sock.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const hard = setTimeout(done, opts.timeoutMs ?? 10_000);
    const arm = () => {
      clearTimeout(quiet);
      quiet = setTimeout(done, opts.quietMs ?? 1500);
    };
    // the quiet timer starts with the first byte of the answer: until then only the hard timeout applies
    sock.on('connect', () => {
      sock.write(payload);
      opts.onConnect?.(sock);
    });
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      arm();
    });
    sock.on('error', done);
    sock.on('close', done);
  });
}

/** How rawSocketExchange sends and waits. */
export interface RawExchangeOptions {
  /** the exchange ends after this long without a byte from the server (default 1.5 s) */
  quietMs?: number;
  /** and at the latest after this long (default 20 s) */
  timeoutMs?: number;
  /** wait this long after the head before sending the body, which is not sent if an answer came meanwhile (default: no wait) */
  headAloneMs?: number;
  /** the body's slices (default 64 KiB) */
  sliceBytes?: number;
}

/**
 * Sends a request head and then a large body in slices with back-pressure, stopping as soon as the
 * server starts answering (a server may answer 413 and close before the body is read; writing on would
 * provoke a reset that can discard the answer). Resolves with everything received, ending on a quiet
 * window as rawSocket, and a note of what happened (answered on the head alone, socket error, timeout).
 */
export function rawSocketExchange(baseUrl: string, head: Buffer, body: Buffer, opts: RawExchangeOptions = {}): Promise<{ stream: string; note: string }> {
  const u = new URL(baseUrl);
  const slice = opts.sliceBytes ?? 64 * 1024;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const sock = net.connect({ host: u.hostname, port: Number(u.port) });
    let note = 'head sent';
    let finished = false;
    let quiet: NodeJS.Timeout | undefined;
    const done = () => {
      if (finished) return;
      finished = true;
      clearTimeout(quiet);
      clearTimeout(hard);
      sock.destroy();
      resolve({ stream: Buffer.concat(chunks).toString('latin1'), note });
    };
    const hard = setTimeout(() => {
      note += '; hard timeout';
      done();
    }, opts.timeoutMs ?? 20_000);
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      clearTimeout(quiet);
      quiet = setTimeout(done, opts.quietMs ?? 1500);
    });
    sock.on('error', (e) => {
      note += `; socket error ${e.message}`;
      done();
    });
    sock.on('close', done);
    sock.on('connect', async () => {
      sock.write(head);
      if (opts.headAloneMs !== undefined) {
        await new Promise((r) => setTimeout(r, opts.headAloneMs));
        if (chunks.length > 0) {
          note += '; answered on the head alone';
          return;
        }
        note += '; body streamed';
      }
      for (let off = 0; off < body.length && chunks.length === 0 && !finished; off += slice) {
        if (!sock.write(body.subarray(off, off + slice))) await new Promise((r) => sock.once('drain', r));
        await new Promise((r) => setImmediate(r));
      }
    });
  });
}

/** rawSocketExchange's stream alone. */
export async function rawSocketStreaming(baseUrl: string, head: Buffer, body: Buffer, opts: RawExchangeOptions = {}): Promise<string> {
  return (await rawSocketExchange(baseUrl, head, body, opts)).stream;
}

/** Parses a stream of HTTP/1.1 responses (Content-Length or chunked bodies). */
export function parseResponses(stream: string): { status: number; headers: Record<string, string[]>; body: Buffer }[] {
  const out: { status: number; headers: Record<string, string[]>; body: Buffer }[] = [];
  let buf = Buffer.from(stream, 'latin1');
  for (let guard = 0; guard < 1000 && buf.length > 0; guard++) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) break;
    const head = buf.subarray(0, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '');
    if (!m) break;
    const headers: Record<string, string[]> = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const k = line.slice(0, i).trim().toLowerCase();
      (headers[k] ??= []).push(line.slice(i + 1).trim());
    }
    let rest = buf.subarray(end + 4);
    let body = Buffer.alloc(0);
    if (headers['transfer-encoding']?.some((v) => /chunked/i.test(v))) {
      const parts: Buffer[] = [];
      for (let g = 0; g < 10_000; g++) {
        const le = rest.indexOf('\r\n');
        if (le < 0) break;
        const size = parseInt(rest.subarray(0, le).toString('latin1'), 16);
        rest = rest.subarray(le + 2);
        if (!size) {
          rest = rest.subarray(rest.indexOf('\r\n') + 2);
          break;
        }
        parts.push(rest.subarray(0, size));
        rest = rest.subarray(size + 2);
      }
      body = Buffer.concat(parts);
    } else {
      const len = Number(headers['content-length']?.[0] ?? 0);
      body = rest.subarray(0, len);
      rest = rest.subarray(len);
    }
    out.push({ status: Number(m[1]), headers, body });
    buf = rest;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// response signatures (README "Signed answers")

const jwksCache = new Map<string, Record<string, unknown>[]>();

async function gatewayKeys(baseUrl: string, refresh: boolean): Promise<Record<string, unknown>[]> {
  if (!refresh && jwksCache.has(baseUrl)) return jwksCache.get(baseUrl)!;
  const ans = await request(baseUrl, { method: 'GET', path: '/.well-known/jwks.json' });
  if (ans.status !== 200) throw new Error(`jwks: ${ans.status}`);
  const keys = (ans.json?.keys ?? []) as Record<string, unknown>[];
  jwksCache.set(baseUrl, keys);
  return keys;
}

export interface SignatureCheck {
  ok: boolean;
  reason?: string;
  header?: Record<string, any>;
}

/**
 * Checks X-Response-Signature: `<protected>..<signature>`, detached ordinary base64url payload over
 * the exact response bytes, verified with a key from /.well-known/jwks.json (refetched once on an
 * unknown kid).
 */
export async function checkAnswerSignature(baseUrl: string, ans: Answer): Promise<SignatureCheck> {
  const value = ans.headers['x-response-signature'];
  if (typeof value !== 'string') return { ok: false, reason: `no single X-Response-Signature header (got ${JSON.stringify(value)})` };
  const m = /^([A-Za-z0-9_-]+)\.\.([A-Za-z0-9_-]+)$/.exec(value);
  if (!m) return { ok: false, reason: `not <protected>..<signature>: ${value.slice(0, 80)}` };
  let header: Record<string, any>;
  try {
    header = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'protected header is not JSON' };
  }
  if (header.b64 === false) return { ok: false, reason: 'b64:false (RFC 7797) used', header };
  let keys = await gatewayKeys(baseUrl, false);
  let jwk = keys.find((k) => k.kid === header.kid);
  if (!jwk) {
    keys = await gatewayKeys(baseUrl, true);
    jwk = keys.find((k) => k.kid === header.kid);
  }
  if (!jwk) return { ok: false, reason: `kid ${String(header.kid)} not in /.well-known/jwks.json`, header };
  const key = createPublicKey({ key: jwk as any, format: 'jwk' });
  const input = Buffer.from(`${m[1]}.${b64u(ans.raw)}`);
  const sig = Buffer.from(m[2]!, 'base64url');
  const alg = String(header.alg);
  let ok = false;
  try {
    if (alg === 'ES256') ok = verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, sig);
    else if (alg === 'ES384') ok = verify('sha384', input, { key, dsaEncoding: 'ieee-p1363' }, sig);
    else if (alg === 'PS256') ok = verify('sha256', input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig);
    else if (alg === 'RS256') ok = verify('sha256', input, key, sig);
    else if (alg === 'EdDSA') ok = verify(null, input, key, sig);
    else return { ok: false, reason: `unexpected alg ${alg}`, header };
  } catch (e) {
    return { ok: false, reason: `verify threw: ${(e as Error).message}`, header };
  }
  return ok ? { ok, header } : { ok, reason: 'signature does not verify over the body bytes', header };
}

// ---------------------------------------------------------------------------------------------
// problem+json

export function isProblem(ans: Answer): boolean {
  return /^application\/problem\+json/i.test(String(ans.headers['content-type'] ?? '')) && typeof ans.json?.code === 'string';
}

/** Asserts a problem+json answer with this status and code, carrying a valid X-Response-Signature. */
export async function expectSignedProblem(baseUrl: string, ans: Answer, status: number, code: string | RegExp): Promise<void> {
  expect(ans.status, show(ans)).toBe(status);
  expect(isProblem(ans), `problem+json with a code: ${show(ans)}`).toBe(true);
  if (typeof code === 'string') expect(ans.json.code, show(ans)).toBe(code);
  else expect(ans.json.code, show(ans)).toMatch(code);
  expect(ans.json.status, 'problem status member').toBe(status);
  const sig = await checkAnswerSignature(baseUrl, ans);
  expect(sig.ok, `X-Response-Signature of ${ans.status} ${ans.json?.code}: ${sig.reason}`).toBe(true);
}

/** Asserts a valid X-Response-Signature. */
export async function expectSigned(baseUrl: string, ans: Answer): Promise<SignatureCheck> {
  const sig = await checkAnswerSignature(baseUrl, ans);
  expect(sig.ok, `X-Response-Signature of ${show(ans)}: ${sig.reason}`).toBe(true);
  return sig;
}

/** A short description of an answer for assertion messages. */
export function show(ans: Answer): string {
  return `${ans.status} ${String(ans.headers['content-type'] ?? '')} ${ans.text.slice(0, 400)}`;
}

/** All field errors of a problem or item, whatever the container name. */
export function fieldErrors(x: any): { pointer?: string; rule?: string; [k: string]: unknown }[] {
  if (!x || typeof x !== 'object') return [];
  for (const k of ['errors', 'fieldErrors', 'invalidParams', 'invalid-params']) if (Array.isArray(x[k])) return x[k];
  return [];
}

// ---------------------------------------------------------------------------------------------
// gateway processes

export interface GatewayEnv {
  url: string;
  child: ChildGateway;
  configFile: string;
  keysDir: string;
  stop(): Promise<void>;
}

export function pgAdminUrl(): string {
  return inject('pgAdminUrl');
}

export function kafkaBrokers(): string[] {
  return inject('kafkaBrokers');
}

export async function scratchDatabase(): Promise<ScratchDatabase> {
  return createScratchDatabase(pgAdminUrl(), 'gw_sec');
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)) {
      out[k] = deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}

/** Config for a child gateway with partners registered; `extra` is merged over it. */
export function gatewayConfig(partners: Partner[], extra: Record<string, unknown> = {}, keysDirIn?: string): { config: Record<string, unknown>; keysDir: string } {
  const tag = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const keysDir = keysDirIn ?? scratchDir('gw-sec-keys-');
  const base: Record<string, unknown> = {
    relay: { idleIntervalMs: 100, topicPartitions: 1 },
    destinations: [{ name: 'prov', topic: `test.sec${tag}.prov.v1`, categories: ['*'], regions: [], maskPersonalIds: true }],
    monitoring: { alertsTopic: `test.sec${tag}.alerts.v1` },
    log: { level: 'warn' },
    auth: {
      enabled: true,
      audience: AUDIENCE,
      signingKeys: { dir: keysDir },
      partners: partners.map(partnerEntry),
    },
  };
  return { config: deepMerge(base, extra), keysDir };
}

export async function startGateway(databaseUrl: string, partners: Partner[], extra: Record<string, unknown> = {}, opts: { keysDir?: string } = {}): Promise<GatewayEnv> {
  const { config, keysDir } = gatewayConfig(partners, extra, opts.keysDir);
  const configFile = writeConfigFile(config);
  const child = await spawnGateway({ databaseUrl, brokers: kafkaBrokers(), configFile });
  return {
    url: child.url,
    child,
    configFile,
    keysDir,
    stop: async () => {
      if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
      child.proc.kill('SIGTERM');
      const t = setTimeout(() => child.proc.kill('SIGKILL'), 15_000);
      await child.exited;
      clearTimeout(t);
    },
  };
}

/** Runs `echo pw | npx tsx src/cli/operator-add.ts user` as a black box and returns the printed passwordHash. */
export function operatorPasswordHash(username: string, password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('npx', ['tsx', 'src/cli/operator-add.ts', username], { cwd: process.cwd(), timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`operator-add failed: ${err.message}\n${stderr}`));
      const m = /passwordHash:\s*(\S+)/.exec(stdout);
      if (!m) return reject(new Error(`no passwordHash in: ${stdout}`));
      resolve(m[1]!.replace(/^["']|["']$/g, ''));
    });
    child.stdin!.end(`${password}\n`);
  });
}

// ---------------------------------------------------------------------------------------------
// records

/** A well-formed 行政处罚 item for POST /v1/records. */
export function penaltyItem(o: { system: string; key: string; uscc: string; name?: string; severity?: 'general' | 'severe'; decidedAt?: string; publishUntil?: string; note?: string }): Record<string, unknown> {
  const name = o.name ?? `测试企业${o.key}有限公司`;
  const decidedAt = o.decidedAt ?? '2024-03-01';
  const authority = AUTHORITY_USCC;
  return {
    category: 'admin_penalty',
    severity: o.severity ?? 'general',
    subject: { uscc: o.uscc, name },
    source: { system: o.system, key: o.key },
    decidedAt,
    publishUntil: o.publishUntil ?? '2030-12-31',
    data: {
      CF_XDR_MC: name,
      CF_XDR_LB: '法人及非法人组织',
      CF_XDR_SHXYM: o.uscc,
      CF_FRDB: '张三',
      CF_WSH: `昆市监罚〔2024〕${o.key}号`,
      CF_WFXW: '虚假宣传',
      CF_SY: o.note ?? '当事人在其网店发布虚假宣传信息。',
      CF_YJ: '《中华人民共和国反不正当竞争法》第二十条',
      CF_CFLB: '罚款',
      CF_NR: '罚款人民币五万元',
      CF_NR_FK: 5,
      CF_JDRQ: decidedAt,
      CF_YXQ: '2099-12-31',
      CF_CFJG: '昆山市市场监督管理局',
      CF_CFJGDM: authority,
      CF_SJLY: '昆山市市场监督管理局',
      CF_SJLYDM: authority,
    },
  };
}

/** A well-formed 招标投标不良行为 item. */
export function biddingItem(o: { system: string; key: string; uscc: string; name?: string; decidedAt?: string }): Record<string, unknown> {
  const name = o.name ?? `投标企业${o.key}有限公司`;
  const decidedAt = o.decidedAt ?? '2024-05-06';
  return {
    category: 'bidding_misconduct',
    severity: 'general',
    subject: { uscc: o.uscc, name },
    source: { system: o.system, key: o.key },
    decidedAt,
    data: {
      projectName: `某市政道路改造工程${o.key}`,
      party: name,
      partyRole: '投标人',
      behaviour: '提供虚假业绩材料',
      handlingDecision: '记不良行为一次',
      decisionAuthority: '杭州市公共资源交易管理委员会办公室',
      decisionDate: decidedAt,
    },
  };
}

const GB11643_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** A GB 11643 resident identity number: region, birth date (YYYYMMDD), a three-digit sequence and the mod-11 check. */
export function makePersonalId(region: string, birth: string, seq: number): string {
  const first17 = `${region}${birth}${String(seq).padStart(3, '0')}`;
  const sum = GB11643_WEIGHTS.reduce((acc, w, i) => acc + w * Number(first17[i]), 0);
  return first17 + '10X98765432'[sum % 11]!;
}

/** A 行政处罚 item about a natural person (identity number in the subject and in CF_XDR_ZJHM). */
export function personPenaltyItem(o: { system: string; key: string; idNumber: string; name?: string }): Record<string, unknown> {
  const item = penaltyItem({ system: o.system, key: o.key, uscc: AUTHORITY_USCC, ...(o.name ? { name: o.name } : {}) }) as any;
  const name = o.name ?? '王某某';
  item.subject = { idNumber: o.idNumber, name, kind: 'person' };
  item.data.CF_XDR_MC = name;
  item.data.CF_XDR_LB = '自然人';
  delete item.data.CF_XDR_SHXYM;
  delete item.data.CF_FRDB;
  item.data.CF_XDR_ZJLX = '身份证';
  item.data.CF_XDR_ZJHM = o.idNumber;
  return item;
}

/** The USCC of a government organ in 昆山 (the README's example partner id). */
export const AUTHORITY_USCC = '11320583000012343X';

export const SECURITY_HEADERS: [string, (v: string) => boolean][] = [
  ['x-content-type-options', (v) => v.toLowerCase() === 'nosniff'],
  ['referrer-policy', (v) => v.toLowerCase() === 'no-referrer'],
  ['x-frame-options', (v) => v.toUpperCase() === 'DENY'],
  ['content-security-policy', (v) => /frame-ancestors\s+'none'/.test(v)],
  ['cross-origin-opener-policy', (v) => v.length > 0],
  ['cross-origin-resource-policy', (v) => v.toLowerCase() === 'same-origin'],
  ['strict-transport-security', (v) => /max-age=\d+/.test(v)],
];

/** Names of security headers that are missing or wrong. */
export function missingSecurityHeaders(headers: http.IncomingHttpHeaders): string[] {
  const bad: string[] = [];
  for (const [name, ok] of SECURITY_HEADERS) {
    const v = headers[name];
    if (typeof v !== 'string' || !ok(v)) bad.push(`${name}=${JSON.stringify(v)}`);
  }
  return bad;
}
