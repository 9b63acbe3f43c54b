/**
 * A platform intake for the service way (README "Delivery to platforms" → "The service way" → "The intake
 * contract"), written from the README alone: node:http, a handler that can be swapped for a hostile one at
 * any time, and a check of every request the gateway sends against the documented contract.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';

export interface IntakeRequest {
  seq: number;
  /** when the request's head arrived (ms, Date.now()) */
  at: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  /** the parsed body, or null when it was not JSON */
  body: any;
  /** how many times this batch (by name) had been asked before this request */
  attempt: number;
  violations: string[];
  /** when a hostile handler finished its answer (for Retry-After timing) */
  answeredAt?: number;
  /** when the connection the request came on closed */
  closedAt?: number;
  /** the connection's number on this intake */
  conn: number;
  /** how the connection closed: 'fin' (the gateway ended it), 'reset' (an error such as ECONNRESET), 'local' (this intake) */
  closedBy?: string;
}

export interface Ctx {
  req: IntakeRequest;
  res: http.ServerResponse;
  socket: net.Socket;
  intake: HostileIntake;
}

export type Handler = (ctx: Ctx) => void | Promise<void>;

export interface Rejection {
  reason: string;
  field?: string;
}

export interface AppliedEvent {
  eventId: string;
  recordId: string;
  op: string;
  version: number;
  batch: string;
  outcome: 'accepted' | 'rejected';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT_TYPES = new Set(['record.upserted', 'record.status_changed', 'record.retracted']);

/** RFC 9530 Content-Digest: a structured-field dictionary `alg=:base64:`, at least one known algorithm, all correct. */
export function checkContentDigest(header: string | undefined, body: Buffer): string | null {
  if (!header) return 'no content-digest header';
  let known = 0;
  for (const member of header.split(',')) {
    const m = /^\s*([a-z0-9-]+)=:([A-Za-z0-9+/=]*):\s*$/.exec(member);
    if (!m) return `content-digest member is not alg=:base64: (${member})`;
    const alg = m[1]!;
    const nodeAlg = alg === 'sha-256' ? 'sha256' : alg === 'sha-512' ? 'sha512' : null;
    if (!nodeAlg) continue;
    known++;
    const want = createHash(nodeAlg).update(body).digest('base64');
    if (want !== m[2]) return `content-digest ${alg} is ${m[2]}, the body's is ${want}`;
  }
  return known ? null : `content-digest has no sha-256 or sha-512 member (${header})`;
}

export function pad12(n: number): string {
  return String(n).padStart(12, '0');
}

export class HostileIntake {
  readonly requests: IntakeRequest[] = [];
  /** every contract violation seen in any request, with the request's number */
  readonly violations: string[] = [];
  /** events this platform applied (took), by eventId — deduplicated, as the README asks of a platform */
  readonly applied = new Map<string, AppliedEvent>();
  /** an eventId handed over again under another batch name after this platform had applied it */
  readonly handedOverAgain: string[] = [];
  /** the sha-256 of the first body seen under each batch name */
  readonly bodyByBatch = new Map<string, string>();
  /** the answer given (by a well-behaved handler) per Idempotency-Key */
  readonly answerByKey = new Map<string, Buffer>();
  handler: Handler;
  /** decides per event whether the well-behaved platform rejects it */
  rejectWhen: (event: any) => Rejection | null = () => null;
  private server: http.Server | null = null;
  private sockets = new Set<net.Socket>();
  private seq = 0;
  private connSeq = 0;
  private connIds = new WeakMap<net.Socket, number>();
  url = '';

  constructor(
    readonly opts: { destination: string; token: string; path: string; batchSize: number; host?: string },
  ) {
    this.handler = wellBehaved;
  }

