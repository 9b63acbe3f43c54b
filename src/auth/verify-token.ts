/**
 * Verifies a partner's bearer token with jose: algorithm allow-list (never none/HS*), kid required,
 * iss = sub = a registered partner, exact audience, exp/iat/jti required, lifetime and future-iat
 * bounds, signature by one of the partner's current keys. Every failure is a GatewayError whose text
 * names the rule that failed and nothing of the keys.
 */
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { GatewayError, type ErrorCode } from '../errors.js';
import { PARTNER_ALGORITHMS, type PartnerDirectory, type RegisteredPartner } from './partner-directory.js';

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

const KNOWN_ALGORITHMS = new Set<string>([...PARTNER_ALGORITHMS, 'RS256']);

/** A token's header and claims as sent, before anything is verified. */
export interface DecodedToken {
  header: ProtectedHeaderParameters;
  claims: JWTPayload;
}

/** Decodes (does not verify) a compact JWT; a token that is not one is GW_AUTH_TOKEN_MALFORMED. */
export function decodeToken(token: string): DecodedToken {
  try {
    return { header: decodeProtectedHeader(token), claims: decodeJwt(token) };
  } catch {
    throw fail('GW_AUTH_TOKEN_MALFORMED', '令牌不是合法的 JWS 紧凑格式 JWT', 'the token is not a compact JWS JWT');
  }
}

/** The token's iss before verification (for the audit row of a refused request), or null. */
export function claimedIssuer({ claims }: DecodedToken): string | null {
  return typeof claims.iss === 'string' ? claims.iss.slice(0, 100) : null;
}

export async function verifyToken(token: string, decoded: DecodedToken, directory: PartnerDirectory, rules: TokenRules, now = Date.now()): Promise<VerifiedToken> {
  const { header, claims: unverified } = decoded;
  const alg = String(header.alg);
  if (!KNOWN_ALGORITHMS.has(alg)) {
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

  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, partner.keys, {
      algorithms: partner.algorithms,
      audience: rules.audience,
      issuer: partner.config.id,
      subject: partner.config.id,
      requiredClaims: ['exp', 'iat', 'jti', 'sub'],
      clockTolerance: rules.clockSkewSeconds,
      currentDate: new Date(now),
    }));
  } catch (err) {
    throw joseFailure(err, kid);
  }

  const { iat, exp, jti, aud } = claims as { iat: number; exp: number; jti: unknown; aud: unknown };
  // jose accepts an array that contains the audience; the contract is one exact string
  if (aud !== rules.audience) throw fail('GW_AUTH_AUDIENCE_INVALID', 'aud 须为一个字符串，且等于本网关的受众', 'aud must be one string equal to this gateway audience');
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 200 || !jti.isWellFormed() || /[\u0000-\u001f\u007f]/.test(jti)) {
    throw fail('GW_AUTH_CLAIMS_INVALID', 'jti 须为 1 到 200 个字符，且不含控制字符', 'jti must be 1 to 200 characters without control characters');
  }
  if (exp - iat > rules.maxTokenLifetimeSeconds) {
    throw fail('GW_AUTH_CLAIMS_INVALID', `exp − iat 超过 ${rules.maxTokenLifetimeSeconds} 秒`, `exp - iat exceeds ${rules.maxTokenLifetimeSeconds} s`);
  }
  if (iat > now / 1000 + rules.maxFutureIatSeconds) {
    throw fail('GW_AUTH_TOKEN_NOT_YET_VALID', `iat 超前当前时间 ${rules.maxFutureIatSeconds} 秒以上`, `iat is more than ${rules.maxFutureIatSeconds} s in the future`);
  }
  return { partner, claims: claims as RequestClaims, kid };
}

function joseFailure(err: unknown, kid: string): GatewayError {
  if (err instanceof errors.JWTExpired) return fail('GW_AUTH_TOKEN_EXPIRED', '令牌 exp 已过', 'the token exp has passed');
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'aud': return fail('GW_AUTH_AUDIENCE_INVALID', 'aud 与本网关的受众不符', 'aud does not equal this gateway audience');
      case 'iss':
      case 'sub': return fail('GW_AUTH_ISSUER_UNKNOWN', 'iss 与 sub 须同为合作方代码', 'iss and sub must both be the partner id');
      case 'nbf': return fail('GW_AUTH_TOKEN_NOT_YET_VALID', 'nbf 尚未到达', 'nbf is in the future');
      default: return fail('GW_AUTH_CLAIMS_INVALID', `声明 ${err.claim} 缺失或不合规（${err.reason}）`, `claim ${err.claim} is missing or invalid (${err.reason})`);
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return fail('GW_AUTH_ALG_NOT_ALLOWED', '签名算法不被允许', 'the signature algorithm is not allowed');
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return fail('GW_AUTH_KEY_UNKNOWN', `没有与 kid“${kid.slice(0, 60)}”和算法相符的已登记公钥`, `no registered key matches kid "${kid.slice(0, 60)}" and the algorithm`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return fail('GW_AUTH_SIGNATURE_INVALID', '签名验证失败', 'signature verification failed');
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || isFetchFailure(err)) {
    return new GatewayError('GW_AUTH_KEYS_UNAVAILABLE', { cause: err });
  }
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) {
    return fail('GW_AUTH_TOKEN_MALFORMED', '令牌结构不合规', 'the token structure is invalid');
  }
  return fail('GW_AUTH_SIGNATURE_INVALID', '令牌无法验证', 'the token cannot be verified');
}

function isFetchFailure(err: unknown): boolean {
  return err instanceof TypeError || (err instanceof errors.JOSEError && err.code === 'ERR_JOSE_GENERIC');
}

function fail(code: ErrorCode, zh: string, en: string): GatewayError {
  return new GatewayError(code, { zh, en });
}
