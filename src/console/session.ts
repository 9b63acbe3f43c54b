/**
 * Console sessions, kept server-side (src/store/console-repo.ts): the cookie holds a random id, the
 * database its SHA-256 with the operator, the session's CSRF token, its expiry and the fingerprint of
 * the password hash it was signed in with. Sign-out ends the row; a changed password hash in config
 * no longer matches the fingerprint. Pure helpers for ids, fingerprints, cookies and origins.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'gw_console';
export const CSRF_HEADER = 'x-csrf-token';

/** A new random session id (the cookie value) and CSRF token. */
export function newSessionSecrets(): { id: string; csrfToken: string } {
  return { id: randomBytes(32).toString('base64url'), csrfToken: randomBytes(32).toString('base64url') };
}

/** What the database keeps of a session id, and of an operator's password hash. */
export const digestOf = (value: string): string => hash('sha256', value, 'hex');

/** Constant-time comparison of two tokens. */
export function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of one cookie from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function sessionCookie(id: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${id}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0`;
}

/**
 * Whether a state-changing request comes from the gateway's own pages: its Origin (or, when the
 * browser sent none, its Referer) names the host it was addressed to, or one of `allowedOrigins`.
 * A request with neither header is refused: browsers send Origin on every POST and DELETE.
 */
export function sameOrigin(headers: { origin?: string; referer?: string; host?: string }, allowedOrigins: readonly string[]): boolean {
  const claimed = headers.origin ?? originOf(headers.referer);
  if (!claimed || claimed === 'null') return false;
  if (allowedOrigins.includes(claimed)) return true;
  const parsed = originOf(claimed);
  if (!parsed || !headers.host) return false;
  return new URL(parsed).host === headers.host.toLowerCase();
}

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}
