/**
 * The service way (GB/T 39443-2020 service interfaces): a batch's events POSTed to the platform's
 * intake URL (at most `batchSize` per request; the rest of the batch in the next requests), over a
 * keep-alive pool (undici), authenticated as configured — a JWT signed the way a partner signs its
 * requests to us (htm/htu, a Content-Digest of the body: src/client/sign-request.ts), a client
 * certificate (mTLS) or a bearer token. The request names its batch (also the Idempotency-Key: the same
 * partition and offsets always give the same name) and each event's id, so a request sent again after a
 * lost answer or a crash changes nothing at a platform that deduplicates by them. The answer's
 * per-event results are the feedback. The intake contract: service-format.ts and README.
 *
 *   2xx with a result per event   → handed over, results applied to the delivery states
 *   408, 429, 5xx, timeout, connection error → PlatformUnavailable: tried again (429/503 not before Retry-After)
 *   400/422 {"error":{"code":"malformed_batch"}} → BatchRefused: the batch's events are parked with the reason
 *   any other 4xx (401, 403, 404, 413 …), an answer not the contract → tried again with backoff, logged:
 *     a configuration or platform fault an operator fixes, not a reason to give events up
 */
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'undici';
import type { JWK } from 'jose';
import type { ServiceDeliveryConfig } from '../config/types.js';
import { contentDigestOf } from '../auth/content-digest.js';
import { signRequest, type PartnerCredentials } from '../client/sign-request.js';
import type { DeliveryEvent } from './delivery-event.js';
import { sha256 } from './package-format.js';
import { malformedReason, readAnswer, renderBatch, retryAfterMs } from './service-format.js';
import { BatchRefused, deliveredEvents, PlatformUnavailable, type DeliveryWay, type HandedOver, type RecordHandOver, type Where } from './way.js';

type Authorize = (body: Buffer) => Promise<Record<string, string>>;

/** the largest answer read (a result per event of a batch is far less); a larger one is a failed attempt */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/** The body as UTF-8 text, or an error when it is longer than `max` bytes (the rest is not read). */
async function readBounded(body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown }, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      throw new Error(`the answer is longer than ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function excerpt(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

export class ServiceWay implements DeliveryWay {
  readonly way = 'service';
  readonly readsRecords = false;
  readonly feedback = null;
  private agent: Agent | null = null;
  private authorize: Authorize | null = null;

  constructor(private readonly cfg: ServiceDeliveryConfig, private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** Reads the key, certificate and token files named in the configuration (a missing one stops start-up). */
  async prepare(): Promise<void> {
    if (this.agent) return; // prepared by an earlier start that failed later on
    const { cfg } = this;
    const auth = cfg.auth;
    const connect: { ca?: string; cert?: string; key?: string; passphrase?: string } = {};
    if (cfg.caFile) connect.ca = await readFile(cfg.caFile, 'utf8');
    if (auth.type === 'mtls') {
      connect.cert = await readFile(auth.certFile, 'utf8');
      connect.key = await readFile(auth.keyFile, 'utf8');
      if (auth.passphraseEnv) connect.passphrase = this.env[auth.passphraseEnv] ?? '';
      this.authorize = async () => ({});
    } else if (auth.type === 'token') {
      const token = this.env[auth.tokenEnv];
      if (!token) throw new Error(`delivery.auth.tokenEnv: environment variable ${auth.tokenEnv} is not set (环境变量 ${auth.tokenEnv} 未设置)`);
      this.authorize = async () => ({ authorization: `Bearer ${token}` });
    } else {
      const jwk = JSON.parse(await readFile(auth.keyFile, 'utf8')) as JWK;
      if (typeof jwk.kid !== 'string' || !jwk.d) throw new Error(`delivery.auth.keyFile: ${auth.keyFile} is not a private JWK with a kid (不是带 kid 的私钥 JWK)`);
      const creds: PartnerCredentials = { partnerId: auth.issuer, privateKey: jwk, kid: jwk.kid, alg: auth.alg, audience: auth.audience };
      this.authorize = (body) => signRequest(creds, { method: 'POST', url: cfg.url, body });
    }
    this.agent = new Agent({
      connections: cfg.connections,
      keepAliveTimeout: 30_000,
      headersTimeout: cfg.timeoutMs,
      bodyTimeout: cfg.timeoutMs,
      connectTimeout: Math.min(cfg.timeoutMs, 10_000),
      connect,
    });
  }

  /** Recorded once the intake answered: a 400/422 refusing the batch parks its events instead. */
  async deliver(where: Where, events: DeliveryEvent[], record: RecordHandOver): Promise<HandedOver> {
    if (!this.agent || !this.authorize) throw new Error('ServiceWay.prepare() was not called');
    const part = events.slice(0, this.cfg.batchSize);
    const { batch, body } = renderBatch(where, part);
    const headers = {
      'content-type': 'application/json',
      'content-digest': contentDigestOf(body),
      'idempotency-key': batch.batch,
      ...(await this.authorize(body)),
    };
    const { status, text, retryAfter } = await this.post(body, headers);
    if (status >= 200 && status < 300) {
      const feedback = readAnswer(text, batch);
      if (typeof feedback === 'string') throw new Error(`intake ${this.cfg.url}: batch ${batch.batch}: the answer is not the intake contract: ${feedback}`);
      const handed = {
        name: batch.batch, sha256: sha256(body), firstOffset: batch.firstOffset, lastOffset: batch.lastOffset,
        events: deliveredEvents(part),
        written: true,
        feedback,
      };
      await record(handed);
      return handed;
    }
    if (status === 400 || status === 422) {
      const reason = malformedReason(text, batch);
      if (reason !== null) throw new BatchRefused(reason, part);
    }
    const temporary = status === 408 || status === 429 || status >= 500;
    const wait = status === 429 || status === 503 ? retryAfter : null;
    throw new PlatformUnavailable(
      `intake ${this.cfg.url}: batch ${batch.batch}: HTTP ${status}${temporary ? '' : ' (not a temporary failure: check the configuration and the platform)'}: ${excerpt(text)}`,
      wait === null ? null : Math.min(wait, this.cfg.maxRetryAfterMs),
    );
  }

  private async post(body: Buffer, headers: Record<string, string>): Promise<{ status: number; text: string; retryAfter: number | null }> {
    try {
      const res = await request(this.cfg.url, {
        method: 'POST', body, headers, dispatcher: this.agent!, signal: AbortSignal.timeout(this.cfg.timeoutMs),
      });
      const text = await readBounded(res.body, MAX_ANSWER_BYTES);
      return { status: res.statusCode, text, retryAfter: retryAfterMs(res.headers['retry-after']) };
    } catch (err) {
      const e = err as { code?: string; message?: string; name?: string };
      const what = e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT'
        ? `no answer within timeoutMs ${this.cfg.timeoutMs} ms`
        : `${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}`;
      throw new PlatformUnavailable(`intake ${this.cfg.url}: ${what}`, null, { cause: err });
    }
  }

  async close(): Promise<void> {
    await this.agent?.close();
    this.agent = null;
  }
}
