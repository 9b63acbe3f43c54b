/** verify-token.ts's pure parts: the rules on a token's claims once its signature holds (checkClaims), each at its boundary; the canonical base64url of a segment. */
import { describe, expect, it } from 'vitest';
import type { JWTPayload } from 'jose';
import { checkClaims, isCanonicalBase64url, type TokenRules } from '../../src/auth/verify-token.js';
import { GatewayError } from '../../src/errors.js';

const PARTNER = '11110000000000001X';
const RULES: TokenRules = { audience: 'credit-gateway-test', clockSkewSeconds: 5, maxTokenLifetimeSeconds: 300, maxFutureIatSeconds: 10 };
const NOW = 1_800_000_000_000;
const T = NOW / 1000;
const good = (): JWTPayload => ({ iss: PARTNER, sub: PARTNER, aud: RULES.audience, iat: T - 1, exp: T + 59, jti: 'j-1' });

function codeOf(claims: JWTPayload): string {
  try {
    checkClaims(claims, PARTNER, RULES, NOW);
    return 'passes';
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    const e = err as GatewayError;
    expect(e.detailZh, e.code).toBeTruthy(); // every refusal says which rule, in both languages
    expect(e.message, e.code).toBeTruthy();
    return e.code;
  }
}
const withClaims = (change: Partial<Record<string, unknown>>): JWTPayload => {
  const claims: Record<string, unknown> = { ...good(), ...change };
  for (const [k, v] of Object.entries(change)) if (v === undefined) delete claims[k];
  return claims as JWTPayload;
};

describe('checkClaims', () => {
  it('passes a token of the partner, for this gateway, within its times', () => {
    expect(codeOf(good())).toBe('passes');
    expect(checkClaims(good(), PARTNER, RULES, NOW).jti).toBe('j-1');
  });

  it('iss and sub must both be the partner', () => {
    for (const change of [{ iss: 'other' }, { sub: 'other' }, { sub: undefined }, { iss: undefined }, { sub: PARTNER.toLowerCase() }]) {
      expect(codeOf(withClaims(change)), JSON.stringify(change)).toBe('GW_AUTH_ISSUER_UNKNOWN');
    }
  });

  it('aud must be exactly this gateway (one string: not an array holding it, not another case)', () => {
    for (const aud of [undefined, [RULES.audience], RULES.audience.toUpperCase(), `${RULES.audience} `, '', 7]) {
      expect(codeOf(withClaims({ aud })), String(aud)).toBe('GW_AUTH_AUDIENCE_INVALID');
    }
  });

  it('exp and iat are required numbers; nbf, if present, a number', () => {
    for (const change of [{ exp: undefined }, { iat: undefined }, { exp: String(T + 59) }, { iat: String(T) }, { nbf: 'soon' }, { exp: null }]) {
      expect(codeOf(withClaims(change)), JSON.stringify(change)).toBe('GW_AUTH_CLAIMS_INVALID');
    }
  });

  it('jti: 1 to 200 well-formed characters without control characters', () => {
    expect(codeOf(withClaims({ jti: 'x'.repeat(200) }))).toBe('passes');
    for (const jti of [undefined, '', 'x'.repeat(201), 12345, 'a\u0000b', 'a\nb', 'a\u007fb', '\ud800']) {
      expect(codeOf(withClaims({ jti })), JSON.stringify(jti)).toBe('GW_AUTH_CLAIMS_INVALID');
    }
  });

  it('exp: expired once now passes exp by more than the skew', () => {
    expect(codeOf(withClaims({ iat: T - 100, exp: T - 4 }))).toBe('passes');
    expect(codeOf(withClaims({ iat: T - 100, exp: T - 5 }))).toBe('GW_AUTH_TOKEN_EXPIRED');
    expect(codeOf(withClaims({ iat: T - 100, exp: T - 60 }))).toBe('GW_AUTH_TOKEN_EXPIRED');
  });

  it('nbf: not yet valid while it lies beyond now and the skew', () => {
    expect(codeOf(withClaims({ nbf: T + 5 }))).toBe('passes');
    expect(codeOf(withClaims({ nbf: T + 6 }))).toBe('GW_AUTH_TOKEN_NOT_YET_VALID');
  });

  it('lifetime: exp − iat at most the maximum', () => {
    expect(codeOf(withClaims({ iat: T, exp: T + 300 }))).toBe('passes');
    expect(codeOf(withClaims({ iat: T, exp: T + 301 }))).toBe('GW_AUTH_CLAIMS_INVALID');
  });

  it('iat at most maxFutureIatSeconds ahead', () => {
    expect(codeOf(withClaims({ iat: T + 10, exp: T + 70 }))).toBe('passes');
    expect(codeOf(withClaims({ iat: T + 11, exp: T + 71 }))).toBe('GW_AUTH_TOKEN_NOT_YET_VALID');
  });
});

describe('isCanonicalBase64url', () => {
  it('is true exactly when decoding and encoding again gives the same text (every string of 1 to 4 characters over the alphabet, =, + and /)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const chars = `${alphabet}=+/`;
    let checked = 0;
    const check = (s: string) => {
      const roundTrip = /^[A-Za-z0-9_-]*$/.test(s) && Buffer.from(s, 'base64url').toString('base64url') === s;
      if (isCanonicalBase64url(s) !== roundTrip) throw new Error(`differs on "${s}"`);
      checked++;
    };
    for (const a of chars) {
      check(a);
      for (const b of chars) {
        check(a + b);
        for (const c of chars) check(`Q${a}${b}${c}`.slice(0, 4)); // 4 characters
      }
    }
    for (const a of chars) for (const b of chars) check(`A${a}${b}`); // 3 characters
    for (const a of chars) for (const b of chars) check(`ABCD${a}${b}`); // 6 characters
    expect(checked).toBeGreaterThan(300_000);
    expect(isCanonicalBase64url('')).toBe(true);
    expect(isCanonicalBase64url('eyJhbGciOiJFUzI1NiJ9')).toBe(true);
    expect(isCanonicalBase64url('eyJhbGciOiJFUzI1NiJ9=')).toBe(false);
  });
});
