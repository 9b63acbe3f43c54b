/**
 * Console sessions: a cookie holding `<payload>.<HMAC-SHA256>` (base64url), payload = {u, exp}.
 * Nothing is stored server-side; the key is `console.sessionSecret`, or a random key generated once
 * into `console.sessionSecretFile` (so several processes sharing ./data accept each other's cookies).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ConsoleConfig } from '../config/types.js';

export const SESSION_COOKIE = 'gw_console';

export interface OperatorSession {
  username: string;
  expiresAt: number;
}

/** The HMAC key: from config, else read from the secret file, else generated into it (mode 0600). */
export function loadSessionSecret(cfg: ConsoleConfig): Buffer {
  if (cfg.sessionSecret) return Buffer.from(cfg.sessionSecret, 'utf8');
  const file = resolve(cfg.sessionSecretFile);
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(file), { recursive: true });
  // Written whole to a temporary name, then linked into place: a process starting at the same time
  // sees either no file or the complete key, and only one key ever wins.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  try {
    linkSync(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process linked its key first
  } finally {
    unlinkSync(temp);
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
}

function mac(secret: Buffer, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

export function signSession(secret: Buffer, session: OperatorSession): string {
  const payload = Buffer.from(JSON.stringify({ u: session.username, exp: session.expiresAt })).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

export function verifySession(secret: Buffer, token: string | undefined, now = Date.now()): OperatorSession | null {
  if (!token) return null;
  const [payload, signature] = token.split('.');
  if (!payload || !signature) return null;
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const { u, exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { u?: unknown; exp?: unknown };
    if (typeof u !== 'string' || typeof exp !== 'number' || exp <= now) return null;
    return { username: u, expiresAt: exp };
  } catch {
    return null;
  }
}

/** The value of one cookie from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function sessionCookie(token: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${token}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0`;
}
