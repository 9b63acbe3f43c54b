/**
 * Operator sign-in and sessions of the console. Password guessing is throttled per username and per
 * client address (signin-throttle.ts): an attempt is counted as a failure before its password is
 * checked (under a row lock, so concurrent guesses are decided one after the other) and taken back
 * when the password was right. A throttled attempt never gets its password checked. The
 * `lockoutAlertAfter`-th failure on one username raises a console_lockout alert.
 */
import type pg from 'pg';
import type { ConsoleConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import { raiseAlerts } from '../monitoring/alerts-store.js';
import type { Outbox } from '../outbox/outbox.js';
import { countSignInFailure, endSession, findLiveSession, insertSession, lockSignInCounters, settleSuccessfulSignIn } from '../store/console-repo.js';
import { inTransaction } from '../store/db.js';
import { DUMMY_HASH, verifyOperatorPassword } from './operator-password.js';
import { digestOf, newSessionSecrets } from './session.js';
import { secondsToWait } from './signin-throttle.js';

export interface OperatorSession {
  username: string;
  csrfToken: string;
  expiresAt: Date;
}

export interface SignInDeps {
  pool: pg.Pool;
  config: ConsoleConfig;
  /** where a lockout alert is queued */
  outbox: Outbox;
}

const userKey = (username: string) => `user:${username}`;
const addressKey = (address: string) => `addr:${address}`;

/**
 * Checks the credential; on success starts a session and returns its cookie id. Refuses with
 * GW_CONSOLE_SIGNIN_THROTTLED (Retry-After) while either counter owes a delay, GW_CONSOLE_SIGNIN_FAILED
 * for a wrong username or password (alike).
 */
export async function signIn(deps: SignInDeps, username: string, password: string, address: string): Promise<{ id: string; session: OperatorSession }> {
  const { config } = deps;
  const keys = [userKey(username), addressKey(address)];
  const counted = await inTransaction(deps.pool, async (client) => {
    const counters = await lockSignInCounters(client, keys, config.signIn.windowMinutes);
    const now = new Date();
    const wait = Math.max(0, ...counters.map((c) => secondsToWait(c, now, config.signIn)));
    if (wait > 0) return { wait };
    return { wait: 0, after: await countSignInFailure(client, keys) };
  });
  if (counted.wait > 0) {
    throw new GatewayError('GW_CONSOLE_SIGNIN_THROTTLED', {
      zh: `登录失败次数过多，请 ${counted.wait} 秒后再试`,
      en: `too many failed sign-ins; try again in ${counted.wait} s`,
      headers: { 'retry-after': String(counted.wait) },
    });
  }
  const operator = config.operators.find((o) => o.username === username);
  const ok = await verifyOperatorPassword(password, operator?.passwordHash ?? DUMMY_HASH);
  if (!operator || !ok) {
    const user = counted.after!.get(userKey(username));
    if (user && user.failures === config.signIn.lockoutAlertAfter) await raiseLockoutAlert(deps, username, address, user);
    throw new GatewayError('GW_CONSOLE_SIGNIN_FAILED');
  }
  await settleSuccessfulSignIn(deps.pool, userKey(username), addressKey(address));
  const { id, csrfToken } = newSessionSecrets();
  const expiresAt = new Date(Date.now() + config.sessionTtlMinutes * 60_000);
  await insertSession(deps.pool, digestOf(id), { username, passwordFingerprint: digestOf(operator.passwordHash), csrfToken, expiresAt });
  return { id, session: { username, csrfToken, expiresAt } };
}

/** The live session of a cookie id, or null: unknown, ended, expired, or its operator's password changed (then it is ended). */
export async function sessionOf(deps: Pick<SignInDeps, 'pool' | 'config'>, id: string | undefined): Promise<OperatorSession | null> {
  if (!id) return null;
  const idHash = digestOf(id);
  const stored = await findLiveSession(deps.pool, idHash);
  if (!stored) return null;
  const operator = deps.config.operators.find((o) => o.username === stored.username);
  if (!operator || digestOf(operator.passwordHash) !== stored.passwordFingerprint) {
    await endSession(deps.pool, idHash);
    return null;
  }
  return { username: stored.username, csrfToken: stored.csrfToken, expiresAt: stored.expiresAt };
}

export async function signOut(deps: Pick<SignInDeps, 'pool'>, id: string | undefined): Promise<void> {
  if (id) await endSession(deps.pool, digestOf(id));
}

async function raiseLockoutAlert(deps: SignInDeps, username: string, address: string, counter: { failures: number; windowStart: Date }): Promise<void> {
  await deps.outbox.transaction(deps.pool, (client) =>
    raiseAlerts(client, [{
      kind: 'console_lockout',
      dedupeKey: `${username}|${counter.windowStart.toISOString()}`,
      details: { username, lastAddress: address, failures: counter.failures, windowMinutes: deps.config.signIn.windowMinutes },
    }], deps.outbox),
  );
}
