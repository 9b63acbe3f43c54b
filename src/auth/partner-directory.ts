/**
 * The registered partners at run time: each one's public keys (an inline JWKS, or a jwksUri fetched,
 * cached for jwksCacheSeconds and refetched at once on an unknown kid, at most once per cooldown, so
 * partners rotate keys without a restart), its allowed algorithms and its address filter.
 */
import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig, PartnerConfig } from '../config/types.js';
import { addressFilter } from './registry-check.js';

/** Algorithms every partner may use; RS256 only for partners configured with allowRs256. */
export const PARTNER_ALGORITHMS = ['ES256', 'PS256', 'EdDSA'] as const;
export type PartnerAlgorithm = (typeof PARTNER_ALGORITHMS)[number];

export function isPartnerAlgorithm(alg: string): alg is PartnerAlgorithm {
  return (PARTNER_ALGORITHMS as readonly string[]).includes(alg);
}

export interface RegisteredPartner {
  config: PartnerConfig;
  keys: JWTVerifyGetKey;
  algorithms: string[];
  allowsAddress(address: string): boolean;
}

export class PartnerDirectory {
  private readonly partners = new Map<string, RegisteredPartner>();

  constructor(auth: AuthConfig) {
    for (const p of auth.partners) {
      const keys = p.jwks
        ? createLocalJWKSet(p.jwks as Parameters<typeof createLocalJWKSet>[0])
        : createRemoteJWKSet(new URL(p.jwksUri!), {
            cacheMaxAge: auth.jwksCacheSeconds * 1000,
            cooldownDuration: auth.jwksCooldownSeconds * 1000,
            timeoutDuration: 5000,
          });
      this.partners.set(p.id, {
        config: p,
        keys,
        algorithms: p.allowRs256 ? [...PARTNER_ALGORITHMS, 'RS256'] : [...PARTNER_ALGORITHMS],
        allowsAddress: addressFilter(p.cidrs),
      });
    }
  }

  get(id: string): RegisteredPartner | undefined {
    return this.partners.get(id);
  }
}
