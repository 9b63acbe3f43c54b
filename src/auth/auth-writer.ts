/**
 * Every PostgreSQL write of partner authentication, as group commit. The admissions (jti consumed,
 * request counted against its partner's window: admission-batch.ts) and the audit rows (hash chain:
 * audit-chain.ts) that reach the writer during one event-loop turn go to PostgreSQL together, as one
 * statement committed durably (writeAuthBatch, src/store/audit-repo.ts). A request's admission and
 * its audit row travel in different turns, so under load each request costs a share of one round
 * trip where two statements used to cost two.
 *
 * The audit chain: a batch's rows are hashed onto the chain end the writer knows, and the statement
 * moves the single chain-head row from that end and inserts the rows only if that move happened.
 * Otherwise (another gateway process appended first) it inserts no audit row and returns the head it
 * found, locked until commit, so the rows are hashed again onto it and go with the next statement.
 * The admissions of such a statement stand — they do not depend on the head — so a retried audit row
 * never counts its request twice.
 *
 * admit() and append() resolve once their statement is committed and reject if it was not; the caller
 * then refuses, or fails, the request. One statement is in flight at a time: the next turn's batch
 * gathers meanwhile, and the chain end stays certain within the process.
 *
 * Lock order, the same in every process: the chain-head row first (the statement reads it before the
 * admissions), then jti rows and window counters in key order.
 */
import pg from 'pg';
import type { Metrics } from '../metrics.js';
import { sweepAdmissions } from '../store/admissions-repo.js';
import { writeAuthBatch, type AuthBatchOutcome, type ChainStep } from '../store/audit-repo.js';
import { guardPool, isStoreUnavailable, retryingDeadlock } from '../store/db.js';
import { SILENT_STORE_LOG } from '../store/store-log.js';
import { AdmissionBatch, type QueuedAdmission } from './admission-batch.js';
import { windowOf, type Admission, type AdmissionResult, type AdmissionStore } from './admission-store.js';
import { auditHash, storableAuditEntry, type AuditEntry, type AuditRow, type ChainHead } from './audit-chain.js';
import { oncePerTurn } from './per-turn.js';

const MAX_ADMISSIONS = 1000;
const MAX_AUDIT_ROWS = 500;
const MAX_AUDIT_ATTEMPTS = 50;

interface PendingAdmission extends QueuedAdmission {
  /** set when a statement carrying it failed: it goes again in a statement of its own */
  alone?: boolean;
  resolve(result: AdmissionResult): void;
  reject(err: unknown): void;
}

interface PendingAudit {
  entry: AuditEntry;
  attempts: number;
  alone?: boolean;
  resolve(): void;
  reject(err: unknown): void;
}

export class AuthWriter implements AdmissionStore {
  private readonly pool: pg.Pool;
  private admissions: PendingAdmission[] = [];
  private audits: PendingAudit[] = [];
  private sending = false;
  /** where the audit chain ends; null until a statement has read it (at start, and after a failure) */
  private tail: ChainHead | null = null;
  private idle: Array<() => void> = [];

  /**
   * `main`'s connection settings, on a pool of its own so request handlers never hold up a commit;
   * `metrics`, when given, get each request's wait and each statement's duration.
   */
  constructor(main: pg.Pool, private readonly metrics?: Pick<Metrics, 'authWriteWait' | 'authWriteStatements'>) {
    this.pool = guardPool(new pg.Pool({ ...main.options, max: 2, application_name: 'credit-gateway-auth' }), SILENT_STORE_LOG);
  }

  admit(admission: Admission, now = Date.now()): Promise<AdmissionResult> {
    return new Promise((resolve, reject) => {
      const waited = this.waitTimer('admission');
      this.admissions.push({ admission, window: windowOf(now, admission.limit.perSeconds), resolve: (r) => { waited(); resolve(r); }, reject });
      this.kickSoon();
    });
  }

