/**
 * Checks a gateway answer: X-Response-Signature is a detached compact JWS (RFC 7515 Appendix F,
 * base64url payload) over the exact response bytes, made with a key in /.well-known/jwks.json, and
 * bound to the request's jti and iat.
 */
import { compactVerify, createLocalJWKSet, type JSONWebKeySet, type JWSHeaderParameters } from 'jose';

export class ResponseSignatureError extends Error {
  override name = 'ResponseSignatureError';
}

export type GatewayKeySet = ReturnType<typeof createLocalJWKSet>;

export function gatewayKeySet(jwks: JSONWebKeySet): GatewayKeySet {
  return createLocalJWKSet(jwks);
}

export async function verifyResponseSignature(
  body: Uint8Array,
  signature: string | null | undefined,
  keys: GatewayKeySet,
  expected: { jti?: string; iat?: number } = {},
): Promise<JWSHeaderParameters> {
  if (!signature) throw new ResponseSignatureError('the answer carries no X-Response-Signature');
  const [protectedHeader, detached, sig, ...rest] = signature.split('.');
  if (detached !== '' || sig === undefined || rest.length) throw new ResponseSignatureError('X-Response-Signature is not a detached compact JWS');
  let header: JWSHeaderParameters;
  try {
    ({ protectedHeader: header } = await compactVerify(`${protectedHeader}.${Buffer.from(body).toString('base64url')}.${sig}`, keys, {
      algorithms: ['ES256', 'PS256', 'EdDSA'],
    }));
  } catch (err) {
    throw new ResponseSignatureError(`the response signature does not verify: ${(err as Error).message}`);
  }
  if (expected.jti !== undefined && header.jti !== expected.jti) throw new ResponseSignatureError('the signed answer belongs to another request (jti)');
  if (expected.iat !== undefined && header.iat !== expected.iat) throw new ResponseSignatureError('the signed answer belongs to another request (iat)');
  return header;
}
