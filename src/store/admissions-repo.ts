/**
 * Admissions (migration 002): auth_jti, the single-use token ids, and auth_rate_counters, the
 * fixed-window request counters — the shapes in which a batch consumes jtis and counts requests, and
 * the sweep that forgets the rows no longer needed. The batch itself is written by the one statement
 * that also appends the audit rows (writeAuthBatch, audit-repo.ts): the admissions share its commit
 * and take their locks after the chain head's.
 */
import type { Queryable } from './db.js';

/** A jti to consume: inserted, or taken over when its earlier use has expired. */
export interface JtiClaim {
  partnerId: string;
  jti: string;
  /** epoch seconds until which the jti is remembered (auth_jti.expires_at) */
  rememberUntil: number;
}

/** Requests to add to one partner's window counter. */
export interface WindowIncrement {
  partnerId: string;
  /** the window's start, epoch seconds */
  start: number;
  requests: number;
}

/**
 * The admission part of a batch: each list in key order (the caller's), so batches from several
 * processes lock the rows in the same order.
 */
export interface AdmissionWrites {
  jtis: readonly JtiClaim[];
  windows: readonly WindowIncrement[];
}

/** What the statement answers for the admission part. */
export interface AdmissionOutcome {
  /** the jtis it inserted (first use, or reuse of an expired one); a jti in use is absent */
  fresh: Array<{ partnerId: string; jti: string }>;
  /** each window's count after the batch's requests were added */
  windows: Array<{ partnerId: string; start: number; hits: number }>;
}

/** The statement's six admission parameters, in order: jtis (partner, jti, remember-until), window increments (partner, start, requests). */
export function admissionParams({ jtis, windows }: AdmissionWrites): unknown[] {
  return [
    jtis.map((j) => j.partnerId), jtis.map((j) => j.jti), jtis.map((j) => j.rememberUntil),
    windows.map((c) => c.partnerId), windows.map((c) => c.start), windows.map((c) => c.requests),
  ];
}

/** Forgets expired jtis, then windows that started more than a day ago. */
export async function sweepAdmissions(db: Queryable): Promise<void> {
  await db.query('DELETE FROM auth_jti WHERE expires_at < now()');
  await db.query(`DELETE FROM auth_rate_counters WHERE window_start < now() - interval '1 day'`);
}