  append(entry: AuditEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      const waited = this.waitTimer('audit');
      this.audits.push({ entry: storableAuditEntry(entry), attempts: 0, resolve: () => { waited(); resolve(); }, reject });
      this.kickSoon();
    });
  }

  /** Starts timing a request's wait for its `part`; the returned function records it (when there are metrics). */
  private waitTimer(part: 'admission' | 'audit'): () => void {
    return this.metrics ? this.metrics.authWriteWait.startTimer({ part }) : () => undefined;
  }

  /** Waits until everything handed over is written or refused (shutdown). */
  drain(): Promise<void> {
    if (!this.sending && this.admissions.length === 0 && this.audits.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  async sweep(): Promise<void> {
    await sweepAdmissions(this.pool);
  }

  async close(): Promise<void> {
    await this.drain();
    await this.pool.end();
  }

  /** sends what has queued up, at the end of this event-loop turn */
  private readonly kickSoon = oncePerTurn(() => this.kick());

  private kick(): void {
    if (this.sending) return;
    if (this.admissions.length === 0 && this.audits.length === 0) {
      for (const done of this.idle.splice(0)) done();
      return;
    }
    this.sending = true;
    void this.send().finally(() => {
      this.sending = false;
      this.kick();
    });
  }

  /**
   * The next statement's share of the queues: as much as fits, or — after a statement failed for a
   * reason that was not the database being unavailable — one request's admission or audit row on
   * its own, so that only a request whose data the database refuses fails.
   */
  private nextBatch(): { admissions: PendingAdmission[]; audits: PendingAudit[] } {
    if (this.admissions[0]?.alone) return { admissions: this.admissions.splice(0, 1), audits: [] };
    if (this.audits[0]?.alone) return { admissions: [], audits: this.audits.splice(0, 1) };
    return { admissions: this.admissions.splice(0, MAX_ADMISSIONS), audits: this.audits.splice(0, MAX_AUDIT_ROWS) };
  }

  private async send(): Promise<void> {
    const { admissions, audits } = this.nextBatch();
    // Without a known chain end, the statement only reads the head (and admits); the rows go with the next one.
    const from = this.tail;
    const chain = from && audits.length ? chained(audits, from) : null;
    const step: ChainStep = chain ? { kind: 'append', from: from!, to: chain.end, rows: chain.rows }
      : audits.length ? { kind: 'read' } // reads the head without moving it
      : { kind: 'none' };
    const admissionBatch = new AdmissionBatch(admissions);
    let written: AuthBatchOutcome;
    const statement = this.metrics?.authWriteStatements.startTimer();
    try {
      written = await retryingDeadlock(() => writeAuthBatch(this.pool, step, admissionBatch.writes()));
      statement?.();
    } catch (err) {
      this.tail = null;
      if (admissions.length + audits.length > 1 && !isStoreUnavailable(err)) {
        for (const p of [...admissions, ...audits]) p.alone = true;
        this.admissions.unshift(...admissions);
        this.audits.unshift(...audits);
        return;
      }
      for (const p of admissions) p.reject(err);
      for (const p of audits) p.reject(err);
      return;
    }
    const results = admissionBatch.results(written);
    admissions.forEach((p, i) => p.resolve(results[i]!));
    const head = written.head;
    if (!head) return;
    this.tail = { seq: head.seq, hash: head.hash };
    if (head.moved) {
      for (const p of audits) p.resolve();
      return;
    }
    // Hashed onto a head that had moved on (a read of the head counts no attempt): again, onto the head just read.
    const retry = audits.filter((p) => !chain || ++p.attempts < MAX_AUDIT_ATTEMPTS);
    for (const p of audits) if (p.attempts >= MAX_AUDIT_ATTEMPTS) p.reject(new Error('the audit chain head kept moving'));
    this.audits.unshift(...retry);
  }
}

/** The rows of `batch` hashed onto the chain after `from`, and the chain end after them. */
function chained(batch: PendingAudit[], from: ChainHead): { rows: AuditRow[]; end: ChainHead } {
  let { seq, hash } = from;
  const rows: AuditRow[] = [];
  for (const { entry } of batch) {
    const prevHash = hash;
    seq += 1;
    hash = auditHash(prevHash, seq, entry);
    rows.push(auditRow(entry, seq, prevHash, hash));
  }
  return { rows, end: { seq, hash } };
}

/**
 * An audit row: the entry's fields, then its place in the chain — written out field by field, not as
 * `{ ...entry, seq, prevHash, hash }`, which gives every row a hidden class of its own (why:
 * src/domain/with-fields.ts): about 1.3 KB of old-generation growth per audit row that only a major GC
 * took back (benchmarks/auth-gc.ts measures it). Written out, every row shares one class, whichever
 * way its entry was built.
 */
function auditRow(e: AuditEntry, seq: number, prevHash: string, hash: string): AuditRow {
  return {
    at: e.at, partnerId: e.partnerId, claimedIss: e.claimedIss, route: e.route, method: e.method, path: e.path, status: e.status,
    errorCode: e.errorCode, subjects: e.subjects, purpose: e.purpose, jti: e.jti, requestDigest: e.requestDigest,
    responseDigest: e.responseDigest, durationUs: e.durationUs, clientAddr: e.clientAddr, seq, prevHash, hash,
  };
}
