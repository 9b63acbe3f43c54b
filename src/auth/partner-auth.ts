/**
 * Partner authentication on /v1 (health, metrics, docs and the gateway's JWKS stay open), in the
 * order a request meets it:
 *   onRequest     bearer token verified (verify-token.ts), client address, htm/htu binding, stated
 *                 purpose, and the route's declared scope (a /v1 route without one is refused) →
 *                 request.principal
 *   preValidation body digest (RFC 9530 Content-Digest = cdg claim = digest of the raw body bytes),
 *                 then one shared round trip: jti consumed once, request counted for the rate limit
 *                 (awaited here; for GET/HEAD, which change nothing, it runs alongside the handler and
 *                 onSend waits for it, replacing the answer if the request was a replay or over limit)
 *   onSend        the exact response bytes are written to the audit log (a failed write turns the
 *                 answer into a 503) and signed (X-Response-Signature, detached JWS)
 * Every /v1 answer, refusals included, passes onSend, so every request leaves an audit row.
 */
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AuthConfig } from '../config/types.js';
import type { AppContext } from '../context.js';
import type { Metrics } from '../metrics.js';
import { GatewayError, pickLanguage, toProblem } from '../errors.js';
import { asGatewayError } from '../http/problem.js';
import type { AuditEntry } from './audit-chain.js';
import { AuditCheckpointer, checkpointFileOf } from './audit-checkpoints.js';
import { subjectsOf } from './audit-subjects.js';
import { msSince, type RequestMarks } from './request-marks.js';
import { RedisAdmissionStore, type AdmissionResult, type AdmissionStore } from './admission-store.js';
import { AuthWriter } from './auth-writer.js';
import { contentDigestOf, sha256Member } from './content-digest.js';
import { GatewayKeys } from './gateway-keys.js';
import { PartnerDirectory } from './partner-directory.js';
import { principalOf } from './principal.js';
import { assertPartnerRegistry } from './registry-check.js';
import { RESPONSE_SIGNATURE_HEADER, signResponse } from './response-signature.js';
import type { Scope } from '../domain/scopes.js';
import { claimedIssuer, decodeToken, verifyToken, type VerifiedToken } from './verify-token.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the scope a /v1 route requires (or any one of a list); a /v1 route without one is refused (deny by default) */
    scope?: Scope | Scope[];
    /** the caller must state a purpose (X-Request-Purpose header or purpose claim) */
    purposeRequired?: boolean;
  }
  interface FastifyRequest {
    authTrace: AuthTrace | null;
  }
  interface FastifyInstance {
    /** the partner-auth runtime (keys, stores); absent when auth is disabled */
    partnerAuth?: AuthRuntime;
  }
}

/** What the hooks learn about one /v1 request, for the next hook and the audit row. */
export interface AuthTrace {
  startedAt: bigint;
  claimedIss: string | null;
  verified: VerifiedToken | null;
  purpose: string | null;
  /** subjects a route handler touched beyond those in the path, query and body */
  subjects: Set<string>;
  /** a GET/HEAD's replay and rate check, running alongside the handler: the refusal, or null */
  admission: Promise<GatewayError | null> | null;
  /** when each step ended, for the slow-request log line */
  marks: RequestMarks;
}

export interface AuthRuntime {
  keys: GatewayKeys;
  directory: PartnerDirectory;
  /** the writer itself, or Redis when auth.redisUrl is set */
  admission: AdmissionStore;
  /** audit rows, and (without Redis) admissions, to PostgreSQL */
  writer: AuthWriter;
  /** signs the audit chain head into a file outside the database; null when disabled */
  checkpoints: AuditCheckpointer | null;
  metrics: Pick<Metrics, 'authRefusals' | 'auditWriteFailures'>;
  /** a request taking this long or longer is logged with its steps' marks (auth.slowRequestMs; 0: none is) */
  slowRequestMs: number;
  close(): Promise<void>;
}

