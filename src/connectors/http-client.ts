/**
 * The HTTP client connectors use to reach their sources (undici). It is polite and persistent:
 * - connect and read timeouts; an identifying User-Agent; auth by header token, basic or client certificate;
 * - retries only what may succeed later — network errors (reset, refused, timeouts, truncated bodies),
 *   429 and 5xx — with full-jitter exponential backoff, honouring Retry-After, at most `maxAttempts`;
 *   any other status fails at once;
 * - a per-host cap on requests in flight and on request starts per second;
 * - bodies decoded by their declared character set (GBK / GB18030 included).
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import type { ConnectorAuthConfig, ConnectorHttpConfig } from '../config/types.js';
import { charsetFromContentType, charsetFromHtmlMeta, decodeBody } from './charset.js';
import { HostGate } from './host-gate.js';

export type SourceErrorKind = 'status' | 'network' | 'retry_after_too_long' | 'charset';

/** A request that failed for good (after the retries it deserved). */
export class SourceHttpError extends Error {
  constructor(
    message: string,
    readonly kind: SourceErrorKind,
    readonly url: string,
    readonly attempts: number,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SourceHttpError';
  }
}

export interface FetchedText {
  url: string;
  status: number;
  contentType: string;
  charset: string;
  text: string;
  attempts: number;
}

/** One request to a source: GET, or POST with a form or JSON body. */
export interface SourceRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpClientOptions extends ConnectorHttpConfig {
  auth: ConnectorAuthConfig;
  /** force a character set instead of the declared one */
  encoding?: string;
}

export interface HttpClientHooks {
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** called once per attempt with its outcome: a status code, or "network" */
  onAttempt?: (url: string, outcome: number | 'network') => void;
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** Network-level failures worth another attempt. */
export function isRetryableNetworkError(err: unknown): boolean {
  // undici's own argument and abort errors are bugs or decisions, not weather: only network codes count
  const code = (err as { code?: string } | null)?.code;
  if (code && RETRYABLE_CODES.has(code)) return true;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== err && isRetryableNetworkError(cause);
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Full-jitter exponential backoff: uniform in [0, min(max, base·2^(attempt-1))]. */
export function backoffMs(attempt: number, base: number, max: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(max, base * 2 ** (attempt - 1)));
}

function authHeaders(auth: ConnectorAuthConfig): Record<string, string> {
  if (auth.type === 'header') return { [auth.header.toLowerCase()]: auth.token };
  if (auth.type === 'basic') return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}` };
  return {};
}

export class SourceHttpClient {
  private readonly agent: Agent;
  private readonly gates = new Map<string, HostGate>();
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly opts: HttpClientOptions, private readonly hooks: HttpClientHooks = {}) {
    const tls = opts.auth.type === 'client-cert'
      ? {
          cert: readFileSync(opts.auth.certFile),
          key: readFileSync(opts.auth.keyFile),
          ...(opts.auth.caFile ? { ca: readFileSync(opts.auth.caFile) } : {}),
          ...(opts.auth.passphrase ? { passphrase: opts.auth.passphrase } : {}),
        }
      : {};
    this.agent = new Agent({
      connect: { timeout: opts.connectTimeoutMs, ...tls },
      headersTimeout: opts.readTimeoutMs,
      bodyTimeout: opts.readTimeoutMs,
      connections: opts.perHostConcurrency,
    });
    this.sleep = hooks.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = hooks.random ?? Math.random;
  }

  /** The gate of one host (exposed so tests can read its peak concurrency). */
  gate(host: string): HostGate {
    let gate = this.gates.get(host);
    if (!gate) {
      gate = new HostGate(this.opts.perHostConcurrency, this.opts.perHostRatePerSecond);
      this.gates.set(host, gate);
    }
    return gate;
  }

  async getText(url: string, accept = '*/*'): Promise<FetchedText> {
    return this.fetchText({ method: 'GET', url, headers: { accept } });
  }

  async fetchText(req: SourceRequest): Promise<FetchedText> {
    const { url } = req;
    const host = new URL(url).host;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.gate(host).run(() => this.attempt(req));
      if (outcome.ok) return { ...outcome.value, attempts: attempt };
      const { retryable, error, retryAfterMs } = outcome;
      if (!retryable || attempt >= this.opts.maxAttempts) {
        throw new SourceHttpError(`${error.message} (after ${attempt} attempt${attempt > 1 ? 's' : ''})`, error.kind, url, attempt, error.status, { cause: error.cause });
      }
      if (retryAfterMs !== undefined && retryAfterMs > this.opts.maxRetryAfterMs) {
        throw new SourceHttpError(
          `source asked to retry after ${retryAfterMs} ms, more than maxRetryAfterMs ${this.opts.maxRetryAfterMs}`,
          'retry_after_too_long', url, attempt, error.status,
        );
      }
      const backoff = backoffMs(attempt, this.opts.backoffBaseMs, this.opts.backoffMaxMs, this.random);
      await this.sleep(Math.max(retryAfterMs ?? 0, backoff));
    }
  }

  async getJson(url: string): Promise<{ body: unknown; fetched: FetchedText }> {
    const fetched = await this.getText(url, 'application/json');
    return { body: JSON.parse(fetched.text) as unknown, fetched };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async attempt(
    { method, url, headers: extra, body }: SourceRequest,
  ): Promise<
    | { ok: true; value: Omit<FetchedText, 'attempts'> }
    | { ok: false; retryable: boolean; retryAfterMs?: number; error: { message: string; kind: SourceErrorKind; status?: number; cause?: unknown } }
  > {
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let bytes: Uint8Array;
    try {
      const res = await request(url, {
        method,
        dispatcher: this.agent,
        headers: { 'user-agent': this.opts.userAgent, accept: '*/*', 'accept-encoding': 'identity', ...extra, ...authHeaders(this.opts.auth) },
        ...(body !== undefined ? { body } : {}),
      });
      status = res.statusCode;
      headers = res.headers;
      // the body is read in full even for errors: a half-read body would poison the connection
      bytes = new Uint8Array(await res.body.arrayBuffer());
    } catch (err) {
      this.hooks.onAttempt?.(url, 'network');
      const retryable = isRetryableNetworkError(err);
      return { ok: false, retryable, error: { message: `${method} ${url} failed: ${(err as Error).message}`, kind: 'network', cause: err } };
    }
    this.hooks.onAttempt?.(url, status);
    if (status < 200 || status > 299) {
      const retryAfterMs = isRetryableStatus(status) ? parseRetryAfter(headers['retry-after']) : undefined;
      return {
        ok: false,
        retryable: isRetryableStatus(status),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        error: { message: `${method} ${url} answered HTTP ${status}`, kind: 'status', status },
      };
    }
    const contentType = String(headers['content-type'] ?? '');
    const declared = this.opts.encoding
      ?? charsetFromContentType(contentType)
      ?? (/html/i.test(contentType) ? charsetFromHtmlMeta(bytes) : undefined);
    try {
      const { text, charset } = decodeBody(bytes, declared);
      return { ok: true, value: { url, status, contentType, charset, text } };
    } catch (err) {
      return { ok: false, retryable: false, error: { message: `${method} ${url}: ${(err as Error).message}`, kind: 'charset', cause: err } };
    }
  }
}
