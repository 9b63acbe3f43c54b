import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyFitsAlgorithm, signJws, verifyJws, type JwsAlgorithm } from '../../src/auth/jws-algorithms.js';

const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve });
const rsa = (modulusLength: number) => generateKeyPairSync('rsa', { modulusLength });
const pairs = {
  p256: ec('P-256'),
  p384: ec('P-384'),
  secp256k1: ec('secp256k1'),
  rsa2048: rsa(2048),
  rsa1024: rsa(1024),
  rsaPss: generateKeyPairSync('rsa-pss', { modulusLength: 2048 }),
  ed25519: generateKeyPairSync('ed25519'),
  ed448: generateKeyPairSync('ed448'),
};
type PairName = keyof typeof pairs;

const FITS: Record<JwsAlgorithm, PairName[]> = {
  ES256: ['p256'],
  PS256: ['rsa2048', 'rsaPss'],
  RS256: ['rsa2048'],
  EdDSA: ['ed25519'],
};

const input = Buffer.from('eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiJ4In0');

describe('keyFitsAlgorithm', () => {
  for (const [alg, fitting] of Object.entries(FITS) as [JwsAlgorithm, PairName[]][]) {
    it(`${alg} takes ${fitting.join(', ')} and no other key`, () => {
      for (const name of Object.keys(pairs) as PairName[]) {
        expect(keyFitsAlgorithm(alg, pairs[name].publicKey), `${alg} with ${name}`).toBe(fitting.includes(name));
      }
    });
  }
});

describe('signJws / verifyJws', () => {
  for (const [alg, [name]] of Object.entries(FITS) as [JwsAlgorithm, PairName[]][]) {
    const { publicKey, privateKey } = pairs[name!];
    it(`${alg}: its own signature holds; a changed input, a changed signature, another key's signature do not`, async () => {
      const signature = signJws(alg, privateKey, input);
      expect(await verifyJws(alg, publicKey, input, signature)).toBe(true);
      expect(await verifyJws(alg, publicKey, Buffer.concat([input, Buffer.from('x')]), signature)).toBe(false);
      const flipped = Buffer.from(signature);
      flipped[flipped.length - 1]! ^= 1;
      expect(await verifyJws(alg, publicKey, input, flipped)).toBe(false);
      const other = alg === 'EdDSA' ? generateKeyPairSync('ed25519') : alg === 'ES256' ? ec('P-256') : rsa(2048);
      expect(await verifyJws(alg, publicKey, input, signJws(alg, other.privateKey, input))).toBe(false);
    });
    it(`${alg}: an empty, a truncated and an overlong signature are false, not thrown`, async () => {
      const signature = signJws(alg, privateKey, input);
      for (const bad of [Buffer.alloc(0), signature.subarray(0, -1), Buffer.concat([signature, Buffer.alloc(1)])]) {
        expect(await verifyJws(alg, publicKey, input, bad)).toBe(false);
      }
    });
  }

  it('ES256 signatures are r‖s (64 bytes): the DER form of the same signature is refused', async () => {
    const { publicKey, privateKey } = pairs.p256;
    const der = sign('sha256', input, { key: privateKey, dsaEncoding: 'der' });
    expect(await verifyJws('ES256', publicKey, input, der)).toBe(false);
    expect(signJws('ES256', privateKey, input)).toHaveLength(64);
  });

  it('PS256 and RS256 are told apart: a PKCS#1 v1.5 signature is not a PSS one, nor the reverse', async () => {
    const { publicKey, privateKey } = pairs.rsa2048;
    expect(await verifyJws('PS256', publicKey, input, signJws('RS256', privateKey, input))).toBe(false);
    expect(await verifyJws('RS256', publicKey, input, signJws('PS256', privateKey, input))).toBe(false);
  });

  it('an RSA signature is exactly the modulus long: one with its leading zero byte left out is refused (PS256 and RS256)', async () => {
    const { publicKey, privateKey } = pairs.rsa2048;
    for (const alg of ['PS256', 'RS256'] as const) {
      // about one signature in 256 starts with a zero byte
      let found: { data: Buffer; signature: Buffer } | undefined;
      for (let i = 0; i < 5000 && !found; i++) {
        const data = Buffer.from(`${input.toString()}.${alg}.${i}`);
        const signature = signJws(alg, privateKey, data);
        if (signature[0] === 0) found = { data, signature };
      }
      expect(found, `no ${alg} signature with a leading zero in 5000`).toBeDefined();
      expect(await verifyJws(alg, publicKey, found!.data, found!.signature)).toBe(true);
      expect(await verifyJws(alg, publicKey, found!.data, found!.signature.subarray(1))).toBe(false);
    }
  });

  it('a key of the wrong kind verifies nothing (false, not a throw)', async () => {
    const signature = signJws('ES256', pairs.p256.privateKey, input);
    const wrong: KeyObject[] = [pairs.rsa2048.publicKey, pairs.ed25519.publicKey];
    for (const key of wrong) expect(await verifyJws('ES256', key, input, signature)).toBe(false);
  });
});