const BEARER = /^Bearer +([A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]*\.[A-Za-z0-9_=-]*)$/i;
const PURPOSE_MAX = 200;
const HOUSEKEEPING_MS = 60_000;
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** Adds routes' subjects to the audit row (for subjects not visible in the path, query or body). */
export function touchSubjects(request: FastifyRequest, usccs: Iterable<string>): void {
  for (const u of usccs) request.authTrace?.subjects.add(u);
}

export async function createAuthRuntime(ctx: AppContext): Promise<AuthRuntime> {
  const { auth } = ctx.config;
  const keys = await GatewayKeys.open(auth.signingKeys);
  const writer = new AuthWriter(ctx.pool, ctx.metrics);
  const admission: AdmissionStore = auth.redisUrl ? new RedisAdmissionStore(auth.redisUrl) : writer;
  const checkpoints = auth.auditCheckpoints.enabled ? new AuditCheckpointer(ctx.pool, keys, checkpointFileOf(auth)) : null;
  checkpoints?.start(auth.auditCheckpoints.intervalSeconds, (err) => ctx.log.error({ err }, 'audit checkpoint failed'));
  const housekeeping = setInterval(() => {
    void Promise.all([admission.sweep(), keys.reload().then(() => keys.rotateIfDue())]).catch((err) =>
      ctx.log.warn({ err }, 'auth housekeeping failed'));
  }, HOUSEKEEPING_MS);
  housekeeping.unref();
  return {
    keys,
    directory: new PartnerDirectory(auth),
    admission,
    writer,
    checkpoints,
    metrics: ctx.metrics,
    slowRequestMs: auth.slowRequestMs,
    close: async () => {
      clearInterval(housekeeping);
      await writer.drain();
      await checkpoints?.stop().catch((err) => ctx.log.error({ err }, 'audit checkpoint failed'));
      if (admission !== writer) await admission.close();
      await writer.close();
    },
  };
}

/**
 * The auth runtime of a gateway, or null when auth is disabled — then nothing is verified, signed or
 * audited, and a loud warning says so. Refuses a partner registry that does not check out.
 */
export async function openAuthRuntime(ctx: AppContext): Promise<AuthRuntime | null> {
  const { auth } = ctx.config;
  if (!auth.enabled) {
    ctx.log.warn('!!! PARTNER AUTHENTICATION IS DISABLED (auth.enabled: false): /v1 is open to anyone, answers are unsigned and NOT audited. Local development only. !!!');
    return null;
  }
  assertPartnerRegistry(ctx.config);
  if (auth.partners.length === 0) ctx.log.warn('no partner is registered (auth.partners is empty): every /v1 request will be refused');
  return createAuthRuntime(ctx);
}

export interface PartnerAuthOptions {
  runtime: AuthRuntime;
  auth: AuthConfig;
}

/**
 * Partner authentication for the scope it is registered in (the /v1 scope, src/routes/v1.ts), before
 * the scope's routes: every request there — its not-found answers included — is verified, admitted,
 * audited and signed; nothing outside it is.
 */
