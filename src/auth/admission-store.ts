/**
 * Admission of a verified request, shared by every gateway process: its jti is consumed (single use,
 * remembered until the token has expired) and it is counted against the partner's rate limit (fixed
 * window). PostgreSQL by default, Redis when auth.redisUrl is set; one round trip per request (PostgreSQL:
 * per batch of concurrent requests).
 */
import { Redis } from 'ioredis';
import type pg from 'pg';
import { retryingDeadlock } from '../store/db.js';
import { oncePerTurn } from './per-turn.js';

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

interface PendingAdmission {
  admission: Admission;
  window: { start: number; retryAfterSeconds: number };
  resolve(result: AdmissionResult): void;
  reject(err: unknown): void;
}

const MAX_BATCH = 1000;
const MAX_IN_FLIGHT = 2;

const byKey = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);

function windowOf(nowMs: number, perSeconds: number): { start: number; retryAfterSeconds: number } {
  const start = Math.floor(nowMs / 1000 / perSeconds) * perSeconds;
  return { start, retryAfterSeconds: Math.max(1, Math.ceil(start + perSeconds - nowMs / 1000)) };
}

/**
 * PostgreSQL. Admissions from concurrent requests are sent together (group commit): one statement
 * consumes the batch's jtis and adds its requests to each partner's window counter, so a busy gateway
 * makes one round trip and one counter-row update per batch, not per request. While a batch is on its
 * way the next one gathers; a request waits at most for the batch ahead of it.
 *
 * The statements run on a small pool of their own that commits asynchronously
 * (synchronous_commit=off), so a batch does not wait for a WAL flush and the partner's hot counter row
 * is not locked across one. That costs no replay safety: no answer leaves the gateway before its audit
 * row is committed synchronously, and that flush covers all earlier WAL, these jtis included. A crash
 * can only forget the jti of a request that was never answered (and at most the last moment's counts).
 */
export class PgAdmissionStore implements AdmissionStore {
  private readonly pool: pg.Pool;
  private queue: PendingAdmission[] = [];
  private inFlight = 0;

  constructor(main: pg.Pool, PoolClass: typeof pg.Pool) {
    this.pool = new PoolClass({ ...main.options, max: MAX_IN_FLIGHT + 1, options: '-c synchronous_commit=off', application_name: 'credit-gateway-admission' });
    this.pool.on('error', () => undefined); // an idle client's lost connection; the next query reconnects
  }

  admit(a: Admission, now = Date.now()): Promise<AdmissionResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ admission: a, window: windowOf(now, a.limit.perSeconds), resolve, reject });
      this.kickSoon();
    });
  }

  /** sends what has queued up, at the end of this event-loop turn */
  private readonly kickSoon = oncePerTurn(() => this.kick());

  private kick(): void {
    while (this.queue.length && this.inFlight < MAX_IN_FLIGHT) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      this.send(batch)
        .then(
          (results) => batch.forEach((p, i) => p.resolve(results[i]!)),
          (err) => batch.forEach((p) => p.reject(err)),
        )
        .finally(() => {
          this.inFlight--;
          this.kick();
        });
    }
  }

  private async send(batch: PendingAdmission[]): Promise<AdmissionResult[]> {
    // A jti sent twice in one batch is a replay of the first: it is counted, but not inserted twice.
    const jtiKeys = new Map<string, { partnerId: string; jti: string; rememberUntil: number }>();
    const windows = new Map<string, { partnerId: string; start: number; requests: number }>();
    const firstUse: boolean[] = [];
    const keys = batch.map(({ admission: a, window: w }) => ({ jti: JSON.stringify([a.partnerId, a.jti]), window: JSON.stringify([a.partnerId, w.start]) }));
    for (const [i, { admission: a, window: w }] of batch.entries()) {
      const { jti: jtiKey, window: windowKey } = keys[i]!;
      firstUse.push(!jtiKeys.has(jtiKey));
      if (!jtiKeys.has(jtiKey)) jtiKeys.set(jtiKey, { partnerId: a.partnerId, jti: a.jti, rememberUntil: a.rememberUntil });
      const counted = windows.get(windowKey) ?? { partnerId: a.partnerId, start: w.start, requests: 0 };
      counted.requests++;
      windows.set(windowKey, counted);
    }
    // Rows in key order, so batches from several processes lock them in the same order.
    const jtis = [...jtiKeys].sort(byKey).map(([, j]) => j);
    const counters = [...windows].sort(byKey).map(([, c]) => c);
    // A jti row left from an expired token does not count: such a row may be reused.
    const { rows } = await retryingDeadlock(() => this.pool.query<{ kind: 'jti' | 'window'; partner_id: string; jti: string | null; window_start: number | null; hits: number | null }>({
      name: 'credit-gateway-admit', // prepared once per connection
      text: `WITH fresh AS (
         INSERT INTO auth_jti (partner_id, jti, expires_at)
         SELECT partner_id, jti, to_timestamp(remember_until) FROM unnest($1::text[], $2::text[], $3::float8[]) AS r(partner_id, jti, remember_until)
         ON CONFLICT (partner_id, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE auth_jti.expires_at < now()
         RETURNING partner_id, jti
       ), counted AS (
         INSERT INTO auth_rate_counters (partner_id, window_start, hits)
         SELECT partner_id, to_timestamp(window_start), requests FROM unnest($4::text[], $5::float8[], $6::int[]) AS c(partner_id, window_start, requests)
         ON CONFLICT (partner_id, window_start) DO UPDATE SET hits = auth_rate_counters.hits + EXCLUDED.hits
         RETURNING partner_id, extract(epoch FROM window_start)::float8 AS window_start, hits
       )
       SELECT 'jti' AS kind, partner_id, jti, NULL::float8 AS window_start, NULL::int AS hits FROM fresh
       UNION ALL
       SELECT 'window', partner_id, NULL, window_start, hits FROM counted`,
      values: [
        jtis.map((j) => j.partnerId), jtis.map((j) => j.jti), jtis.map((j) => j.rememberUntil),
        counters.map((c) => c.partnerId), counters.map((c) => c.start), counters.map((c) => c.requests),
      ],
    }));
    const fresh = new Set<string>();
    const hitsAfter = new Map<string, number>();
    for (const r of rows) {
      if (r.kind === 'jti') fresh.add(JSON.stringify([r.partner_id, r.jti]));
      else hitsAfter.set(JSON.stringify([r.partner_id, r.window_start]), r.hits!);
    }
    // The batch's requests take the window's last `requests` counts, in arrival order.
    const nextHit = new Map([...windows].map(([key, c]) => [key, hitsAfter.get(key)! - c.requests + 1]));
    return batch.map(({ window: w }, i) => {
      const { jti: jtiKey, window: windowKey } = keys[i]!;
      const hits = nextHit.get(windowKey)!;
      nextHit.set(windowKey, hits + 1);
      return { replayed: !firstUse[i] || !fresh.has(jtiKey), hits, retryAfterSeconds: w.retryAfterSeconds };
    });
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
