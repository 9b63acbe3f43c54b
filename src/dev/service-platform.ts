/**
 * A platform that takes records the service way, for tests and the demo: an HTTP intake (node:http, or
 * node:https with a client certificate required for mTLS) on 127.0.0.1 and a port of its own, speaking
 * the intake contract (src/delivery/service-format.ts, README "Delivery to platforms"). It checks the
 * caller (a bearer token; a JWT signed like a partner's request — signature, iss, aud, htm, htu, the
 * body's digest, jti not seen before; or the client certificate), refuses a request that is not the
 * contract as a malformed batch, applies each event once by event id (an event that comes again in
 * another batch is counted as a duplicate, not applied again), and answers per event with its own rules:
 * an upsert needs a subject name and, when it has one, a well-formed USCC; an upsert whose subject name
 * contains `rejectMarker` is rejected (field `/subject/name`). A batch asked again under the same
 * Idempotency-Key with the same body gets the answer it got before (a replay).
 *
 * It can go down (the port closed, open connections cut) and come back on the same port, answer
 * slowly (`delayMs`), answer busy (429 with Retry-After, or 503), and take a batch but lose the answer
 * (the connection cut after applying: the gateway asks again and gets the same answer — it answers twice).
 */
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { importJWK, jwtVerify, type CryptoKey, type JWK } from 'jose';
import { contentDigestOf } from '../auth/content-digest.js';
import { isUuid } from '../domain/uuid-v5.js';
import type { PackageEntry } from '../delivery/package-format.js';
import { ANSWER_FORMAT, BATCH_FORMAT, MALFORMED_BATCH, type IntakeAnswer, type IntakeBatch, type IntakeResult } from '../delivery/service-format.js';
import { DownAndBackServer } from './down-and-back.js';

export type ServicePlatformAuth =
  | { type: 'none' }
  | { type: 'token'; token: string }
  | { type: 'jwt'; publicJwk: JWK; issuer: string; audience: string; alg?: string }
  /** the TLS layer checks the certificate against `tls.ca`; optionally its subject CN too */
  | { type: 'mtls'; commonName?: string };

export interface ServicePlatformOptions {
  auth: ServicePlatformAuth;
  /** HTTPS: the server's certificate and key, and for mTLS the CA client certificates must chain to */
  tls?: { cert: string; key: string; ca?: string };
  rejectMarker?: string;
  /** answer this late (ms) */
  delayMs?: number;
  path?: string;
}

const USCC = /^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$/;

export class ServicePlatform extends DownAndBackServer {
  /** entries applied, by event id */
  readonly applied = new Map<string, PackageEntry>();
  /** event ids that came again in another batch */
  readonly duplicates: string[] = [];
  /** batches taken, by name, in order */
  readonly batches: string[] = [];
  /** batches asked again under the same Idempotency-Key and answered as before */
  readonly replays: string[] = [];
  /** requests refused: the caller not authenticated, or the batch malformed */
  readonly unauthorized: string[] = [];
  readonly malformed: string[] = [];
  /** every request that reached the intake */
  requests = 0;
  /** answers busy: 429 with this Retry-After (seconds), or null */
  busyRetryAfterSeconds: number | null = null;
  /** answers 503 while true */
  failing = false;
  /** when each busy answer (429) was given (ms since epoch): shows whether the caller waited out Retry-After */
  readonly busyAt: number[] = [];
  /** the next this many batches are taken but their answers lost (the connection cut) */
  loseAnswers = 0;
  /** the next this many batches are refused as malformed (422 malformed_batch), as if their content broke its rules */
  refuseNext = 0;
  delayMs: number;
  private readonly answers = new Map<string, { digest: string; answer: string }>();
  private readonly seenJti = new Set<string>();
  private key: Promise<CryptoKey | Uint8Array> | null = null;

  constructor(private readonly opts: ServicePlatformOptions) {
    super();
    this.delayMs = opts.delayMs ?? 0;
    if (opts.auth.type === 'jwt') this.key = importJWK(opts.auth.publicJwk, opts.auth.alg ?? opts.auth.publicJwk.alg ?? 'ES256');
  }

  get path(): string {
    return this.opts.path ?? '/intake/v1/batches';
  }

  get url(): string {
    return `${this.opts.tls ? 'https' : 'http'}://127.0.0.1:${this.port}${this.path}`;
  }

