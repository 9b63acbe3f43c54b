/**
 * The operator console, from README "政务诚信 monitoring, early warning and the operator console" and
 * the Operations bullet on security headers: sign-in and sign-out, server-side sessions (a signed-out
 * or password-changed session is refused with 401 GW_CONSOLE_SIGNIN_REQUIRED), cross-site request
 * refusal (403 GW_CONSOLE_CSRF_REFUSED, and nothing done), password-guessing throttle (429
 * GW_CONSOLE_SIGNIN_THROTTLED with Retry-After), and the security headers on every kind of answer.
 *
 * The console's "run now" call is POST /console/api/connectors/:name/runs, as the served
 * /console/console.js makes it; the connector points at a local counting server, so "nothing done"
 * is checked both there and in the run history (GET /v1/connectors/:name/runs).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import {
  type Answer,
  expectSignedProblem,
  type GatewayEnv,
  isProblem,
  makePartner,
  missingSecurityHeaders,
  operatorPasswordHash,
  type Partner,
  request,
  scratchDatabase,
  show,
  signed,
  startGateway,
} from './helpers.js';

const OP1 = { username: 'op1', password: 'correct-horse-battery-1' };
const OP1_NEW = 'correct-horse-battery-2-new';
const OP2 = { username: 'op2', password: 'another-long-password-2' };
const CONNECTOR = 'court-dishonest';

const M: Partner = makePartner({
  id: '11320583000012343X',
  name: '昆山市信用办',
  scopes: ['connectors:admin', 'monitoring:read', 'records:read'],
  sourceSystems: ['xyb.kunshan'],
  categories: ['*'],
  regions: ['*'],
});

let db: ScratchDatabase;
let gw: GatewayEnv;
let hashes: { op1: string; op1New: string; op2: string };
let source: http.Server;
let sourceHits = 0;

function extra(op1Hash: string): Record<string, unknown> {
  const port = (source.address() as AddressInfo).port;
  return {
    console: {
      operators: [
        { username: OP1.username, passwordHash: op1Hash },
        { username: OP2.username, passwordHash: hashes.op2 },
      ],
    },
    connectors: {
      instances: {
        [CONNECTOR]: { source: 'court-dishonest/baidu-6899', enabled: true, schedule: null, baseUrl: `http://127.0.0.1:${port}/court-dishonest`, pageSize: 10 },
      },
    },
  };
}

beforeAll(async () => {
  const [op1, op1New, op2] = await Promise.all([
    operatorPasswordHash(OP1.username, OP1.password),
    operatorPasswordHash(OP1.username, OP1_NEW),
    operatorPasswordHash(OP2.username, OP2.password),
  ]);
  hashes = { op1, op1New, op2 };
  source = http.createServer((_req, res) => {
    sourceHits++;
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not here"}');
  });
  await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
  db = await scratchDatabase();
  gw = await startGateway(db.url, [M], extra(hashes.op1));
});

afterAll(async () => {
  await gw?.stop();
  await db?.drop();
  await new Promise((r) => source?.close(r));
});

const own = () => gw.url; // http://127.0.0.1:<port>, what the browser sends as Origin

interface ConsoleCall {
  method?: string;
  path: string;
  cookie?: string;
  origin?: string | null;
  referer?: string;
  csrf?: string;
  body?: unknown;
}

function consoleCall(c: ConsoleCall): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (c.cookie) headers.cookie = c.cookie;
  if (c.origin) headers.origin = c.origin;
  if (c.referer) headers.referer = c.referer;
  if (c.csrf) headers['x-csrf-token'] = c.csrf;
  let body: Buffer | undefined;
  if (c.body !== undefined) {
    body = Buffer.from(JSON.stringify(c.body));
    headers['content-type'] = 'application/json';
  }
  return request(gw.url, { method: c.method ?? 'GET', path: c.path, headers, ...(body ? { body } : {}) });
}

function sessionCookie(ans: Answer): string | undefined {
  const set = ans.headers['set-cookie'] ?? [];
  const line = set.find((l) => l.startsWith('gw_console='));
  return line?.split(';')[0];
}

async function signIn(username = OP1.username, password = OP1.password): Promise<{ cookie: string; csrf: string; ans: Answer }> {
  const ans = await consoleCall({ method: 'POST', path: '/console/api/session', origin: own(), body: { username, password } });
  expect(ans.status, show(ans)).toBe(200);
  const cookie = sessionCookie(ans);
  expect(cookie, JSON.stringify(ans.headers['set-cookie'])).toBeDefined();
  expect(typeof ans.json.csrfToken, `sign-in answers a csrfToken: ${ans.text}`).toBe('string');
  expect(ans.json.csrfToken.length).toBeGreaterThanOrEqual(16);
  return { cookie: cookie!, csrf: ans.json.csrfToken, ans };
}

function expectCsrfRefused(ans: Answer, what: string): void {
  expect(ans.status, `${what}: ${show(ans)}`).toBe(403);
  expect(isProblem(ans), `${what}: ${show(ans)}`).toBe(true);
  expect(ans.json.code, what).toBe('GW_CONSOLE_CSRF_REFUSED');
  expect(sessionCookie(ans), `${what}: no session cookie`).toBeUndefined();
}

function expectSigninRequired(ans: Answer, what: string): void {
  expect(ans.status, `${what}: ${show(ans)}`).toBe(401);
  expect(isProblem(ans), `${what}: ${show(ans)}`).toBe(true);
  expect(ans.json.code, what).toBe('GW_CONSOLE_SIGNIN_REQUIRED');
}

async function signedIn(cookie: string): Promise<boolean> {
  const ans = await consoleCall({ path: '/console/api/session', cookie });
  if (ans.status === 401) return false;
  expect(ans.status, show(ans)).toBe(200);
  return ans.json.signedIn === true;
}

function arrayIn(json: any): any[] {
  if (Array.isArray(json)) return json;
  for (const v of Object.values(json ?? {})) if (Array.isArray(v)) return v;
  return [];
}

async function runCount(): Promise<number> {
  const ans = await signed(gw.url, M, 'GET', `/v1/connectors/${CONNECTOR}/runs?limit=50`);
  expect(ans.status, show(ans)).toBe(200);
  return arrayIn(ans.json).length;
}

const runNow = (c: Omit<ConsoleCall, 'path' | 'method' | 'body'>) => consoleCall({ ...c, method: 'POST', path: `/console/api/connectors/${CONNECTOR}/runs`, body: {} });

describe('sign-in', () => {
  it('without Origin or Referer, or from a foreign origin, sign-in is 403 GW_CONSOLE_CSRF_REFUSED and sets no cookie', async () => {
    const port = new URL(gw.url).port;
    const body = { username: OP1.username, password: OP1.password };
    expectCsrfRefused(await consoleCall({ method: 'POST', path: '/console/api/session', body }), 'no Origin, no Referer');
    for (const origin of ['http://evil.example', `http://127.0.0.1:${Number(port) + 1}`, 'null', `http://127.0.0.1:${port}.evil.example`, `http://localhost.evil.example:${port}`]) {
      expectCsrfRefused(await consoleCall({ method: 'POST', path: '/console/api/session', origin, body }), `Origin ${origin}`);
    }
    expectCsrfRefused(await consoleCall({ method: 'POST', path: '/console/api/session', referer: 'http://evil.example/console', body }), 'foreign Referer');
    expectCsrfRefused(await consoleCall({ method: 'POST', path: '/console/api/session', origin: 'http://evil.example', referer: `${own()}/console`, body }), 'foreign Origin with own Referer');
  });

  it('with the gateway\'s own Origin it answers {username, expiresAt, csrfToken} and an HttpOnly, SameSite=Strict, Path=/console cookie holding only an opaque id', async () => {
    const { cookie, csrf, ans } = await signIn();
    expect(ans.json.username).toBe(OP1.username);
    expect(Number.isNaN(Date.parse(ans.json.expiresAt))).toBe(false);
    const line = ans.headers['set-cookie']!.find((l) => l.startsWith('gw_console='))!;
    expect(line).toMatch(/;\s*HttpOnly/i);
    expect(line).toMatch(/;\s*SameSite=Strict/i);
    expect(line).toMatch(/;\s*Path=\/console(;|$)/i);
    // the value is a random session id: no username, no expiry, nothing decodable
    const value = decodeURIComponent(cookie.slice('gw_console='.length));
    expect(value).not.toContain(OP1.username);
    for (const part of value.split(/[.:_~]/)) {
      const decoded = Buffer.from(part, 'base64url').toString('utf8');
      expect(decoded, `cookie part ${part} decodes to ${decoded}`).not.toContain(OP1.username);
      expect(decoded).not.toMatch(/"exp"|"u"\s*:/);
    }
    // GET /console/api/session tells it is signed in and gives the same token
    const s = await consoleCall({ path: '/console/api/session', cookie });
    expect(s.status, show(s)).toBe(200);
    expect(s.json.signedIn).toBe(true);
    expect(s.json.csrfToken).toBe(csrf);
    // a second sign-in is another session with another id and token
    const second = await signIn();
    expect(second.cookie).not.toBe(cookie);
    expect(second.csrf).not.toBe(csrf);
  });

  it('sign-in never adopts a session id the client brought (session fixation)', async () => {
    const planted = 'gw_console=attacker-chosen-session-id-0123456789';
    const ans = await request(gw.url, {
      method: 'POST',
      path: '/console/api/session',
      headers: { 'content-type': 'application/json', origin: own(), cookie: planted },
      body: Buffer.from(JSON.stringify({ username: OP1.username, password: OP1.password })),
    });
    expect(ans.status, show(ans)).toBe(200);
    const issued = sessionCookie(ans);
    expect(issued).toBeDefined();
    expect(issued).not.toBe(planted);
    expect(await signedIn(planted)).toBe(false);
  });

  it('a browser that sends no Origin but the gateway\'s own Referer may sign in', async () => {
    const ans = await consoleCall({ method: 'POST', path: '/console/api/session', referer: `${own()}/console`, body: { username: OP1.username, password: OP1.password } });
    expect(ans.status, show(ans)).toBe(200);
    expect(sessionCookie(ans)).toBeDefined();
  });

  it('console API calls without a session, or with a forged cookie, are 401 GW_CONSOLE_SIGNIN_REQUIRED', async () => {
    const { cookie } = await signIn();
    const forged = [undefined, 'gw_console=0123456789abcdef0123456789abcdef', `${cookie}x`, `gw_console=${Buffer.from(JSON.stringify({ u: 'op1', exp: Date.now() + 3_600_000 })).toString('base64url')}`];
    for (const c of forged) {
      expectSigninRequired(await consoleCall({ path: '/console/api/health', ...(c ? { cookie: c } : {}) }), `cookie ${c}`);
      expectSigninRequired(await consoleCall({ path: '/console/api/connectors', ...(c ? { cookie: c } : {}) }), `cookie ${c}`);
    }
  });
});

describe('cross-site requests', () => {
  it('"run now" without Origin, from a foreign Origin, without X-CSRF-Token, with a wrong one or another session\'s one is 403 GW_CONSOLE_CSRF_REFUSED and starts no run; with both it starts one', async () => {
    const a = await signIn();
    const b = await signIn();
    const hitsBefore = sourceHits;
    const runsBefore = await runCount();
    expectCsrfRefused(await runNow({ cookie: a.cookie, csrf: a.csrf }), 'no Origin');
    expectCsrfRefused(await runNow({ cookie: a.cookie, csrf: a.csrf, origin: 'http://evil.example' }), 'foreign Origin');
    expectCsrfRefused(await runNow({ cookie: a.cookie, csrf: a.csrf, referer: 'http://evil.example/x' }), 'foreign Referer');
    expectCsrfRefused(await runNow({ cookie: a.cookie, origin: own() }), 'no X-CSRF-Token');
    expectCsrfRefused(await runNow({ cookie: a.cookie, origin: own(), csrf: 'wrong-token-0000000000000000' }), 'wrong X-CSRF-Token');
    expectCsrfRefused(await runNow({ cookie: a.cookie, origin: own(), csrf: `${a.csrf}x` }), 'token with a suffix');
    expectCsrfRefused(await runNow({ cookie: a.cookie, origin: own(), csrf: b.csrf }), 'the other session\'s token');
    expect(sourceHits, 'no request reached the source').toBe(hitsBefore);
    expect(await runCount(), 'no run recorded').toBe(runsBefore);

    // the positive control: the same call with the own Origin and the session's token starts a run
    const ok = await runNow({ cookie: a.cookie, origin: own(), csrf: a.csrf });
    expect(ok.status, show(ok)).toBeGreaterThanOrEqual(200);
    expect(ok.status, show(ok)).toBeLessThan(300);
    await expect.poll(() => sourceHits, { timeout: 20_000, interval: 100 }).toBeGreaterThan(hitsBefore);
    await expect.poll(runCount, { timeout: 20_000, interval: 250 }).toBe(runsBefore + 1);
  });

  it('sign-out without Origin or without X-CSRF-Token is 403 GW_CONSOLE_CSRF_REFUSED and the session goes on', async () => {
    const s = await signIn();
    expectCsrfRefused(await consoleCall({ method: 'DELETE', path: '/console/api/session', cookie: s.cookie, csrf: s.csrf, body: {} }), 'sign-out without Origin');
    expectCsrfRefused(await consoleCall({ method: 'DELETE', path: '/console/api/session', cookie: s.cookie, origin: 'http://evil.example', csrf: s.csrf, body: {} }), 'sign-out from a foreign Origin');
    expectCsrfRefused(await consoleCall({ method: 'DELETE', path: '/console/api/session', cookie: s.cookie, origin: own(), body: {} }), 'sign-out without token');
    expect(await signedIn(s.cookie)).toBe(true);
    const health = await consoleCall({ path: '/console/api/health', cookie: s.cookie });
    expect(health.status, show(health)).toBe(200);
  });
});

describe('sign-out and sessions', () => {
  it('after sign-out the old cookie is refused everywhere with 401 GW_CONSOLE_SIGNIN_REQUIRED, and starts nothing', async () => {
    const s = await signIn();
    expect((await consoleCall({ path: '/console/api/health', cookie: s.cookie })).status).toBe(200);
    const out = await consoleCall({ method: 'DELETE', path: '/console/api/session', cookie: s.cookie, origin: own(), csrf: s.csrf, body: {} });
    expect(out.status, show(out)).toBeGreaterThanOrEqual(200);
    expect(out.status, show(out)).toBeLessThan(300);
    expect(await signedIn(s.cookie)).toBe(false);
    for (const path of ['/console/api/health', '/console/api/connectors', '/console/api/objections', '/console/api/alerts']) {
      expectSigninRequired(await consoleCall({ path, cookie: s.cookie }), `GET ${path} with the old cookie`);
    }
    const hits = sourceHits;
    const runs = await runCount();
    expectSigninRequired(await runNow({ cookie: s.cookie, origin: own(), csrf: s.csrf }), 'run now with the old cookie and token');
    expect(sourceHits).toBe(hits);
    expect(await runCount()).toBe(runs);
  });

  it('a session survives a restart, and a changed passwordHash ends every session signed in with the old one', async () => {
    const s = await signIn();
    // same configuration: the session is kept in PostgreSQL
    await gw.stop();
    gw = await startGateway(db.url, [M], extra(hashes.op1), { keysDir: gw.keysDir });
    expect(await signedIn(s.cookie), 'session after a plain restart').toBe(true);
    // new password for op1
    await gw.stop();
    gw = await startGateway(db.url, [M], extra(hashes.op1New), { keysDir: gw.keysDir });
    expect(await signedIn(s.cookie), 'session after the password change').toBe(false);
    expectSigninRequired(await consoleCall({ path: '/console/api/health', cookie: s.cookie }), 'old session after the password change');
    const old = await consoleCall({ method: 'POST', path: '/console/api/session', origin: own(), body: { username: OP1.username, password: OP1.password } });
    expect(old.status, show(old)).not.toBe(200);
    expect(sessionCookie(old)).toBeUndefined();
    await signIn(OP1.username, OP1_NEW);
  });
});

describe('security headers', () => {
  it('every kind of answer carries nosniff, no-referrer, DENY, CSP frame-ancestors \'none\', COOP, CORP same-origin and HSTS', async () => {
    const s = await signIn(OP1.username, OP1_NEW);
    const answers: [string, Answer][] = [
      ['GET /console', await request(gw.url, { method: 'GET', path: '/console' })],
      ['GET /console/console.js', await request(gw.url, { method: 'GET', path: '/console/console.js' })],
      ['GET /console/api/session', await consoleCall({ path: '/console/api/session', cookie: s.cookie })],
      ['GET /console/api/health (401)', await consoleCall({ path: '/console/api/health' })],
      ['POST /console/api/session (403)', await consoleCall({ method: 'POST', path: '/console/api/session', body: {} })],
      ['GET /docs', await request(gw.url, { method: 'GET', path: '/docs' })],
      ['GET /docs/json', await request(gw.url, { method: 'GET', path: '/docs/json' })],
      ['GET /healthz', await request(gw.url, { method: 'GET', path: '/healthz' })],
      ['GET /readyz', await request(gw.url, { method: 'GET', path: '/readyz' })],
      ['GET /metrics', await request(gw.url, { method: 'GET', path: '/metrics' })],
      ['GET /.well-known/jwks.json', await request(gw.url, { method: 'GET', path: '/.well-known/jwks.json' })],
      ['GET /v1/catalog (signed, 200)', await signed(gw.url, M, 'GET', '/v1/catalog')],
      ['GET /v1/catalog (unsigned, 401)', await request(gw.url, { method: 'GET', path: '/v1/catalog' })],
      ['GET /no-such-path (404)', await request(gw.url, { method: 'GET', path: '/no-such-path' })],
    ];
    const problems: string[] = [];
    for (const [name, ans] of answers) {
      const missing = missingSecurityHeaders(ans.headers);
      if (missing.length) problems.push(`${name} (${ans.status}): ${missing.join(', ')}`);
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });
});

describe('password guessing (runs last: it throttles this client address)', () => {
  it('50 wrong passwords, then the right one: 429 GW_CONSOLE_SIGNIN_THROTTLED with Retry-After, not signed in; the address is throttled for other usernames too', async () => {
    const statuses: number[] = [];
    let firstThrottled: Answer | undefined;
    for (let i = 0; i < 50; i++) {
      const ans = await consoleCall({ method: 'POST', path: '/console/api/session', origin: own(), body: { username: OP2.username, password: `wrong-password-${i}` } });
      statuses.push(ans.status);
      expect(sessionCookie(ans), `attempt ${i + 1}`).toBeUndefined();
      expect(ans.status, `attempt ${i + 1}: ${show(ans)}`).toBeGreaterThanOrEqual(400);
      expect(ans.status, `attempt ${i + 1}: ${show(ans)}`).toBeLessThan(500);
      if (ans.status === 429 && !firstThrottled) firstThrottled = ans;
    }
    // five free failures (one of this address's may have been spent above), then the throttle (the 6th comes well within 1 s of the 5th)
    expect(statuses.slice(0, 4).every((s) => s !== 429), statuses.join(',')).toBe(true);
    expect(statuses[5], statuses.join(',')).toBe(429);
    expect(firstThrottled?.json?.code).toBe('GW_CONSOLE_SIGNIN_THROTTLED');

    const right = await consoleCall({ method: 'POST', path: '/console/api/session', origin: own(), body: { username: OP2.username, password: OP2.password } });
    expect(right.status, show(right)).toBe(429);
    expect(isProblem(right)).toBe(true);
    expect(right.json.code).toBe('GW_CONSOLE_SIGNIN_THROTTLED');
    const retryAfter = String(right.headers['retry-after'] ?? '');
    expect(retryAfter, 'Retry-After in seconds').toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(900);
    expect(sessionCookie(right)).toBeUndefined();

    // the same client address is throttled for another username, even with its right password
    const other = await consoleCall({ method: 'POST', path: '/console/api/session', origin: own(), body: { username: OP1.username, password: OP1_NEW } });
    expect(other.status, show(other)).toBe(429);
    expect(other.json?.code).toBe('GW_CONSOLE_SIGNIN_THROTTLED');
    expect(sessionCookie(other)).toBeUndefined();
  });

  it('the /v1 API is unaffected by the console throttle', async () => {
    const ans = await signed(gw.url, M, 'GET', '/v1/catalog');
    expect(ans.status, show(ans)).toBe(200);
    await expectSignedProblem(gw.url, await request(gw.url, { method: 'GET', path: '/v1/catalog' }), 401, /^GW_AUTH_/);
  });
});
