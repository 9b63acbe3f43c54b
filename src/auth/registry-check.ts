/**
 * Rules of the partner registry that JSON Schema cannot say. Any problem stops start-up with a
 * message naming the entry (`/auth/partners/<i> (<name>)`), never printing key material.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../config/load.js';
import type { AuthConfig, Config } from '../config/types.js';
import { CATEGORY_IDS } from '../domain/catalogue.js';
import { checkUscc } from '../domain/uscc.js';
import { connectorSystems } from '../connectors/registry.js';
import { algorithmsOf, isJwsAlgorithm, keyFitsAlgorithm } from './jws-algorithms.js';

const PARTNER_KEY_TYPES = new Set(['EC', 'RSA', 'OKP']);
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

/**
 * `connectorSystems`: the source systems the configured connectors write under; an agency may not
 * register one (it could then overwrite what a connector pulled).
 */
export function partnerRegistryProblems(auth: AuthConfig, connectorSystems: ReadonlySet<string> = new Set()): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const systemOwner = new Map<string, string>();
  auth.partners.forEach((p, i) => {
    const at = `/auth/partners/${i} (${p.name})`;
    const id = checkUscc(p.id);
    if (!id.ok || id.code !== p.id) {
      const why = id.ok ? 'must be written in normalised form (upper case, no spaces)' : id.errors.map((e) => e.en).join('; ');
      problems.push(`${at}/id: "${p.id}" is not a valid USCC: ${why} (rule: uscc)`);
    }
    if (seen.has(p.id)) problems.push(`${at}/id: partner ${p.id} is registered twice (rule: unique)`);
    seen.add(p.id);
    if ((p.jwks === undefined) === (p.jwksUri === undefined)) {
      problems.push(`${at}: give exactly one of jwks (inline keys) or jwksUri (rule: oneOf)`);
    }
    p.jwks?.keys.forEach((key, k) => {
      const kid = typeof key.kid === 'string' ? key.kid : '';
      if (!PARTNER_KEY_TYPES.has(String(key.kty))) problems.push(`${at}/jwks/keys/${k}: kty must be EC, RSA or OKP (rule: kty)`);
      if (!kid) problems.push(`${at}/jwks/keys/${k}: kid must be a non-empty string (rule: kid)`);
      if (PRIVATE_MEMBERS.some((m) => m in key)) problems.push(`${at}/jwks/keys/${k}: key "${kid}" contains private or secret key material; register the public key only (rule: public_key)`);
      const unusable = PARTNER_KEY_TYPES.has(String(key.kty)) && unusableKey(key, algorithmsOf(p));
      if (unusable) problems.push(`${at}/jwks/keys/${k}: key "${kid}" ${unusable}`);
    });
    p.sourceSystems.forEach((system, k) => {
      if (connectorSystems.has(system)) problems.push(`${at}/sourceSystems/${k}: "${system}" is a connector's source system and cannot be registered to an agency (rule: source_system_reserved)`);
      const owner = systemOwner.get(system);
      if (owner !== undefined && owner !== p.id) problems.push(`${at}/sourceSystems/${k}: "${system}" is already registered to partner ${owner} (rule: source_system_unique)`);
      systemOwner.set(system, p.id);
    });
    p.categories.forEach((c, k) => {
      if (c !== '*' && !(CATEGORY_IDS as readonly string[]).includes(c)) problems.push(`${at}/categories/${k}: unknown category "${c}" (rule: category)`);
    });
    p.cidrs.forEach((cidr, k) => {
      if (!parseCidr(cidr)) problems.push(`${at}/cidrs/${k}: "${cidr}" is not an IPv4 or IPv6 CIDR such as 10.1.0.0/16 (rule: cidr)`);
    });
  });
  return problems;
}

/**
 * Why a partner's public JWK could verify none of its tokens, or null: not a readable public key, an
 * alg member the partner may not use, or a key that fits none of the algorithms it may sign with (its
 * own alg member, else the partner's).
 */
function unusableKey(jwk: Record<string, unknown>, partnerAlgorithms: string[]): string | null {
  let key;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    return 'is not a readable public JWK (rule: jwk)';
  }
  if (typeof jwk.alg === 'string' && !partnerAlgorithms.includes(jwk.alg)) {
    return `is for ${jwk.alg}, which the partner may not use (${partnerAlgorithms.join(', ')}; RS256 needs allowRs256) (rule: alg)`;
  }
  const algorithms = typeof jwk.alg === 'string' ? [jwk.alg] : partnerAlgorithms;
  if (algorithms.some((alg) => isJwsAlgorithm(alg) && keyFitsAlgorithm(alg, key))) return null;
  return `fits none of ${algorithms.join(', ')}: ES256 takes an EC P-256 key, PS256 and RS256 an RSA key of at least 2048 bits, EdDSA an Ed25519 key (rule: key_algorithm)`;
}

/** Throws a ConfigError (the process refuses to start) when the registry has a problem. */
export function assertPartnerRegistry(config: Config): void {
  const problems = partnerRegistryProblems(config.auth, connectorSystems(config));
  if (problems.length) throw new ConfigError(problems);
}

export function parseCidr(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [address = '', prefixText, extra] = cidr.split('/');
  const version = isIP(address);
  if (!version || extra !== undefined) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** A CIDR allow-list; empty = every address. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) count as IPv4. */
export function addressFilter(cidrs: string[]): (address: string) => boolean {
  if (cidrs.length === 0) return () => true;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const c = parseCidr(cidr)!;
    list.addSubnet(c.address, c.prefix, c.family);
  }
  return (address) => {
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const version = isIP(plain);
    return version !== 0 && list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  };
}
