/**
 * The console is for configured operators only: sign-in with a scrypt-hashed credential, an
 * HMAC-signed HttpOnly SameSite=Strict session cookie, every /console/api call refused without a
 * valid one, and sign-in refused (with instructions) when no operator is configured.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashOperatorPassword, verifyOperatorPassword } from '../../src/console/operator-password.js';
import { loadSessionSecret, signSession } from '../../src/console/session.js';
import { startTestGateway, type TestGateway } from '../support/env.js';

const SECRET = 'monitoring-console-auth-test-secret-0123456789';
const PASSWORD = 'a long operator password';
let gw: TestGateway;
let closed: TestGateway;

const signIn = (base: string, username: string, password: string) =>
  fetch(`${base}/console/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

beforeAll(async () => {
  gw = await startTestGateway({
    relay: { enabled: false },
    monitoring: { detectorEnabled: false },
    console: { operators: [{ username: 'ops', passwordHash: await hashOperatorPassword(PASSWORD) }], sessionSecret: SECRET, sessionTtlMinutes: 5 },
  });
  closed = await startTestGateway({ relay: { enabled: false }, monitoring: { detectorEnabled: false }, console: { sessionSecret: SECRET } }, gw.db);
});

afterAll(async () => {
  await closed?.stop();
  await gw?.stop();
  await gw?.db.drop();
});

describe('operator sign-in', () => {
  it('refuses a wrong password and an unknown operator alike', async () => {
    for (const [u, p] of [['ops', 'wrong password!!'], ['nobody', PASSWORD]]) {
      const res = await signIn(gw.url, u!, p!);
      expect(res.status).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(((await res.json()) as { code: string }).code).toBe('GW_CONSOLE_SIGNIN_FAILED');
    }
  });

  it('issues an HttpOnly, SameSite=Strict session cookie scoped to /console that opens the API', async () => {
    expect((await fetch(`${gw.url}/console/api/health`)).status).toBe(401);
    const res = await signIn(gw.url, 'ops', PASSWORD);
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^gw_console=[\w-]+\.[\w-]+; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=300$/);
    const session = cookie.split(';')[0]!;
    const health = await fetch(`${gw.url}/console/api/health`, { headers: { cookie: session } });
    expect(health.status).toBe(200);
    expect(((await health.json()) as { checks: { postgres: string } }).checks.postgres).toBe('up');
    const who = (await (await fetch(`${gw.url}/console/api/session`, { headers: { cookie: session } })).json()) as { signedIn: boolean; username: string };
    expect(who).toMatchObject({ signedIn: true, username: 'ops' });
  });

  it('refuses a tampered, expired or foreign-key cookie', async () => {
    const now = Date.now();
    const tampered = signSession(Buffer.from(SECRET), { username: 'ops', expiresAt: now + 60_000 }).replace(/^./, (c) => (c === 'e' ? 'f' : 'e'));
    const expired = signSession(Buffer.from(SECRET), { username: 'ops', expiresAt: now - 1 });
    const foreign = signSession(Buffer.from('another-secret-another-secret-another'), { username: 'ops', expiresAt: now + 60_000 });
    const unknownOperator = signSession(Buffer.from(SECRET), { username: 'ghost', expiresAt: now + 60_000 });
    for (const token of [tampered, expired, foreign, unknownOperator]) {
      const res = await fetch(`${gw.url}/console/api/connectors`, { headers: { cookie: `gw_console=${token}` } });
      expect(res.status, token).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('GW_CONSOLE_SIGNIN_REQUIRED');
    }
  });

  it('with no operator configured, refuses sign-in and says how to add one', async () => {
    const state = (await (await fetch(`${closed.url}/console/api/session`)).json()) as { signedIn: boolean; operatorsConfigured: boolean };
    expect(state).toEqual({ signedIn: false, operatorsConfigured: false });
    const res = await signIn(closed.url, 'ops', PASSWORD);
    expect(res.status).toBe(403);
    const problem = (await res.json()) as { code: string; detail: string };
    expect(problem.code).toBe('GW_CONSOLE_NO_OPERATORS');
    expect(problem.detail).toContain('npm run operator:add');
    // a cookie signed with the right key does not help either: there is no such operator here
    const token = signSession(Buffer.from(SECRET), { username: 'ops', expiresAt: Date.now() + 60_000 });
    expect((await fetch(`${closed.url}/console/api/health`, { headers: { cookie: `gw_console=${token}` } })).status).toBe(401);
  });

  it('serves the page with a strict content security policy', async () => {
    const res = await fetch(`${gw.url}/console`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await res.text()).toContain('运维控制台');
  });
});

describe('credentials and keys', () => {
  it('scrypt hashes verify only the right password', async () => {
    const hash = await hashOperatorPassword('s3cret operator pw');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyOperatorPassword('s3cret operator pw', hash)).toBe(true);
    expect(await verifyOperatorPassword('s3cret operator pW', hash)).toBe(false);
  });

  it('generates the session key once into the secret file and reads it back after', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'console-secret-')), 'sub', 'secret');
    const cfg = { operators: [], sessionSecret: null, sessionSecretFile: file, sessionTtlMinutes: 5 };
    const first = loadSessionSecret(cfg);
    expect(first.length).toBe(32);
    expect(loadSessionSecret(cfg).equals(first)).toBe(true);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.toString('base64url'));
  });
});
