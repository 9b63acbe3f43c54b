/**
 * The gateway's own response-signing keys: private JWKs in signingKeys.dir (one file per key, mode
 * 0600), generated on first start, rotated when the newest is older than rotateAfterDays. The newest
 * key signs; a superseded key stays published in /.well-known/jwks.json for retainDays so answers it
 * signed can still be checked, then its file is deleted and its public half kept in
 * retired-keys.jwks.json, so what it signed for the record (audit checkpoints) stays verifiable.
 * Processes sharing the directory converge by reloading it (reload()).
 */
import { createPrivateKey, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { AuthConfig } from '../config/types.js';

type SigningAlg = AuthConfig['signingKeys']['alg'];
const DAY_MS = 86_400_000;
const KEY_FILE = /^gw-[0-9a-z-]+\.jwk\.json$/;
const RETIRED_FILE = 'retired-keys.jwks.json';

interface KeyFile {
  kid: string;
  alg: SigningAlg;
  createdAt: string;
  privateJwk: JWK;
}

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  createdAt: Date;
  keyObject: KeyObject;
  publicJwk: JWK;
}

export class GatewayKeys {
  private keys: SigningKey[] = []; // newest first

  private constructor(private readonly opts: AuthConfig['signingKeys'], private readonly now: () => number) {}

  /** Loads the key directory, creating the first key (or a rotated one) when due. */
  static async open(opts: AuthConfig['signingKeys'], now: () => number = Date.now): Promise<GatewayKeys> {
    const keys = new GatewayKeys(opts, now);
    await mkdir(resolve(opts.dir), { recursive: true, mode: 0o700 });
    await keys.reload();
    await keys.rotateIfDue();
    return keys;
  }

  /** The key that signs now. */
  current(): SigningKey {
    const key = this.keys[0];
    if (!key) throw new Error('no gateway signing key loaded');
    return key;
  }

  /** The published set: the current key and superseded keys still within their retention. */
  jwks(): { keys: JWK[] } {
    return { keys: this.published().map((k) => k.publicJwk) };
  }

  async rotateIfDue(): Promise<boolean> {
    const newest = this.keys[0];
    if (newest && this.now() - newest.createdAt.getTime() < this.opts.rotateAfterDays * DAY_MS) return false;
    await this.rotate();
    return true;
  }

  /** Makes a new key current; deletes key files past their retention. Returns the new kid. */
  async rotate(): Promise<string> {
    const created = new Date(this.now());
    const kid = `gw-${created.toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(4).toString('hex')}`;
    const { privateKey } = await generateKeyPair(this.opts.alg, { extractable: true, ...(this.opts.alg === 'PS256' ? { modulusLength: 2048 } : {}) });
    const file: KeyFile = { kid, alg: this.opts.alg, createdAt: created.toISOString(), privateJwk: { ...(await exportJWK(privateKey)), kid, alg: this.opts.alg } };
    await writeFile(join(resolve(this.opts.dir), `${kid}.jwk.json`), JSON.stringify(file), { mode: 0o600, flag: 'wx' });
    await this.reload();
    const keep = new Set(this.published().map((k) => k.kid));
    const retiring = this.keys.filter((k) => !keep.has(k.kid));
    if (retiring.length) await archivePublicKeys(this.opts.dir, retiring.map((k) => k.publicJwk));
    for (const k of retiring) {
      await unlink(join(resolve(this.opts.dir), `${k.kid}.jwk.json`)).catch(() => undefined);
    }
    await this.reload();
    return kid;
  }

  /** Re-reads the key directory (another process may have rotated). */
  async reload(): Promise<void> {
    const loaded = await readKeyDirectory(this.opts.dir);
    if (loaded.length) this.keys = loaded;
  }

  /** Every public key this gateway has signed with: the keys in the directory and the retired ones. */
  static async verificationKeys(dir: string): Promise<{ keys: JWK[] }> {
    return { keys: [...(await readKeyDirectory(dir)).map((k) => k.publicJwk), ...(await retiredKeys(dir))] };
  }

  private published(): SigningKey[] {
    const retainMs = this.opts.retainDays * DAY_MS;
    return this.keys.filter((k, i) => i === 0 || this.now() - this.keys[i - 1]!.createdAt.getTime() < retainMs);
  }
}

/** The keys in the directory, newest first. */
async function readKeyDirectory(keyDir: string): Promise<SigningKey[]> {
  const dir = resolve(keyDir);
  const loaded: SigningKey[] = [];
  for (const name of (await readdir(dir)).filter((n) => KEY_FILE.test(n))) {
    const file = JSON.parse(await readFile(join(dir, name), 'utf8')) as KeyFile;
    const { d: _private, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart } = file.privateJwk;
    loaded.push({
      kid: file.kid,
      alg: file.alg,
      createdAt: new Date(file.createdAt),
      keyObject: createPrivateKey({ key: file.privateJwk as JsonWebKey, format: 'jwk' }),
      publicJwk: { ...publicPart, kid: file.kid, alg: file.alg, use: 'sig' },
    });
  }
  return loaded.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.kid.localeCompare(a.kid));
}

async function retiredKeys(dir: string): Promise<JWK[]> {
  try {
    return (JSON.parse(await readFile(join(resolve(dir), RETIRED_FILE), 'utf8')) as { keys: JWK[] }).keys;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

async function archivePublicKeys(dir: string, add: JWK[]): Promise<void> {
  const known = await retiredKeys(dir);
  const keys = [...known, ...add.filter((k) => !known.some((old) => old.kid === k.kid))];
  const file = join(resolve(dir), RETIRED_FILE);
  await writeFile(`${file}.tmp`, JSON.stringify({ keys }, null, 1));
  await rename(`${file}.tmp`, file);
}
