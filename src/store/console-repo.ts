/** The operator console's sessions and failed sign-in counts (migration 006). */
import type pg from 'pg';
import type { Queryable } from './db.js';


export interface StoredSession {
  username: string;
  passwordFingerprint: string;
  csrfToken: string;
  expiresAt: Date;
}

export async function insertSession(db: Queryable, idHash: string, session: StoredSession): Promise<void> {
  await db.query(
    `INSERT INTO console_sessions (id_hash, username, password_fingerprint, csrf_token, expires_at) VALUES ($1, $2, $3, $4, $5)`,
    [idHash, session.username, session.passwordFingerprint, session.csrfToken, session.expiresAt],
  );
  // sessions that ended more than a day ago are of no further use
  await db.query(`DELETE FROM console_sessions WHERE expires_at < now() - interval '1 day' OR ended_at < now() - interval '1 day'`);
}

/** The session if it has neither ended nor expired. */
export async function findLiveSession(db: Queryable, idHash: string): Promise<StoredSession | null> {
  const { rows } = await db.query<{ username: string; password_fingerprint: string; csrf_token: string; expires_at: Date }>(
    `SELECT username, password_fingerprint, csrf_token, expires_at FROM console_sessions
      WHERE id_hash = $1 AND ended_at IS NULL AND expires_at > now()`,
    [idHash],
  );
  const r = rows[0];
  return r ? { username: r.username, passwordFingerprint: r.password_fingerprint, csrfToken: r.csrf_token, expiresAt: r.expires_at } : null;
}

export async function endSession(db: Queryable, idHash: string): Promise<void> {
  await db.query('UPDATE console_sessions SET ended_at = now() WHERE id_hash = $1 AND ended_at IS NULL', [idHash]);
}

export interface SignInCounter {
  key: string;
  failures: number;
  lastFailure: Date | null;
}

/**
 * The counters of `keys`, locked until the transaction ends (so concurrent attempts are decided one
 * after the other); a counter whose window began more than `windowMinutes` ago starts again at 0.
 */
export async function lockSignInCounters(client: pg.ClientBase, keys: string[], windowMinutes: number): Promise<SignInCounter[]> {
  const sorted = [...keys].sort();
  await client.query(
    `INSERT INTO console_signin_failures (key, window_start) SELECT unnest($1::text[]), now() ON CONFLICT (key) DO NOTHING`,
    [sorted],
  );
  const { rows } = await client.query<{ key: string; failures: number; last_failure: Date | null }>(
    `UPDATE console_signin_failures AS f
        SET failures = CASE WHEN f.window_start < now() - make_interval(mins => $2) THEN 0 ELSE f.failures END,
            last_failure = CASE WHEN f.window_start < now() - make_interval(mins => $2) THEN NULL ELSE f.last_failure END,
            window_start = CASE WHEN f.window_start < now() - make_interval(mins => $2) THEN now() ELSE f.window_start END
      WHERE f.key = ANY($1::text[])
      RETURNING f.key, f.failures, f.last_failure`,
    [sorted, windowMinutes],
  );
  return rows.map((r) => ({ key: r.key, failures: r.failures, lastFailure: r.last_failure }));
}

/** Counts one failure on each key (on the transaction that locked them); returns each count after it and its window's start. */
export async function countSignInFailure(client: pg.ClientBase, keys: string[]): Promise<Map<string, { failures: number; windowStart: Date }>> {
  const { rows } = await client.query<{ key: string; failures: number; window_start: Date }>(
    `UPDATE console_signin_failures SET failures = failures + 1, last_failure = now() WHERE key = ANY($1::text[])
     RETURNING key, failures, window_start`,
    [keys],
  );
  return new Map(rows.map((r) => [r.key, { failures: r.failures, windowStart: r.window_start }]));
}

/** Takes back one failure counted ahead of a password check that then succeeded; clears the username's count. */
export async function settleSuccessfulSignIn(db: Queryable, userKey: string, addressKey: string): Promise<void> {
  await db.query('DELETE FROM console_signin_failures WHERE key = $1', [userKey]);
  await db.query('UPDATE console_signin_failures SET failures = greatest(failures - 1, 0) WHERE key = $1', [addressKey]);
}
