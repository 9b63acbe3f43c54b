/**
 * Partner agencies for tests: a key pair, a registry entry for config `auth.partners`, and a fetch
 * that signs each request like a real partner would.
 *
 *   const court = await makePartner({ scopes: ['records:write'], categories: ['dishonest_debtor'], regions: ['32'] });
 *   gw = await startTestGateway(authOverrides([court]));
 *   const res = await court.signedFetch(`${gw.url}/v1/records`, { method: 'POST', body: JSON.stringify({ records }) });
 */
import { randomInt } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { PartnerConfig } from '../config/types.js';
import { syntheticUscc } from '../domain/uscc.js';
import type { Scope } from '../domain/scopes.js';
import { signRequest, type PartnerAlg } from '../client/sign-request.js';
import { SAMPLE_SOURCE_SYSTEMS } from './sample-records.js';
import { scratchDir } from './scratch-dir.js';

export const TEST_AUDIENCE = 'credit-gateway-test';

export interface MakePartnerOptions {
  scopes?: Scope[];
  /** the source systems it writes under; by default every `sample-<category>` system when it may write records, else none */
  sourceSystems?: string[];
  categories?: string[];
  regions?: string[];
  alg?: PartnerAlg;
  id?: string;
  name?: string;
  rateLimit?: { requests: number; perSeconds: number };
  cidrs?: string[];
  allowRs256?: boolean;
}

export interface SignedFetchInit {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  purpose?: string;
  /** extra or replaced claims (undefined removes one) */
  claims?: Record<string, unknown>;
  /** extra or replaced JWT header members */
  header?: Record<string, unknown>;
  lifetimeSeconds?: number;
}

export interface TestPartner {
  id: string;
  kid: string;
  alg: PartnerAlg;
  privateJwk: JWK;
  publicJwk: JWK;
  /** the registry entry, for config auth.partners */
  entry: PartnerConfig;
  /** the headers a signed request carries */
  sign(url: string, init?: SignedFetchInit): Promise<Record<string, string>>;
  signedFetch(url: string, init?: SignedFetchInit): Promise<Response>;
}

export async function makeKeyPair(alg: PartnerAlg, kid: string): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
  };
}

export async function makePartner(opts: MakePartnerOptions = {}): Promise<TestPartner> {
  const alg = opts.alg ?? 'ES256';
  const id = opts.id ?? syntheticUscc(randomInt(0, 99_999_999), { kindCode: '11' });
  const kid = `k-${randomInt(0, 2 ** 31).toString(36)}`;
  const { privateJwk, publicJwk } = await makeKeyPair(alg, kid);
  const scopes = opts.scopes ?? ['records:write', 'records:read', 'subjects:read'];
  const entry: PartnerConfig = {
    id,
    name: opts.name ?? `测试机构 ${id}`,
    jwks: { keys: [publicJwk as { kty: string; kid: string }] },
    allowRs256: opts.allowRs256 ?? alg === 'RS256',
    scopes,
    sourceSystems: opts.sourceSystems ?? (scopes.includes('records:write') ? [...SAMPLE_SOURCE_SYSTEMS] : []),
    categories: opts.categories ?? ['*'],
    regions: opts.regions ?? ['*'],
    rateLimit: opts.rateLimit ?? { requests: 10_000, perSeconds: 60 },
    cidrs: opts.cidrs ?? [],
  };
  const sign = (url: string, init: SignedFetchInit = {}) =>
    signRequest(
      { partnerId: id, privateKey: privateJwk, kid, alg, audience: TEST_AUDIENCE },
      { method: init.method ?? 'GET', url, body: init.body, purpose: init.purpose, claims: init.claims, header: init.header, lifetimeSeconds: init.lifetimeSeconds },
    );
  return {
    id,
    kid,
    alg,
    privateJwk,
    publicJwk,
    entry,
    sign,
    signedFetch: async (url, init = {}) =>
      fetch(url, { method: init.method ?? 'GET', body: init.body, headers: { ...(await sign(url, init)), ...init.headers } }),
  };
}

/** Config overrides that turn auth on with these partners, a fresh signing-key directory and the test audience. */
export function authOverrides(partners: Array<TestPartner | PartnerConfig>, auth: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    auth: {
      enabled: true,
      audience: TEST_AUDIENCE,
      signingKeys: { dir: scratchDir('gw-keys-') },
      partners: partners.map((p) => ('entry' in p ? p.entry : p)),
      ...auth,
    },
  };
}