export const partnerAuth = fp<PartnerAuthOptions>(async (app, { runtime: rt, auth }) => {
  app.decorateRequest('authTrace', null);
  app.addHook('onRequest', async (request) => {
    const trace = startTrace(request);
    const decoded = decodeToken(bearerToken(request));
    trace.claimedIss = claimedIssuer(decoded);
    const verified = await verifyToken(decoded, rt.directory, auth);
    trace.verified = verified;
    trace.marks.verified = msSince(trace.startedAt);
    const { partner, claims } = verified;
    if (!partner.allowsAddress(request.ip)) {
      throw new GatewayError('GW_AUTH_ADDRESS_NOT_ALLOWED', { zh: `地址 ${request.ip} 不在允许范围内`, en: `address ${request.ip} is not in the partner's allowed networks` });
    }
    if (claims.htm !== request.method || claims.htu !== request.url) {
      throw new GatewayError('GW_AUTH_REQUEST_MISMATCH', {
        zh: '令牌的 htm/htu 须等于本请求的方法和路径（含查询串）',
        en: 'the token htm/htu must equal this request method and path (with query)',
      });
    }
    trace.purpose = statedPurpose(request, claims.purpose);
    const route = request.routeOptions.config;
    if (request.routeOptions.url !== undefined) {
      if (!route.scope) throw new GatewayError('GW_AUTH_ROUTE_NOT_DECLARED');
      const anyOf = Array.isArray(route.scope) ? route.scope : [route.scope];
      if (!anyOf.some((scope) => partner.config.scopes.includes(scope))) {
        throw new GatewayError('GW_AUTH_SCOPE_MISSING', { zh: `需要权限 ${anyOf.join(' 或 ')}`, en: `requires scope ${anyOf.join(' or ')}` });
      }
      if (route.purposeRequired && trace.purpose === null) throw new GatewayError('GW_AUTH_PURPOSE_REQUIRED');
    }
    request.principal = principalOf(partner.config, trace.purpose ?? undefined);
  });

  app.addHook('preValidation', async (request) => {
    const trace = request.authTrace;
    const verified = trace?.verified;
    if (!trace || !verified || !request.principal) return;
    checkBodyDigest(request, verified.claims.cdg);
    const { partner, claims } = verified;
    const limit = partner.config.rateLimit;
    const admission = rt.admission
      .admit({ partnerId: partner.config.id, jti: claims.jti, rememberUntil: claims.exp + auth.clockSkewSeconds, limit })
      .then((admitted) => refusalOf(admitted, limit), (err: Error) => asGatewayError(err))
      .finally(() => (trace.marks.admitted = msSince(trace.startedAt)));
    if (SAFE_METHODS.has(request.method)) {
      trace.admission = admission;
      return;
    }
    const refusal = await admission;
    if (refusal) throw refusal;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const trace = request.authTrace;
    if (!trace) return payload;
    return sealAnswer(rt, request, reply, trace, await bytesOf(payload));
  });
}, { name: 'partner-auth', fastify: '5.x', dependencies: ['json-body'] });

/**
 * The last step of every /v1 answer: a GET's late refusal (replay, rate) replaces it, the exact bytes
 * go to the audit log (a failed write turns the answer into a 503), and the answer is signed.
 */
async function sealAnswer(rt: AuthRuntime, request: FastifyRequest, reply: FastifyReply, trace: AuthTrace, answer: Buffer): Promise<Buffer> {
  trace.marks.answered = msSince(trace.startedAt);
  let body = answer;
  if (trace.admission) {
    const refusal = await trace.admission;
    trace.admission = null;
    if (refusal) body = problemAnswer(request, reply, refusal);
  }
  const entry = auditEntry(request, reply, trace, body);
  if (entry.errorCode?.startsWith('GW_AUTH_')) rt.metrics.authRefusals.inc({ code: entry.errorCode });
  try {
    await rt.writer.append(entry);
  } catch (err) {
    rt.metrics.auditWriteFailures.inc();
    request.log.error({ err }, 'audit log write failed; the request fails');
    body = problemAnswer(request, reply, new GatewayError('GW_AUDIT_UNAVAILABLE'));
  }
  trace.marks.audited = msSince(trace.startedAt);
  const claims = trace.verified?.claims;
  reply.header(RESPONSE_SIGNATURE_HEADER, signResponse(rt.keys.current(), body, { jti: claims?.jti, iat: claims?.iat }));
  const totalMs = msSince(trace.startedAt);
  if (rt.slowRequestMs > 0 && totalMs >= rt.slowRequestMs) {
    const slowRequest = { route: request.routeOptions.url ?? 'unmatched', method: request.method, partnerId: trace.verified?.partner.config.id ?? null, totalMs, ...trace.marks };
    request.log.warn({ slowRequest }, 'slow /v1 request');
  }
  return body;
}

