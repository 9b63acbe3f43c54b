/**
 * Admission of a verified request, shared by every gateway process: its jti is consumed (single use,
 * remembered until the token has expired) and it is counted against the partner's rate limit (fixed
 * window). PostgreSQL by default, Redis when auth.redisUrl is set; one round trip per request.
 */
import { Redis } from 'ioredis';
import type pg from 'pg';

export interface Admission {
  partnerId: string;
  jti: string;
  /** epoch seconds until which the jti must be remembered */
  rememberUntil: number;
  limit: { requests: number; perSeconds: number };
}

export interface AdmissionResult {
  replayed: boolean;
  /** requests counted in the current window, this one included */
  hits: number;
  /** seconds until the current window ends */
  retryAfterSeconds: number;
}

export interface AdmissionStore {
  admit(a: Admission, now?: number): Promise<AdmissionResult>;
  /** forgets expired jtis and past windows */
  sweep(): Promise<void>;
  close(): Promise<void>;
}

function windowOf(nowMs: number, perSeconds: number): { start: number; retryAfterSeconds: number } {
  const start = Math.floor(nowMs / 1000 / perSeconds) * perSeconds;
  return { start, retryAfterSeconds: Math.max(1, Math.ceil(start + perSeconds - nowMs / 1000)) };
}

/**
 * PostgreSQL: one statement consumes the jti and counts the request. It runs on a small pool of its
 * own that commits asynchronously (synchronous_commit=off), so a request does not wait for a WAL flush
 * here and the partner's hot counter row is not locked across one. That costs no replay safety: no
 * answer leaves the gateway before its audit row is committed synchronously, and that flush covers all
 * earlier WAL, this jti included. A crash can only forget the jti of a request that was never answered
 * (and at most the last moment's rate counts).
 */
export class PgAdmissionStore implements AdmissionStore {
  private readonly pool: pg.Pool;

  constructor(main: pg.Pool, PoolClass: typeof pg.Pool) {
    this.pool = new PoolClass({ ...main.options, max: main.options.max ?? 10, options: '-c synchronous_commit=off', application_name: 'credit-gateway-admission' });
    this.pool.on('error', () => undefined); // an idle client's lost connection; the next query reconnects
  }

  async admit(a: Admission, now = Date.now()): Promise<AdmissionResult> {
    const w = windowOf(now, a.limit.perSeconds);
    // A jti row left from an expired token does not count: such a row may be reused.
    const { rows } = await this.pool.query<{ fresh: boolean; hits: number }>({
      name: 'credit-gateway-admit', // prepared once per connection: this runs on every request
      text: `WITH fresh AS (
         INSERT INTO auth_jti (partner_id, jti, expires_at) VALUES ($1, $2, to_timestamp($3))
         ON CONFLICT (partner_id, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE auth_jti.expires_at < now()
         RETURNING 1
       ), counted AS (
         INSERT INTO auth_rate_counters (partner_id, window_start, hits) VALUES ($1, to_timestamp($4), 1)
         ON CONFLICT (partner_id, window_start) DO UPDATE SET hits = auth_rate_counters.hits + 1
         RETURNING hits
       )
       SELECT EXISTS (SELECT 1 FROM fresh) AS fresh, (SELECT hits FROM counted) AS hits`,
      values: [a.partnerId, a.jti, a.rememberUntil, w.start],
    });
    const row = rows[0]!;
    return { replayed: !row.fresh, hits: row.hits, retryAfterSeconds: w.retryAfterSeconds };
  }

  async sweep(): Promise<void> {
    await this.pool.query('DELETE FROM auth_jti WHERE expires_at < now()');
    await this.pool.query(`DELETE FROM auth_rate_counters WHERE window_start < now() - interval '1 day'`);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export class RedisAdmissionStore implements AdmissionStore {
  private readonly redis: Redis;

  constructor(url: string, private readonly prefix = 'credit-gateway:') {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    this.redis.on('error', () => undefined); // surfaced per request by admit()
  }

  async admit(a: Admission, now = Date.now()): Promise<AdmissionResult> {
    const w = windowOf(now, a.limit.perSeconds);
    const jtiKey = `${this.prefix}jti:${a.partnerId}:${a.jti}`;
    const rateKey = `${this.prefix}rate:${a.partnerId}:${w.start}`;
    const replies = await this.redis
      .multi()
      .set(jtiKey, '1', 'PXAT', Math.ceil(a.rememberUntil * 1000), 'NX')
      .incr(rateKey)
      .expire(rateKey, a.limit.perSeconds + 60)
      .exec();
    if (!replies) throw new Error('redis transaction aborted');
    for (const [err] of replies) if (err) throw err;
    return { replayed: replies[0]![1] !== 'OK', hits: Number(replies[1]![1]), retryAfterSeconds: w.retryAfterSeconds };
  }

  /** Redis expires keys by itself. */
  async sweep(): Promise<void> {}

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
