/**
 * The gateway's signing keys: created on first start, reused on the next, rotated when due; a
 * superseded key stays published for its retention, then disappears. Signatures verify with the
 * published JWKS for every configured algorithm.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compactVerify, createLocalJWKSet } from 'jose';
import { describe, expect, it } from 'vitest';
import { GatewayKeys } from '../../src/auth/gateway-keys.js';
import { signResponse } from '../../src/auth/response-signature.js';
import { scratchDir } from '../../src/dev/scratch-dir.js';

const DAY = 86_400_000;
const opts = (alg: 'ES256' | 'PS256' | 'EdDSA' = 'ES256') => ({ dir: scratchDir('gw-keys-unit-'), alg, rotateAfterDays: 90, retainDays: 30 });

describe('gateway signing keys', () => {
  it('creates a key on first start (private file mode 0600) and reuses it after', async () => {
    const o = opts();
    const first = await GatewayKeys.open(o);
    const files = readdirSync(o.dir);
    expect(files).toHaveLength(1);
    expect(statSync(join(o.dir, files[0]!)).mode & 0o777).toBe(0o600);
    const again = await GatewayKeys.open(o);
    expect(again.current().kid).toBe(first.current().kid);
    expect(JSON.stringify(again.jwks())).not.toMatch(/"d":/);
  });

  it('rotates when due, keeps the old key published for retainDays, then drops it', async () => {
    const o = opts();
    let now = Date.UTC(2024, 0, 1);
    const keys = await GatewayKeys.open(o, () => now);
    const first = keys.current().kid;
    now += 89 * DAY;
    expect(await keys.rotateIfDue()).toBe(false);
    now += 2 * DAY;
    expect(await keys.rotateIfDue()).toBe(true);
    const second = keys.current().kid;
    expect(second).not.toBe(first);
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([second, first]);
    now += 31 * DAY;
    await keys.rotate();
    expect(keys.jwks().keys.map((k) => k.kid)).not.toContain(first);
    expect(readdirSync(o.dir).some((f) => f.startsWith(first))).toBe(false);
    // its public half stays available for checking what it signed (audit checkpoints)
    const verification = await GatewayKeys.verificationKeys(o.dir);
    expect(verification.keys.map((k) => k.kid)).toContain(first);
    expect(JSON.stringify(verification)).not.toMatch(/"d":/);
  });

  it.each(['ES256', 'PS256', 'EdDSA'] as const)('%s signatures verify with the published JWKS and fail on a changed byte', async (alg) => {
    const keys = await GatewayKeys.open(opts(alg));
    const body = Buffer.from('{"ok":true,"名称":"样例"}');
    const sig = signResponse(keys.current(), body, { jti: 'j-1', iat: 1700000000 });
    const [h, empty, s] = sig.split('.');
    expect(empty).toBe('');
    const jwks = createLocalJWKSet(keys.jwks());
    const { protectedHeader } = await compactVerify(`${h}.${body.toString('base64url')}.${s}`, jwks);
    expect(protectedHeader).toMatchObject({ alg, kid: keys.current().kid, jti: 'j-1', iat: 1700000000 });
    const changed = Buffer.from(body);
    changed[0] = 0x5b;
    await expect(compactVerify(`${h}.${changed.toString('base64url')}.${s}`, jwks)).rejects.toThrow();
  });
});
