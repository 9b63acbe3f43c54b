/**
 * The JWS algorithms (RFC 7518 §3) as node:crypto signs and verifies them: each one's digest, its key
 * options (ECDSA signatures in the JWS form r‖s, RSASSA-PSS with a 32-byte salt) and the keys it may
 * use. The gateway signs its answers and verifies partners' tokens here rather than with WebCrypto:
 * node:crypto signs on the event loop for less than WebCrypto's job costs, and verifies on the thread
 * pool for less than half of WebCrypto's event-loop time per token (ES256 here: about 25 µs against 59).
 */
import { constants, sign, verify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';

export type JwsAlgorithm = 'ES256' | 'PS256' | 'RS256' | 'EdDSA';

/** Algorithms every partner may use; RS256 only for partners configured with allowRs256. */
export const PARTNER_ALGORITHMS = ['ES256', 'PS256', 'EdDSA'] as const;
export type PartnerAlgorithm = (typeof PARTNER_ALGORITHMS)[number];

export function isPartnerAlgorithm(alg: string): alg is PartnerAlgorithm {
  return (PARTNER_ALGORITHMS as readonly string[]).includes(alg);
}

/** The algorithms one partner may sign its tokens with. */
export function algorithmsOf(partner: { allowRs256: boolean }): JwsAlgorithm[] {
  return partner.allowRs256 ? [...PARTNER_ALGORITHMS, 'RS256'] : [...PARTNER_ALGORITHMS];
}

interface AlgorithmUse {
  /** the digest node:crypto is given; null for EdDSA, which hashes inside */
  digest: string | null;
  keyInput(key: KeyObject): VerifyKeyObjectInput | KeyObject;
  /** whether `key` is one this algorithm may use (its type, curve or size) */
  fits(key: KeyObject): boolean;
  /** the one length in bytes a signature by `key` has (OpenSSL verifies an RSASSA-PSS signature a byte short) */
  signatureBytes(key: KeyObject): number;
}

const MIN_RSA_BITS = 2048;
const rsaOf = (types: string[]) => (key: KeyObject) =>
  types.includes(key.asymmetricKeyType ?? '') && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS;
const modulusBytes = (key: KeyObject) => Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);

const ALGORITHMS: Record<JwsAlgorithm, AlgorithmUse> = {
  ES256: {
    digest: 'sha256',
    keyInput: (key) => ({ key, dsaEncoding: 'ieee-p1363' }),
    fits: (key) => key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1',
    signatureBytes: () => 64,
  },
  PS256: {
    digest: 'sha256',
    keyInput: (key) => ({ key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
    fits: rsaOf(['rsa', 'rsa-pss']),
    signatureBytes: modulusBytes,
  },
  RS256: {
    digest: 'sha256',
    keyInput: (key) => ({ key, padding: constants.RSA_PKCS1_PADDING }),
    fits: rsaOf(['rsa']),
    signatureBytes: modulusBytes,
  },
  EdDSA: {
    digest: null,
    keyInput: (key) => key,
    fits: (key) => key.asymmetricKeyType === 'ed25519',
    signatureBytes: () => 64,
  },
};

export function isJwsAlgorithm(alg: string): alg is JwsAlgorithm {
  return Object.hasOwn(ALGORITHMS, alg);
}

/** Whether `key` may sign or verify under `alg` (an EC key under PS256, a 1024-bit RSA key: no). */
export function keyFitsAlgorithm(alg: JwsAlgorithm, key: KeyObject): boolean {
  return ALGORITHMS[alg].fits(key);
}

/** The JWS signature of `input` with a private key (on the event loop). */
export function signJws(alg: JwsAlgorithm, key: KeyObject, input: Buffer): Buffer {
  const use = ALGORITHMS[alg];
  return sign(use.digest, input, use.keyInput(key));
}

/** Whether `signature` is `alg`'s signature of `input` by the public `key` (on the thread pool). */
export function verifyJws(alg: JwsAlgorithm, key: KeyObject, input: Buffer, signature: Buffer): Promise<boolean> {
  const use = ALGORITHMS[alg];
  if (signature.length !== use.signatureBytes(key)) return Promise.resolve(false);
  return new Promise((resolve) => {
    // node:crypto throws (or calls back with an error) for a signature it cannot even parse: not valid
    try {
      verify(use.digest, input, use.keyInput(key), signature, (err, valid) => resolve(!err && valid));
    } catch {
      resolve(false);
    }
  });
}