  protected createServer(): Server {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res).catch(() => res.destroy());
    const { tls } = this;
    const server = tls
      ? createHttpsServer({ cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca } : {}), requestCert: this.opts.auth.type === 'mtls', rejectUnauthorized: this.opts.auth.type === 'mtls' }, handler)
      : createHttpServer(handler);
    server.on('connection', (s: Socket) => this.track(s));
    server.on('secureConnection', (s: Socket) => this.track(s));
    return server;
  }

  private get tls() {
    return this.opts.tls;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    this.requests++;
    if (req.method !== 'POST' || req.url !== this.path) return send(res, 404, { error: 'not found' });
    const denied = await this.authenticate(req, body);
    if (denied) {
      this.unauthorized.push(denied);
      return send(res, 401, { error: denied });
    }
    if (this.failing) return send(res, 503, { error: 'unavailable' });
    if (this.busyRetryAfterSeconds !== null) {
      this.busyAt.push(Date.now());
      return send(res, 429, { error: 'busy' }, { 'retry-after': String(this.busyRetryAfterSeconds) });
    }
    const key = String(req.headers['idempotency-key'] ?? '');
    const digest = createHash('sha256').update(body).digest('hex');
    const before = this.answers.get(key);
    let answer: string;
    if (before && before.digest === digest) {
      this.replays.push(key);
      answer = before.answer;
    } else {
      let batch = readBatch(body, key);
      if (typeof batch !== 'string' && this.refuseNext > 0) {
        this.refuseNext--;
        batch = '批次格式不符合本平台规范 (refused on request)';
      }
      if (typeof batch === 'string') {
        this.malformed.push(batch);
        const refusal: IntakeAnswer = { format: ANSWER_FORMAT, batch: key, error: { code: MALFORMED_BATCH, reason: batch } };
        return send(res, 422, refusal);
      }
      answer = JSON.stringify(this.take(batch));
      this.answers.set(key, { digest, answer });
    }
    if (this.loseAnswers > 0) {
      this.loseAnswers--;
      res.destroy();
      return;
    }
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
  }

  /** Why the caller is not let in, or null. */
  private async authenticate(req: IncomingMessage, body: string): Promise<string | null> {
    const given = req.headers['content-digest'];
    if (given !== undefined && given !== contentDigestOf(body)) return 'content-digest does not match the body';
    const auth = this.opts.auth;
    if (auth.type === 'none') return null;
    if (auth.type === 'token') return req.headers.authorization === `Bearer ${auth.token}` ? null : 'bearer token missing or wrong';
    if (auth.type === 'mtls') {
      const socket = req.socket as TLSSocket;
      if (!socket.authorized) return 'no trusted client certificate';
      const cn = socket.getPeerCertificate().subject?.CN;
      return auth.commonName && cn !== auth.commonName ? `client certificate CN ${String(cn)} not admitted` : null;
    }
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return 'no bearer JWT';
    try {
      const { payload } = await jwtVerify(m[1]!, await this.key!, { issuer: auth.issuer, audience: auth.audience, maxTokenAge: '5m' });
      if (payload.htm !== 'POST' || payload.htu !== this.path) return 'htm/htu do not match the request';
      if (payload.cdg !== contentDigestOf(body) || given !== payload.cdg) return 'cdg does not match the body';
      if (typeof payload.jti !== 'string' || this.seenJti.has(payload.jti)) return 'jti missing or used before';
      this.seenJti.add(payload.jti);
      return null;
    } catch (err) {
      return `JWT not valid: ${(err as Error).message}`;
    }
  }

  private take(batch: IntakeBatch): IntakeAnswer {
    this.batches.push(batch.batch);
    const results = batch.events.map((e) => {
      if (this.applied.has(e.eventId)) this.duplicates.push(e.eventId);
      else this.applied.set(e.eventId, e);
      return this.verdict(e);
    });
    return { format: ANSWER_FORMAT, batch: batch.batch, results };
  }

  private verdict(e: PackageEntry): IntakeResult {
    if (e.op === 'retract') return typeof e.status === 'string' ? { eventId: e.eventId, outcome: 'accepted' } : { eventId: e.eventId, outcome: 'rejected', reason: 'retraction without status', field: '/status' };
    const subject = (e.record?.subject ?? {}) as { name?: unknown; uscc?: unknown };
    const name = typeof subject.name === 'string' ? subject.name : '';
    if (!name) return { eventId: e.eventId, outcome: 'rejected', reason: 'subject name missing', field: '/subject/name' };
    if (subject.uscc !== undefined && (typeof subject.uscc !== 'string' || !USCC.test(subject.uscc))) {
      return { eventId: e.eventId, outcome: 'rejected', reason: 'USCC malformed', field: '/subject/uscc' };
    }
    if (this.opts.rejectMarker && name.includes(this.opts.rejectMarker)) {
      return { eventId: e.eventId, outcome: 'rejected', reason: `subject name contains "${this.opts.rejectMarker}"`, field: '/subject/name' };
    }
    return { eventId: e.eventId, outcome: 'accepted' };
  }
}

/** The request's batch, or why it is malformed. */
function readBatch(body: string, key: string): IntakeBatch | string {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return 'the body is not JSON';
  }
  const b = v as Partial<IntakeBatch>;
  if (typeof b !== 'object' || b === null || b.format !== BATCH_FORMAT) return `format is not ${BATCH_FORMAT}`;
  if (typeof b.batch !== 'string' || b.batch !== key) return 'batch missing or not the Idempotency-Key';
  if (!Array.isArray(b.events) || !b.events.length) return 'events missing or empty';
  for (const e of b.events as Array<Partial<PackageEntry>>) {
    if (typeof e !== 'object' || e === null || typeof e.eventId !== 'string' || !isUuid(e.eventId)) return 'an event without a UUID eventId';
    if (e.op !== 'upsert' && e.op !== 'retract') return `event ${e.eventId}: op is neither upsert nor retract`;
    if (typeof e.recordId !== 'string' || !Number.isSafeInteger(e.version)) return `event ${e.eventId}: recordId or version missing`;
  }
  return b as IntakeBatch;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
