/**
 * Every PostgreSQL write of partner authentication, as group commit. The admissions (jti consumed,
 * request counted against its partner's window: admission-batch.ts) and the audit rows (hash chain:
 * audit-chain.ts) that reach the writer during one event-loop turn go to PostgreSQL together, as one
 * statement committed durably. A request's admission and its audit row travel in different turns, so
 * under load each request costs a share of one round trip where two statements used to cost two.
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
import { guardPool, isStoreUnavailable, retryingDeadlock } from '../store/db.js';
import { SILENT_STORE_LOG } from '../store/store-log.js';
import { AdmissionBatch, type AdmissionRow, type QueuedAdmission } from './admission-batch.js';
import { windowOf, type Admission, type AdmissionResult, type AdmissionStore } from './admission-store.js';
import { auditHash, storableAuditEntry, type AuditEntry, type ChainHead } from './audit-chain.js';
import { oncePerTurn } from './per-turn.js';

const MAX_ADMISSIONS = 1000;
const MAX_AUDIT_ROWS = 500;
const MAX_AUDIT_ATTEMPTS = 50;
/** audit_log's columns with their types: a batch's rows travel as one JSON array with these keys */
const COLUMNS = 'seq bigint, at timestamptz, partner_id text, claimed_iss text, route text, method text, path text, status integer, '
  + 'error_code text, subjects text[], purpose text, jti text, request_digest text, response_digest text, duration_us integer, '
  + 'client_addr text, prev_hash text, hash text';
const COLUMN_NAMES = COLUMNS.split(', ').map((c) => c.split(' ')[0]).join(', ');

/**
 * $1–$5: the chain head the audit rows were hashed onto ($1 null: no audit part), the head after them,
 * the rows; $6–$11: the admissions (AdmissionBatch.params).
 */
const STATEMENT = `WITH head AS (
   UPDATE audit_chain_head
      SET seq = CASE WHEN seq = $1 AND hash = $2 THEN $3 ELSE seq END,
          hash = CASE WHEN seq = $1 AND hash = $2 THEN $4 ELSE hash END
    WHERE id AND $1::bigint IS NOT NULL
   RETURNING seq, hash, seq = $3 AND hash = $4 AS moved
 ), appended AS (
   INSERT INTO audit_log (${COLUMN_NAMES})
   SELECT ${COLUMN_NAMES} FROM json_to_recordset($5::json) AS v(${COLUMNS}) WHERE (SELECT moved FROM head)
   RETURNING 1
 ), fresh AS (
   INSERT INTO auth_jti (partner_id, jti, expires_at)
   SELECT partner_id, jti, to_timestamp(remember_until) FROM unnest($6::text[], $7::text[], $8::float8[]) AS r(partner_id, jti, remember_until)
   WHERE (SELECT count(*) FROM head) >= 0 -- after the head: one lock order
   ON CONFLICT (partner_id, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE auth_jti.expires_at < now() -- an expired token's jti may be reused
   RETURNING partner_id, jti
 ), counted AS (
   INSERT INTO auth_rate_counters (partner_id, window_start, hits)
   SELECT partner_id, to_timestamp(window_start), requests FROM unnest($9::text[], $10::float8[], $11::int[]) AS c(partner_id, window_start, requests)
   WHERE (SELECT count(*) FROM head) >= 0
   ON CONFLICT (partner_id, window_start) DO UPDATE SET hits = auth_rate_counters.hits + EXCLUDED.hits
   RETURNING partner_id, extract(epoch FROM window_start)::float8 AS window_start, hits
 )
 SELECT 'head' AS kind, NULL AS partner_id, NULL AS jti, NULL::float8 AS window_start, NULL::int AS n, seq AS head_seq, hash AS head_hash, moved FROM head
 UNION ALL SELECT 'jti', partner_id, jti, NULL, NULL, NULL, NULL, NULL FROM fresh
 UNION ALL SELECT 'window', partner_id, NULL, window_start, hits, NULL, NULL, NULL FROM counted`;

type StatementRow = AdmissionRow | { kind: 'head'; head_seq: number; head_hash: string; moved: boolean };

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

  /** `main`'s connection settings, on a pool of its own so request handlers never hold up a commit */
  constructor(main: pg.Pool) {
    this.pool = guardPool(new pg.Pool({ ...main.options, max: 2, application_name: 'credit-gateway-auth' }), SILENT_STORE_LOG);
  }

  admit(admission: Admission, now = Date.now()): Promise<AdmissionResult> {
    return new Promise((resolve, reject) => {
      this.admissions.push({ admission, window: windowOf(now, admission.limit.perSeconds), resolve, reject });
      this.kickSoon();
    });
  }

  append(entry: AuditEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.audits.push({ entry: storableAuditEntry(entry), attempts: 0, resolve, reject });
      this.kickSoon();
    });
  }

  /** Waits until everything handed over is written or refused (shutdown). */
  drain(): Promise<void> {
    if (!this.sending && this.admissions.length === 0 && this.audits.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  async sweep(): Promise<void> {
    await this.pool.query('DELETE FROM auth_jti WHERE expires_at < now()');
    await this.pool.query(`DELETE FROM auth_rate_counters WHERE window_start < now() - interval '1 day'`);
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
    const headParams = chain ? [from!.seq, from!.hash, chain.end.seq, chain.end.hash, JSON.stringify(chain.rows)]
      : audits.length ? [-1, '', null, null, null] // reads the head without moving it
      : [null, null, null, null, null];
    const admissionBatch = new AdmissionBatch(admissions);
    let rows: StatementRow[];
    try {
      ({ rows } = await retryingDeadlock(() => this.pool.query<StatementRow>({
        name: 'credit-gateway-auth-writes', // prepared once per connection
        text: STATEMENT,
        values: [...headParams, ...admissionBatch.params()],
      })));
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
    const results = admissionBatch.results(rows.filter((r): r is AdmissionRow => r.kind !== 'head'));
    admissions.forEach((p, i) => p.resolve(results[i]!));
    const head = rows.find((r) => r.kind === 'head');
    if (!head) return;
    this.tail = { seq: head.head_seq, hash: head.head_hash }; // int8 as a number: db.ts's type parser
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

/** The rows of `batch` hashed onto the chain after `from`, as audit_log columns, and the chain end after them. */
function chained(batch: PendingAudit[], from: ChainHead): { rows: unknown[]; end: ChainHead } {
  let { seq, hash } = from;
  const rows: unknown[] = [];
  for (const { entry: e } of batch) {
    const prev = hash;
    seq += 1;
    hash = auditHash(prev, seq, e);
    rows.push({
      seq, at: e.at, partner_id: e.partnerId, claimed_iss: e.claimedIss, route: e.route, method: e.method, path: e.path,
      status: e.status, error_code: e.errorCode, subjects: e.subjects, purpose: e.purpose, jti: e.jti,
      request_digest: e.requestDigest, response_digest: e.responseDigest, duration_us: e.durationUs, client_addr: e.clientAddr,
      prev_hash: prev, hash,
    });
  }
  return { rows, end: { seq, hash } };
}