/**
 * Answers a /v1 request the router refused before any hook ran (a path that is not valid
 * percent-encoded UTF-8, a parameter over the length limit): problem+json, audited with the
 * unverified iss of its token (if readable) and signed, like every other refusal.
 */
export async function answerRefusedBeforeRouting(rt: AuthRuntime, request: FastifyRequest, reply: FastifyReply, refusal: GatewayError): Promise<void> {
  const trace = startTrace(request);
  try {
    trace.claimedIss = claimedIssuer(decodeToken(bearerToken(request)));
  } catch {
    // no token, or not a readable one: the audit row has no claimed issuer
  }
  reply.send(await sealAnswer(rt, request, reply, trace, problemAnswer(request, reply, refusal)));
}

function startTrace(request: FastifyRequest): AuthTrace {
  const trace: AuthTrace = { startedAt: process.hrtime.bigint(), claimedIss: null, verified: null, purpose: null, subjects: new Set(), admission: null, marks: {} };
  request.authTrace = trace;
  return trace;
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) throw new GatewayError('GW_AUTH_TOKEN_MISSING');
  // Node keeps only the first of several Authorization headers; a request that sends two is refused
  if (countHeader(request.raw.rawHeaders, 'authorization') > 1) {
    throw new GatewayError('GW_AUTH_TOKEN_MALFORMED', { zh: '只能有一个 Authorization 头', en: 'send exactly one Authorization header' });
  }
  const m = BEARER.exec(header);
  if (!m) throw new GatewayError('GW_AUTH_TOKEN_MALFORMED', { zh: 'Authorization 须为 “Bearer <JWT>”', en: 'Authorization must be "Bearer <JWT>"' });
  return m[1]!;
}

function countHeader(rawHeaders: string[], name: string): number {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === name) n++;
  return n;
}

/** The purpose from the signed claim, else the X-Request-Purpose header (may be percent-encoded UTF-8). */
function statedPurpose(request: FastifyRequest, claim: unknown): string | null {
  const header = request.headers['x-request-purpose'];
  const fromHeader = typeof header === 'string' && header !== '' ? safeDecode(header) : null;
  if (claim !== undefined && (typeof claim !== 'string' || !validPurpose(claim))) {
    throw new GatewayError('GW_AUTH_CLAIMS_INVALID', { zh: `purpose 须为 1 到 ${PURPOSE_MAX} 个可见字符`, en: `purpose must be 1 to ${PURPOSE_MAX} printable characters` });
  }
  if (typeof claim === 'string') {
    if (fromHeader !== null && fromHeader !== claim) {
      throw new GatewayError('GW_AUTH_REQUEST_MISMATCH', { zh: 'X-Request-Purpose 与令牌 purpose 不一致', en: 'X-Request-Purpose differs from the token purpose claim' });
    }
    return claim;
  }
  if (fromHeader === null) return null;
  if (!validPurpose(fromHeader)) {
    throw new GatewayError('GW_AUTH_PURPOSE_REQUIRED', { zh: `用途须为 1 到 ${PURPOSE_MAX} 个可见字符`, en: `the purpose must be 1 to ${PURPOSE_MAX} printable characters` });
  }
  return fromHeader;
}

function validPurpose(p: string): boolean {
  return p.length >= 1 && p.length <= PURPOSE_MAX && !/[\u0000-\u001f\u007f]/.test(p);
}

