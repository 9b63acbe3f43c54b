/** The partner registry is checked before start: each bad entry is named; CIDR allow-lists match as configured. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { addressFilter, assertPartnerRegistry, partnerRegistryProblems } from '../../src/auth/registry-check.js';
import { syntheticUscc } from '../../src/domain/uscc.js';

const key = { kty: 'EC', crv: 'P-256', x: 'z13sE-vUeIMuqtfdgBlR7OqbEfN9kN0sMyLvCx4UIIs', y: 'a1m6VeL-bjkD4Pvkf5qHDxyG8VjuosoQ-n3a70h3iDM', kid: 'k1' };
const good = { id: syntheticUscc(1, { kindCode: '11' }), name: '好机构', jwks: { keys: [key] }, scopes: ['records:read'] };

function config(partners: unknown[]) {
  return loadConfig({ env: {}, overrides: { auth: { partners } } });
}

describe('partner registry check', () => {
  it('accepts a valid entry', () => {
    expect(partnerRegistryProblems(config([good]).auth)).toEqual([]);
  });

  it('names the entry with an invalid USCC (and refuses to start)', () => {
    const bad = { ...good, id: good.id.slice(0, 17) + (good.id.endsWith('0') ? '1' : '0'), name: '坏机构' };
    const cfg = config([good, bad]);
    const problems = partnerRegistryProblems(cfg.auth);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\/auth\/partners\/1 \(坏机构\)\/id: .* is not a valid USCC/);
    expect(() => assertPartnerRegistry(cfg)).toThrow(ConfigError);
  });

  it('names other bad entries: both or neither key source, private key material, duplicates, bad CIDRs and categories', () => {
    const { jwks: _jwks, ...noKeys } = good;
    const cases: Array<[unknown, RegExp]> = [
      [{ ...good, jwksUri: 'https://example.gov.cn/jwks.json' }, /exactly one of jwks .* or jwksUri/],
      [noKeys, /exactly one of jwks/],
      [{ ...good, jwks: { keys: [{ ...key, d: 'PRIVATE-VALUE-123' }] } }, /private or secret key material/],
      [{ ...good, cidrs: ['10.0.0.0/33'] }, /cidrs\/0: "10.0.0.0\/33" is not/],
      [{ ...good, categories: ['no_such_category'] }, /unknown category/],
    ];
    for (const [entry, expected] of cases) {
      const problems = partnerRegistryProblems(config([entry]).auth);
      expect(problems.join('\n')).toMatch(expected);
      expect(problems.join('\n')).not.toContain('PRIVATE-VALUE-123');
    }
    expect(partnerRegistryProblems(config([good, good]).auth).join('\n')).toMatch(/registered twice/);
  });

  it('names a key that could verify none of the partner\'s tokens: unreadable, or fitting none of its algorithms', () => {
    const jwkOf = (pair: { publicKey: KeyObject }, kid: string, extra: Record<string, unknown> = {}) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid, ...extra });
    const refused: Array<[Record<string, unknown>, RegExp]> = [
      [jwkOf(generateKeyPairSync('rsa', { modulusLength: 1024 }), 'rsa1024'), /key "rsa1024" fits none of ES256, PS256, EdDSA: .*\(rule: key_algorithm\)/],
      [jwkOf(generateKeyPairSync('ec', { namedCurve: 'P-384' }), 'p384'), /key "p384" fits none of/],
      [jwkOf(generateKeyPairSync('ed448'), 'ed448'), /key "ed448" fits none of/],
      [jwkOf(generateKeyPairSync('rsa', { modulusLength: 2048 }), 'named-es256', { alg: 'ES256' }), /key "named-es256" fits none of ES256:/],
      [{ ...key, kid: 'off-curve', y: key.x }, /key "off-curve" is not a readable public JWK \(rule: jwk\)/],
      [jwkOf(generateKeyPairSync('rsa', { modulusLength: 2048 }), 'rs256-key', { alg: 'RS256' }), /key "rs256-key" is for RS256, which the partner may not use .*\(rule: alg\)/],
      [jwkOf(generateKeyPairSync('ec', { namedCurve: 'P-384' }), 'es384-key', { alg: 'ES384' }), /key "es384-key" is for ES384, which the partner may not use/],
    ];
    for (const [jwk, expected] of refused) {
      expect(partnerRegistryProblems(config([{ ...good, jwks: { keys: [jwk] } }]).auth).join('\n')).toMatch(expected);
    }
    const usable = [jwkOf(generateKeyPairSync('rsa', { modulusLength: 2048 }), 'rsa2048'), jwkOf(generateKeyPairSync('ed25519'), 'ed25519'), key];
    expect(partnerRegistryProblems(config([{ ...good, jwks: { keys: usable } }]).auth)).toEqual([]);
    const rs256 = jwkOf(generateKeyPairSync('rsa', { modulusLength: 2048 }), 'rs256-allowed', { alg: 'RS256' });
    expect(partnerRegistryProblems(config([{ ...good, allowRs256: true, jwks: { keys: [rs256] } }]).auth)).toEqual([]);
  });

  it('refuses a source system registered to two partners, or one a connector writes under', () => {
    const other = { ...good, id: syntheticUscc(2, { kindCode: '11' }), name: '另一机构' };
    const shared = config([{ ...good, sourceSystems: ['court.kunshan'] }, { ...other, sourceSystems: ['court.kunshan'] }]);
    expect(partnerRegistryProblems(shared.auth).join('\n')).toMatch(/\/auth\/partners\/1 \(另一机构\)\/sourceSystems\/0: "court.kunshan" is already registered to partner/);
    const connectorOwned = config([{ ...good, sourceSystems: ['zxgk.court'] }]);
    expect(() => assertPartnerRegistry(connectorOwned)).toThrow(/"zxgk.court" is a connector's source system/);
    const instanceOwned = loadConfig({ env: {}, overrides: { auth: { partners: [{ ...good, sourceSystems: ['sgs.xzcf'] }] } } });
    expect(() => assertPartnerRegistry(instanceOwned)).toThrow(/"sgs.xzcf" is a connector's source system/);
    expect(() => assertPartnerRegistry(config([{ ...good, sourceSystems: ['court.kunshan'] }, { ...other, sourceSystems: ['court.suzhou'] }]))).not.toThrow();
  });

  it('JSON Schema refuses unknown scopes and malformed entries with the key path', () => {
    expect(() => config([{ ...good, scopes: ['everything'] }])).toThrow(/\/auth\/partners\/0\/scopes\/0/);
    expect(() => config([{ ...good, rateLimit: { requests: 0, perSeconds: 1 } }])).toThrow(/\/auth\/partners\/0\/rateLimit\/requests/);
  });
});

describe('CIDR allow-list', () => {
  it('matches IPv4, IPv4-mapped IPv6 and IPv6; an empty list allows all', () => {
    const allow = addressFilter(['10.1.0.0/16', '2001:db8::/32']);
    expect(allow('10.1.2.3')).toBe(true);
    expect(allow('::ffff:10.1.2.3')).toBe(true);
    expect(allow('10.2.0.1')).toBe(false);
    expect(allow('2001:db8::1')).toBe(true);
    expect(allow('2001:db9::1')).toBe(false);
    expect(allow('not an address')).toBe(false);
    expect(addressFilter([])('192.0.2.1')).toBe(true);
  });
});
