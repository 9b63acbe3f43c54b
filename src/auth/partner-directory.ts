/**
 * The registered partners at run time: each one's public keys (an inline JWKS, or a jwksUri fetched,
 * cached for jwksCacheSeconds and refetched at once on an unknown kid, at most once per cooldown, so
 * partners rotate keys without a restart), its allowed algorithms and its address filter.
 */
import { KeyObject, type webcrypto } from 'node:crypto';
import { types } from 'node:util';
import { createLocalJWKSet, createRemoteJWKSet, type FlattenedJWSInput, type JWSHeaderParameters, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig, PartnerConfig } from '../config/types.js';
import { algorithmsOf, type JwsAlgorithm } from './jws-algorithms.js';
import { addressFilter } from './registry-check.js';

export interface RegisteredPartner {
  config: PartnerConfig;
  /** the partner's public key that the token's header names (kid, alg); jose's JWKS errors when none or several */
  keyFor(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<KeyObject>;
  algorithms: JwsAlgorithm[];
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
        keyFor: async (header, token) => keyObjectOf(await keys(header, token)),
        algorithms: algorithmsOf(p),
        allowsAddress: addressFilter(p.cidrs),
      });
    }
  }

  get(id: string): RegisteredPartner | undefined {
    return this.partners.get(id);
  }
}

/** The JWKS hands out WebCrypto keys (the same object for the same key until it refetches); node:crypto verifies with KeyObjects. */
const keyObjects = new WeakMap<webcrypto.CryptoKey, KeyObject>();
function keyObjectOf(key: Awaited<ReturnType<JWTVerifyGetKey>>): KeyObject {
  if (key instanceof KeyObject) return key;
  if (!types.isCryptoKey(key)) throw new TypeError('a partner key must be a public key');
  let keyObject = keyObjects.get(key);
  if (!keyObject) keyObjects.set(key, (keyObject = KeyObject.from(key)));
  return keyObject;
}
