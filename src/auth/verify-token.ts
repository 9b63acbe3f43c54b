/**
 * Verifies a partner's bearer token: algorithm allow-list (never none/HS*), kid required, no crit
 * extension, signature by one of the partner's current keys (found by jose in the partner's JWKS,
 * checked with node:crypto: jws-algorithms.ts), then the claims: iss = sub = a registered partner,
 * exact audience, exp/iat/jti required, nbf, lifetime and future-iat bounds. Every failure is a
 * GatewayError whose text names the rule that failed and nothing of the keys.
 */
import type { KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { GatewayError, type ErrorCode } from '../errors.js';
import { isJwsAlgorithm, keyFitsAlgorithm, verifyJws } from './jws-algorithms.js';
import type { PartnerDirectory, RegisteredPartner } from './partner-directory.js';

export interface TokenRules {
  audience: string;
  clockSkewSeconds: number;
  maxTokenLifetimeSeconds: number;
  maxFutureIatSeconds: number;
}

export interface RequestClaims extends JWTPayload {
  iss: string;
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  htm?: unknown;
  htu?: unknown;
  cdg?: unknown;
  purpose?: unknown;
}

export interface VerifiedToken {
  partner: RegisteredPartner;
  claims: RequestClaims;
  kid: string;
}

/** A token's header and claims as sent, before anything is verified, and the three segments they were read from. */
export interface DecodedToken {
  header: ProtectedHeaderParameters;
  claims: JWTPayload;
  segments: [header: string, claims: string, signature: string];
}

/**
 * Decodes (does not verify) a compact JWT; a token that is not one is GW_AUTH_TOKEN_MALFORMED — so is
 * one with a segment that is not canonical base64url (padding, other trailing bits): decoders accept
 * those, and a token would then have several spellings.
 */
export function decodeToken(token: string): DecodedToken {
  const segments = token.split('.') as DecodedToken['segments'];
  if (segments.length !== 3 || !segments.every(isCanonicalBase64url)) {
    throw fail('GW_AUTH_TOKEN_MALFORMED', '令牌须为三段规范的 base64url（无填充）', 'the token must be three segments of canonical base64url (no padding)');
  }
  try {
    return { header: decodeProtectedHeader(token), claims: decodeJwt(token), segments };
  } catch {
    throw fail('GW_AUTH_TOKEN_MALFORMED', '令牌不是合法的 JWS 紧凑格式 JWT', 'the token is not a compact JWS JWT');
  }
}

/** Whether `s` is base64url as RFC 7515 writes it: no padding, and the unused bits of its last character zero. */
export function isCanonicalBase64url(s: string): boolean {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return false;
  switch (s.length % 4) {
    case 0: return true;
    case 2: return 'AQgw'.includes(s.at(-1)!);
    case 3: return 'AEIMQUYcgkosw048'.includes(s.at(-1)!);
    default: return false;
  }
}

/** The token's iss before verification (for the audit row of a refused request), or null. */
export function claimedIssuer({ claims }: DecodedToken): string | null {
  return typeof claims.iss === 'string' ? claims.iss.slice(0, 100) : null;
}

export async function verifyToken(decoded: DecodedToken, directory: PartnerDirectory, rules: TokenRules, now = Date.now()): Promise<VerifiedToken> {
  const { header, claims: unverified, segments: [encodedHeader, encodedClaims, encodedSignature] } = decoded;
  const alg = typeof header.alg === 'string' ? header.alg : JSON.stringify(header.alg ?? null);
  if (!isJwsAlgorithm(alg)) {
    throw fail('GW_AUTH_ALG_NOT_ALLOWED', `不允许算法“${alg.slice(0, 20)}”；可用 ES256、PS256、EdDSA`, `algorithm "${alg.slice(0, 20)}" is not allowed; use ES256, PS256 or EdDSA`);
  }
  if (typeof header.kid !== 'string' || header.kid === '') {
    throw fail('GW_AUTH_TOKEN_MALFORMED', '令牌头部缺少 kid', 'the token header has no kid');
  }
  const kid = header.kid;
  const iss = typeof unverified.iss === 'string' ? unverified.iss : '';
  const partner = directory.get(iss);
  if (!partner) {
    throw fail('GW_AUTH_ISSUER_UNKNOWN', `签发方“${iss.slice(0, 40)}”未登记为合作方`, `issuer "${iss.slice(0, 40)}" is not a registered partner`);
  }
  if (!partner.algorithms.includes(alg)) {
    throw fail('GW_AUTH_ALG_NOT_ALLOWED', `合作方未获准使用 ${alg}`, `the partner is not configured for ${alg}`);
  }

  if (header.crit !== undefined) {
    throw fail('GW_AUTH_TOKEN_MALFORMED', '令牌头部含 crit 扩展，本网关不支持任何扩展', 'the token header has crit; this gateway supports no extension');
  }
  let key: KeyObject;
  try {
    key = await partner.keyFor(header, { protected: encodedHeader, payload: encodedClaims, signature: encodedSignature });
  } catch (err) {
    throw jwksFailure(err, kid);
  }
  if (!keyFitsAlgorithm(alg, key)) throw noMatchingKey(kid);
  const signature = Buffer.from(encodedSignature, 'base64url');
  const signed = Buffer.from(`${encodedHeader}.${encodedClaims}`, 'latin1');
  if (!(await verifyJws(alg, key, signed, signature))) {
    throw fail('GW_AUTH_SIGNATURE_INVALID', '签名验证失败', 'signature verification failed');
  }
  return { partner, claims: checkClaims(unverified, partner.config.id, rules, now), kid };
}

/**
 * The rules on a token's claims once its signature holds (the claims are then what the partner signed):
 * iss = sub = the partner, aud exactly this gateway's audience, exp not passed and iat not ahead (each
 * within the clock skew), nbf if present reached, a lifetime within the maximum, a jti of 1 to 200
 * printable characters. Pure.
 */
export function checkClaims(claims: JWTPayload, partnerId: string, rules: TokenRules, now: number): RequestClaims {
  const { iss, sub, aud, exp, iat, nbf, jti } = claims;
  const seconds = now / 1000;
  if (iss !== partnerId || sub !== partnerId) throw fail('GW_AUTH_ISSUER_UNKNOWN', 'iss 与 sub 须同为合作方代码', 'iss and sub must both be the partner id');
  if (aud !== rules.audience) throw fail('GW_AUTH_AUDIENCE_INVALID', 'aud 须为一个字符串，且等于本网关的受众', 'aud must be one string equal to this gateway audience');
  for (const [name, value] of [['exp', exp], ['iat', iat]] as const) {
    if (typeof value !== 'number') throw fail('GW_AUTH_CLAIMS_INVALID', `声明 ${name} 缺失或不是数值`, `claim ${name} is missing or not a number`);
  }
  if (nbf !== undefined && typeof nbf !== 'number') throw fail('GW_AUTH_CLAIMS_INVALID', '声明 nbf 不是数值', 'claim nbf is not a number');
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 200 || !jti.isWellFormed() || /[\u0000-\u001f\u007f]/.test(jti)) {
    throw fail('GW_AUTH_CLAIMS_INVALID', 'jti 须为 1 到 200 个字符，且不含控制字符', 'jti must be 1 to 200 characters without control characters');
  }
  if (exp! <= seconds - rules.clockSkewSeconds) throw fail('GW_AUTH_TOKEN_EXPIRED', '令牌 exp 已过', 'the token exp has passed');
  if (nbf !== undefined && nbf > seconds + rules.clockSkewSeconds) throw fail('GW_AUTH_TOKEN_NOT_YET_VALID', 'nbf 尚未到达', 'nbf is in the future');
  if (exp! - iat! > rules.maxTokenLifetimeSeconds) {
    throw fail('GW_AUTH_CLAIMS_INVALID', `exp − iat 超过 ${rules.maxTokenLifetimeSeconds} 秒`, `exp - iat exceeds ${rules.maxTokenLifetimeSeconds} s`);
  }
  if (iat! > seconds + rules.maxFutureIatSeconds) {
    throw fail('GW_AUTH_TOKEN_NOT_YET_VALID', `iat 超前当前时间 ${rules.maxFutureIatSeconds} 秒以上`, `iat is more than ${rules.maxFutureIatSeconds} s in the future`);
  }
  return claims as RequestClaims;
}

function noMatchingKey(kid: string): GatewayError {
  return fail('GW_AUTH_KEY_UNKNOWN', `没有与 kid“${kid.slice(0, 60)}”和算法相符的已登记公钥`, `no registered key matches kid "${kid.slice(0, 60)}" and the algorithm`);
}

/** A failure to find the token's key in the partner's JWKS: no or several matching keys, or the JWKS unreachable. */
function jwksFailure(err: unknown, kid: string): GatewayError {
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return noMatchingKey(kid);
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || isFetchFailure(err)) {
    return new GatewayError('GW_AUTH_KEYS_UNAVAILABLE', { cause: err });
  }
  return fail('GW_AUTH_SIGNATURE_INVALID', '令牌无法验证', 'the token cannot be verified');
}

function isFetchFailure(err: unknown): boolean {
  return err instanceof TypeError || (err instanceof errors.JOSEError && err.code === 'ERR_JOSE_GENERIC');
}

function fail(code: ErrorCode, zh: string, en: string): GatewayError {
  return new GatewayError(code, { zh, en });
}
