/**
 * Admission of a verified request, shared by every gateway process: its jti is consumed (single use,
 * remembered until the token has expired) and it is counted against the partner's rate limit (fixed
 * window). PostgreSQL by default (AuthWriter, auth-writer.ts: in the statement that also appends the
 * audit rows), Redis when auth.redisUrl is set (one round trip per request).
 */
import { Redis } from 'ioredis';

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

export function windowOf(nowMs: number, perSeconds: number): { start: number; retryAfterSeconds: number } {
  const start = Math.floor(nowMs / 1000 / perSeconds) * perSeconds;
  return { start, retryAfterSeconds: Math.max(1, Math.ceil(start + perSeconds - nowMs / 1000)) };
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
