/**
 * Signs one partner request: a short-lived JWT bound to the method, the path and query (htm/htu),
 * and, for a body, its RFC 9530 Content-Digest (sent as a header and as the cdg claim).
 */
import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { contentDigestOf } from '../auth/content-digest.js';

export type PartnerAlg = 'ES256' | 'PS256' | 'EdDSA' | 'RS256';

export interface PartnerCredentials {
  /** the partner's USCC (iss = sub) */
  partnerId: string;
  /** the private key: a private JWK (with kid) or an imported key */
  privateKey: JWK | CryptoKey;
  kid: string;
  alg: PartnerAlg;
  /** the gateway's audience (config auth.audience) */
  audience: string;
}

export interface RequestToSign {
  method: string;
  /** absolute URL; htu is its path and query exactly as sent */
  url: string | URL;
  body?: string | Uint8Array;
  /** stated purpose, e.g. "bidding:ZB-2024-001" (required for subject queries); sent as the purpose claim */
  purpose?: string;
  lifetimeSeconds?: number;
  /** extra or replaced claims (undefined removes one) */
  claims?: Record<string, unknown>;
  /** extra or replaced protected-header members */
  header?: Record<string, unknown>;
  now?: number;
}

const importedKeys = new WeakMap<JWK, Promise<CryptoKey | Uint8Array>>();

export function importPrivateKey(key: JWK | CryptoKey, alg: PartnerAlg): Promise<CryptoKey | Uint8Array> {
  if (!isJwk(key)) return Promise.resolve(key);
  let imported = importedKeys.get(key);
  if (!imported) importedKeys.set(key, (imported = importJWK(key, alg)));
  return imported;
}

/** The headers to send: authorization, and for a body content-digest and content-type. */
export async function signRequest(creds: PartnerCredentials, req: RequestToSign): Promise<Record<string, string>> {
  const url = new URL(req.url);
  const now = Math.floor((req.now ?? Date.now()) / 1000);
  const headers: Record<string, string> = {};
  const claims: JWTPayload & Record<string, unknown> = {
    iss: creds.partnerId,
    sub: creds.partnerId,
    aud: creds.audience,
    iat: now,
    exp: now + (req.lifetimeSeconds ?? 60),
    jti: randomUUID(),
    htm: req.method.toUpperCase(),
    htu: url.pathname + url.search,
  };
  if (req.body !== undefined) {
    const digest = contentDigestOf(req.body);
    claims.cdg = digest;
    headers['content-digest'] = digest;
    headers['content-type'] = 'application/json';
  }
  if (req.purpose !== undefined) claims.purpose = req.purpose;
  for (const [k, v] of Object.entries(req.claims ?? {})) {
    if (v === undefined) delete claims[k];
    else claims[k] = v;
  }
  const header = { alg: creds.alg, kid: creds.kid, typ: 'JWT', ...req.header };
  const key = await importPrivateKey(creds.privateKey, creds.alg);
  headers.authorization = `Bearer ${await new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key)}`;
  return headers;
}

function isJwk(key: JWK | CryptoKey): key is JWK {
  return typeof (key as JWK).kty === 'string';
}
