/**
 * The admissions of one batch of concurrent requests as the PostgreSQL statement takes them (auth-writer.ts;
 * the statement: src/store/audit-repo.ts), and the statement's answer turned back into one result per request. Pure.
 *
 * A jti sent twice in one batch is a replay of the first: it is counted, but inserted once. Each
 * partner's window counter is raised once by the batch's requests, which then take the window's last
 * counts in arrival order. Rows go out in key order, so batches from several processes lock them in
 * the same order.
 */
import type { AdmissionOutcome, AdmissionWrites, JtiClaim, WindowIncrement } from '../store/admissions-repo.js';
import type { Admission, AdmissionResult } from './admission-store.js';

export interface QueuedAdmission {
  admission: Admission;
  window: { start: number; retryAfterSeconds: number };
}

const byKey = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);
const jtiKey = (partnerId: string, jti: string) => JSON.stringify([partnerId, jti]);
const windowKey = (partnerId: string, start: number) => JSON.stringify([partnerId, start]);

export class AdmissionBatch {
  private readonly keys: Array<{ jti: string; window: string }>;
  private readonly firstUse: boolean[] = [];
  private readonly jtis = new Map<string, JtiClaim>();
  private readonly windows = new Map<string, WindowIncrement>();

  constructor(private readonly queued: readonly QueuedAdmission[]) {
    this.keys = queued.map(({ admission: a, window: w }) => ({ jti: jtiKey(a.partnerId, a.jti), window: windowKey(a.partnerId, w.start) }));
    for (const [i, { admission: a, window: w }] of queued.entries()) {
      const keys = this.keys[i]!;
      this.firstUse.push(!this.jtis.has(keys.jti));
      if (!this.jtis.has(keys.jti)) this.jtis.set(keys.jti, { partnerId: a.partnerId, jti: a.jti, rememberUntil: a.rememberUntil });
      const counted = this.windows.get(keys.window) ?? { partnerId: a.partnerId, start: w.start, requests: 0 };
      counted.requests++;
      this.windows.set(keys.window, counted);
    }
  }

  /** what the statement writes: each jti once, and each window's increment, in key order */
  writes(): AdmissionWrites {
    return {
      jtis: [...this.jtis].sort(byKey).map(([, j]) => j),
      windows: [...this.windows].sort(byKey).map(([, c]) => c),
    };
  }

  results(outcome: AdmissionOutcome): AdmissionResult[] {
    const fresh = new Set<string>();
    const countAfter = new Map<string, number>();
    for (const r of outcome.fresh) fresh.add(jtiKey(r.partnerId, r.jti));
    for (const r of outcome.windows) countAfter.set(windowKey(r.partnerId, r.start), r.hits);
    const nextHit = new Map([...this.windows].map(([key, c]) => [key, countAfter.get(key)! - c.requests + 1]));
    return this.queued.map(({ window: w }, i) => {
      const keys = this.keys[i]!;
      const hits = nextHit.get(keys.window)!;
      nextHit.set(keys.window, hits + 1);
      return { replayed: !this.firstUse[i] || !fresh.has(keys.jti), hits, retryAfterSeconds: w.retryAfterSeconds };
    });
  }
}