  async start(): Promise<string> {
    const host = this.opts.host ?? '127.0.0.1';
    this.server = http.createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 }, (req, res) => {
      void this.onRequest(req, res);
    });
    this.server.on('connection', (s) => {
      this.connIds.set(s, this.connSeq++);
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, host, resolve));
    const { port } = this.server.address() as net.AddressInfo;
    this.url = `http://${host}:${port}${this.opts.path}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** stops listening (connections are refused) and drops every open connection */
  async down(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.dropConnections();
    await closed;
  }

  /** listens again on the same port */
  async up(): Promise<void> {
    const { port, hostname } = new URL(this.url);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(Number(port), hostname, () => {
        this.server!.off('error', reject);
        resolve();
      });
    });
  }

  /** drops every open connection (a hanging answer, a keep-alive socket) */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** requests from `from` on (a request number) */
  since(from: number): IntakeRequest[] {
    return this.requests.filter((r) => r.seq >= from);
  }

  get nextSeq(): number {
    return this.seq;
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const at = Date.now();
    const seq = this.seq++;
    const chunks: Buffer[] = [];
    try {
      for await (const c of req) chunks.push(c as Buffer);
    } catch {
      return;
    }
    const raw = Buffer.concat(chunks);
    let body: any = null;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = null;
    }
    const batchName = typeof body?.batch === 'string' ? body.batch : '';
    const attempt = this.requests.filter((r) => r.body?.batch === batchName && batchName).length;
    const r: IntakeRequest = { seq, at, method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, body, attempt, violations: [], conn: this.connIds.get(req.socket) ?? -1 };
    if (req.socket.destroyed) r.closedAt = at;
    else {
      const sock = req.socket;
      let how = 'local';
      sock.once('end', () => (how = 'fin'));
      sock.once('error', (e: NodeJS.ErrnoException) => (how = `reset (${e.code})`));
      sock.once('close', () => {
        r.closedAt = Date.now();
        r.closedBy = how;
      });
    }
    this.check(r);
    this.requests.push(r);
    for (const v of r.violations) this.violations.push(`#${seq} ${batchName}: ${v}`);
    try {
      await this.handler({ req: r, res, socket: req.socket, intake: this });
    } catch (err) {
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end(String(err));
      } else res.destroy();
    }
  }

  /** the request against the README's intake contract */
  private check(r: IntakeRequest): void {
    const v = r.violations;
    const h = r.headers;
    if (r.method !== 'POST') v.push(`method ${r.method}`);
    if (r.path !== this.opts.path) v.push(`path ${r.path}, not ${this.opts.path}`);
    if (!/^application\/json\b/i.test(String(h['content-type'] ?? ''))) v.push(`content-type ${h['content-type']}`);
    if (h.authorization !== `Bearer ${this.opts.token}`) v.push(`authorization ${JSON.stringify(h.authorization)}`);
    const digest = checkContentDigest(h['content-digest'] as string | undefined, r.raw);
    if (digest) v.push(digest);
    const b = r.body;
    if (!b || typeof b !== 'object') {
      v.push('the body is not a JSON object');
      return;
    }
    if (h['idempotency-key'] !== b.batch) v.push(`idempotency-key ${JSON.stringify(h['idempotency-key'])} is not the batch ${b.batch}`);
    if (b.format !== 'credit-delivery-batch/v1') v.push(`format ${b.format}`);
    if (b.destination !== this.opts.destination) v.push(`destination ${b.destination}`);
    for (const k of ['partition', 'firstOffset', 'lastOffset']) if (!Number.isInteger(b[k]) || b[k] < 0) v.push(`${k} ${b[k]}`);
    const name = `${this.opts.destination}.p${b.partition}.${pad12(b.firstOffset)}-${pad12(b.lastOffset)}`;
    if (b.batch !== name) v.push(`batch ${b.batch}, named from its fields it is ${name}`);
    if (b.lastOffset < b.firstOffset) v.push('lastOffset before firstOffset');
    if (!Array.isArray(b.events) || b.events.length === 0) v.push('no events');
    else {
      if (b.events.length > this.opts.batchSize) v.push(`${b.events.length} events, more than batchSize ${this.opts.batchSize}`);
      if (b.events.length > b.lastOffset - b.firstOffset + 1) v.push(`${b.events.length} events for offsets ${b.firstOffset}-${b.lastOffset}`);
      const ids = new Set<string>();
      for (const e of b.events) {
        if (!UUID.test(String(e?.eventId))) v.push(`eventId ${e?.eventId}`);
        if (ids.has(e.eventId)) v.push(`event ${e.eventId} twice in one batch`);
        ids.add(e.eventId);
        if (!EVENT_TYPES.has(e.type)) v.push(`type ${e.type}`);
        if (!UUID.test(String(e.recordId))) v.push(`recordId ${e.recordId}`);
        if (!Number.isInteger(e.version) || e.version < 1) v.push(`version ${e.version}`);
        if (typeof e.occurredAt !== 'string' || Number.isNaN(Date.parse(e.occurredAt))) v.push(`occurredAt ${e.occurredAt}`);
        if (e.op === 'upsert') {
          if (e.type === 'record.retracted') v.push('upsert for a retraction');
          if (!e.record || typeof e.record !== 'object') v.push(`upsert ${e.eventId} without record`);
        } else if (e.op === 'retract') {
          if (e.type !== 'record.retracted') v.push(`retract of type ${e.type}`);
          if (typeof e.status !== 'string') v.push(`retract ${e.eventId} without status`);
          if ('record' in e) v.push(`retract ${e.eventId} carries a record`);
        } else v.push(`op ${e.op}`);
      }
    }
    const sha = createHash('sha256').update(r.raw).digest('hex');
    const first = this.bodyByBatch.get(b.batch);
    if (first === undefined) this.bodyByBatch.set(b.batch, sha);
    else if (first !== sha) v.push(`batch ${b.batch} sent again with another body (not byte for byte)`);
  }

  /** applies a batch's events (deduplicated by eventId); returns the contract answer */
  apply(req: IntakeRequest): any {
    const b = req.body;
    const results = b.events.map((e: any) => {
      const prior = this.applied.get(e.eventId);
      if (prior) {
        if (prior.batch !== b.batch) this.handedOverAgain.push(e.eventId);
        return prior.outcome === 'accepted' ? { eventId: e.eventId, outcome: 'accepted' } : { eventId: e.eventId, outcome: 'rejected', ...this.rejectWhen(e) };
      }
      const rej = this.rejectWhen(e);
      this.applied.set(e.eventId, { eventId: e.eventId, recordId: e.recordId, op: e.op, version: e.version, batch: b.batch, outcome: rej ? 'rejected' : 'accepted' });
      return rej ? { eventId: e.eventId, outcome: 'rejected', ...rej } : { eventId: e.eventId, outcome: 'accepted' };
    });
    return { format: 'credit-delivery-answer/v1', batch: b.batch, results };
  }

  /** the well-behaved answer for a request: the same answer as before for a key asked again */
  goodAnswer(req: IntakeRequest): Buffer {
    const key = String(req.headers['idempotency-key'] ?? '');
    const cached = this.answerByKey.get(key);
    if (cached) {
      this.apply(req); // still deduplicated: nothing applied twice
      return cached;
    }
    const answer = Buffer.from(JSON.stringify(this.apply(req)));
    this.answerByKey.set(key, answer);
    return answer;
  }

  acceptedRecordIds(): Set<string> {
    return new Set([...this.applied.values()].filter((a) => a.outcome === 'accepted').map((a) => a.recordId));
  }
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(buf.length), ...headers });
  res.end(buf);
}

/** The well-behaved platform: applies, answers 200 with one result per event. */
export const wellBehaved: Handler = ({ req, res, intake }) => {
  if (!req.body || !Array.isArray(req.body.events)) return sendJson(res, 400, { error: 'not a batch' });
  sendJson(res, 200, intake.goodAnswer(req));
};