/** A body must come with Content-Digest, the same value in the cdg claim, matching the bytes received. */
function checkBodyDigest(request: FastifyRequest, cdg: unknown): void {
  const raw = request.rawBody;
  const header = request.headers['content-digest'];
  const hasBody = raw !== undefined && raw.length > 0;
  if (!hasBody && header === undefined && cdg === undefined) return;
  if (typeof header !== 'string' || typeof cdg !== 'string') throw new GatewayError('GW_AUTH_DIGEST_MISSING');
  if (header.trim() !== cdg.trim()) {
    throw new GatewayError('GW_AUTH_DIGEST_MISMATCH', { zh: 'Content-Digest 与令牌 cdg 不一致', en: 'Content-Digest differs from the token cdg claim' });
  }
  const claimed = sha256Member(header);
  if (!claimed) throw new GatewayError('GW_AUTH_DIGEST_MISSING', { zh: 'Content-Digest 须含 sha-256', en: 'Content-Digest must carry a sha-256 member' });
  if (claimed !== contentDigestOf(raw ?? new Uint8Array())) {
    throw new GatewayError('GW_AUTH_DIGEST_MISMATCH', { zh: '请求体与 Content-Digest 不符', en: 'the body received does not match Content-Digest' });
  }
}

function auditEntry(request: FastifyRequest, reply: FastifyReply, trace: AuthTrace, body: Buffer): AuditEntry {
  const raw = request.rawBody;
  return {
    at: new Date().toISOString(),
    partnerId: trace.verified?.partner.config.id ?? null,
    claimedIss: trace.claimedIss,
    route: request.routeOptions.url ?? 'unmatched',
    method: request.method,
    path: request.url,
    status: reply.statusCode,
    errorCode: problemCode(reply, body),
    subjects: subjectsOf(request, trace.subjects),
    purpose: trace.purpose ?? bodyPurpose(request.body),
    jti: trace.verified?.claims.jti ?? null,
    requestDigest: raw && raw.length > 0 ? contentDigestOf(raw) : null,
    responseDigest: contentDigestOf(body),
    durationUs: Number((process.hrtime.bigint() - trace.startedAt) / 1000n),
    // request.ip is undefined once the client has dropped the connection
    clientAddr: request.ip ?? request.socket.remoteAddress ?? 'unknown',
  };
}

/** A purpose stated only in the body (e.g. POST /v1/checks {"purpose": ...}) still goes into the audit row. */
function bodyPurpose(body: unknown): string | null {
  const purpose = (body as { purpose?: unknown } | null | undefined)?.purpose;
  return typeof purpose === 'string' && validPurpose(purpose) ? purpose : null;
}

function problemCode(reply: FastifyReply, body: Buffer): string | null {
  if (reply.statusCode < 400 || !String(reply.getHeader('content-type') ?? '').startsWith('application/problem+json')) return null;
  try {
    const code = (JSON.parse(body.toString('utf8')) as { code?: unknown }).code;
    return typeof code === 'string' ? code.slice(0, 100) : null;
  } catch {
    return null;
  }
}

function refusalOf(admitted: AdmissionResult, limit: { requests: number; perSeconds: number }): GatewayError | null {
  if (admitted.replayed) return new GatewayError('GW_AUTH_TOKEN_REPLAYED');
  if (admitted.hits > limit.requests) {
    return new GatewayError('GW_AUTH_RATE_LIMITED', {
      zh: `每 ${limit.perSeconds} 秒最多 ${limit.requests} 个请求`,
      en: `at most ${limit.requests} requests per ${limit.perSeconds} s`,
      headers: { 'retry-after': String(admitted.retryAfterSeconds) },
    });
  }
  return null;
}

/** Replaces an answer already on its way out (in onSend) with a problem: a late refusal, or the audit log failing. */
function problemAnswer(request: FastifyRequest, reply: FastifyReply, err: GatewayError): Buffer {
  const lang = pickLanguage(request.headers['accept-language']);
  reply.code(err.status).header('content-type', 'application/problem+json; charset=utf-8').header('content-language', lang === 'en' ? 'en' : 'zh-CN');
  if (err.headers) reply.headers(err.headers);
  reply.removeHeader('content-length');
  return Buffer.from(JSON.stringify(toProblem(err, lang, request.url.split('?')[0])), 'utf8');
}

async function bytesOf(payload: unknown): Promise<Buffer> {
  if (payload === null || payload === undefined) return Buffer.alloc(0);
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (Buffer.isBuffer(payload)) return payload;
  if (payload instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of payload) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

