/**
 * The admissions of one batch of concurrent requests as the PostgreSQL statement takes them (auth-writer.ts),
 * and the statement's answer turned back into one result per request. Pure.
 *
 * A jti sent twice in one batch is a replay of the first: it is counted, but inserted once. Each
 * partner's window counter is raised once by the batch's requests, which then take the window's last
 * counts in arrival order. Rows go out in key order, so batches from several processes lock them in
 * the same order.
 */
import type { Admission, AdmissionResult } from './admission-store.js';

export interface QueuedAdmission {
  admission: Admission;
  window: { start: number; retryAfterSeconds: number };
}

/** What the statement returns for the admission part: the jtis it inserted and each window's count after it. */
export type AdmissionRow =
  | { kind: 'jti'; partner_id: string; jti: string }
  | { kind: 'window'; partner_id: string; window_start: number; n: number };

const byKey = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);
const jtiKey = (partnerId: string, jti: string) => JSON.stringify([partnerId, jti]);
const windowKey = (partnerId: string, start: number) => JSON.stringify([partnerId, start]);

export class AdmissionBatch {
  private readonly keys: Array<{ jti: string; window: string }>;
  private readonly firstUse: boolean[] = [];
  private readonly jtis = new Map<string, { partnerId: string; jti: string; rememberUntil: number }>();
  private readonly windows = new Map<string, { partnerId: string; start: number; requests: number }>();

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

  /** six parameters: the jtis (partner, jti, remember-until) and the window increments (partner, start, requests) */
  params(): unknown[] {
    const jtis = [...this.jtis].sort(byKey).map(([, j]) => j);
    const counters = [...this.windows].sort(byKey).map(([, c]) => c);
    return [
      jtis.map((j) => j.partnerId), jtis.map((j) => j.jti), jtis.map((j) => j.rememberUntil),
      counters.map((c) => c.partnerId), counters.map((c) => c.start), counters.map((c) => c.requests),
    ];
  }

  results(rows: readonly AdmissionRow[]): AdmissionResult[] {
    const fresh = new Set<string>();
    const countAfter = new Map<string, number>();
    for (const r of rows) {
      if (r.kind === 'jti') fresh.add(jtiKey(r.partner_id, r.jti));
      else countAfter.set(windowKey(r.partner_id, r.window_start), r.n);
    }
    const nextHit = new Map([...this.windows].map(([key, c]) => [key, countAfter.get(key)! - c.requests + 1]));
    return this.queued.map(({ window: w }, i) => {
      const keys = this.keys[i]!;
      const hits = nextHit.get(keys.window)!;
      nextHit.set(keys.window, hits + 1);
      return { replayed: !this.firstUse[i] || !fresh.has(keys.jti), hits, retryAfterSeconds: w.retryAfterSeconds };
    });
  }
}
