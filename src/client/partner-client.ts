/**
 * A small typed client for partner agencies: signs each request (sign-request.ts), sends it, and
 * checks the gateway's response signature against its published JWKS.
 *
 *   const client = new PartnerClient({ baseUrl, partnerId, privateJwk, audience });
 *   const res = await client.get('/v1/subjects/91320583...', { purpose: 'bidding:ZB-2024-001' });
 */
import { decodeJwt, type JSONWebKeySet, type JWK } from 'jose';
import { signRequest, type PartnerAlg, type PartnerCredentials } from './sign-request.js';
import { gatewayKeySet, verifyResponseSignature, type GatewayKeySet } from './verify-response.js';

export interface PartnerClientOptions {
  baseUrl: string;
  partnerId: string;
  /** private JWK; its kid and alg are used unless given here */
  privateJwk: JWK;
  kid?: string;
  alg?: PartnerAlg;
  audience: string;
  /** check X-Response-Signature (default true) */
  verifyResponses?: boolean;
}

export interface PartnerResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  /** the exact bytes received */
  raw: Buffer;
}

export class PartnerClient {
  private readonly creds: PartnerCredentials;
  private gatewayKeys: GatewayKeySet | null = null;

  constructor(private readonly opts: PartnerClientOptions) {
    const kid = opts.kid ?? opts.privateJwk.kid;
    const alg = (opts.alg ?? opts.privateJwk.alg ?? 'ES256') as PartnerAlg;
    if (!kid) throw new Error('the private JWK has no kid; pass kid');
    this.creds = { partnerId: opts.partnerId, privateKey: opts.privateJwk, kid, alg, audience: opts.audience };
  }

  get<T = unknown>(path: string, opts: { purpose?: string; headers?: Record<string, string> } = {}): Promise<PartnerResponse<T>> {
    return this.request<T>('GET', path, opts);
  }

  post<T = unknown>(path: string, body: unknown, opts: { purpose?: string; headers?: Record<string, string> } = {}): Promise<PartnerResponse<T>> {
    return this.request<T>('POST', path, { ...opts, body: JSON.stringify(body) });
  }

  async request<T = unknown>(method: string, path: string, opts: { body?: string; purpose?: string; headers?: Record<string, string> } = {}): Promise<PartnerResponse<T>> {
    const url = new URL(path, this.opts.baseUrl);
    const signed = await signRequest(this.creds, { method, url, body: opts.body, purpose: opts.purpose });
    const res = await fetch(url, { method, headers: { ...opts.headers, ...signed }, body: opts.body });
    const raw = Buffer.from(await res.arrayBuffer());
    if (this.opts.verifyResponses !== false) {
      const { jti, iat } = decodeJwt(signed.authorization!.slice('Bearer '.length));
      const check = async () => verifyResponseSignature(raw, res.headers.get('x-response-signature'), await this.keys(), { jti: jti!, iat: iat! });
      // the gateway may have rotated its key since the set was fetched: fetch it once more before failing
      await check().catch(async () => {
        this.gatewayKeys = null;
        await check();
      });
    }
    const text = raw.toString('utf8');
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T, raw };
  }

  private async keys(): Promise<GatewayKeySet> {
    if (!this.gatewayKeys) {
      const res = await fetch(new URL('/.well-known/jwks.json', this.opts.baseUrl));
      if (!res.ok) throw new Error(`cannot fetch the gateway JWKS: HTTP ${res.status}`);
      this.gatewayKeys = gatewayKeySet((await res.json()) as JSONWebKeySet);
    }
    return this.gatewayKeys;
  }
}
