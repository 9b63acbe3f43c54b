/**
 * The audit log (migration 002): audit_log, the hash-chained rows, and audit_chain_head, the single
 * row that names the chain's end — the one statement that writes a batch of authentication (it moves
 * the head and appends the rows, and carries the batch's admissions: admissions-repo.ts), the head
 * read for signed checkpoints and for verification, and the verifier's snapshot and pages. The rows
 * are hashed, and the chain walked, in src/auth/audit-chain.ts.
 */
import type pg from 'pg';
import type { AuditRow, ChainHead } from '../auth/audit-chain.js';
import { admissionParams, type AdmissionOutcome, type AdmissionWrites } from './admissions-repo.js';
import { inTransaction, type Queryable } from './db.js';

/** audit_log's columns with their types: a batch's rows travel as one JSON array with these keys */
const COLUMNS = 'seq bigint, at timestamptz, partner_id text, claimed_iss text, route text, method text, path text, status integer, '
  + 'error_code text, subjects text[], purpose text, jti text, request_digest text, response_digest text, duration_us integer, '
  + 'client_addr text, prev_hash text, hash text';
const COLUMN_NAMES = COLUMNS.split(', ').map((c) => c.split(' ')[0]).join(', ');

/**
 * $1–$5: the chain head the audit rows were hashed onto ($1 null: no audit part), the head after them,
 * the rows; $6–$11: the admissions (admissionParams).
 */
const AUTH_WRITES = `WITH head AS (
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

type AuthWritesRow =
  | { kind: 'head'; head_seq: number; head_hash: string; moved: boolean | null }
  | { kind: 'jti'; partner_id: string; jti: string }
  | { kind: 'window'; partner_id: string; window_start: number; n: number };

/** What the statement does with the audit chain. */
export type ChainStep =
  /** no audit part: the statement only admits */
  | { kind: 'none' }
  /** reads the head (locked until commit) without moving it or appending */
  | { kind: 'read' }
  /** moves the head from `from` to `to` and appends `rows` (hashed onto `from`, ending at `to`) — only if the head was at `from` */
  | { kind: 'append'; from: ChainHead; to: ChainHead; rows: readonly AuditRow[] };

export interface AuthBatchOutcome extends AdmissionOutcome {
  /** the chain head after the statement, and whether it moved (the rows were appended); null when there was no audit part */
  head: (ChainHead & { moved: boolean }) | null;
}

/**
 * One batch of partner authentication in ONE statement (prepared by name, once per connection): the
 * chain step, then the admissions. Lock order: the chain-head row first (the admissions wait for the
 * head's part), then jti rows and window counters in the order given. The admissions stand whatever
 * happened to the head.
 */
export async function writeAuthBatch(db: Queryable, chain: ChainStep, admissions: AdmissionWrites): Promise<AuthBatchOutcome> {
  const headParams = chain.kind === 'append'
    ? [chain.from.seq, chain.from.hash, chain.to.seq, chain.to.hash, JSON.stringify(chain.rows.map(auditLogRecord))]
    : chain.kind === 'read' ? [-1, '', null, null, null] // $1 set, matching no head: reads it without moving it
    : [null, null, null, null, null];
  const { rows } = await db.query<AuthWritesRow>({
    name: 'credit-gateway-auth-writes', // prepared once per connection
    text: AUTH_WRITES,
    values: [...headParams, ...admissionParams(admissions)],
  });
  const outcome: AuthBatchOutcome = { head: null, fresh: [], windows: [] };
  for (const r of rows) {
    if (r.kind === 'head') outcome.head ??= { seq: r.head_seq, hash: r.head_hash, moved: r.moved === true }; // int8 as a number: db.ts's type parser
    else if (r.kind === 'jti') outcome.fresh.push({ partnerId: r.partner_id, jti: r.jti });
    else outcome.windows.push({ partnerId: r.partner_id, start: r.window_start, hits: r.n });
  }
  return outcome;
}

/** An audit row as audit_log's columns (the keys of COLUMNS). */
function auditLogRecord(r: AuditRow): Record<string, unknown> {
  return {
    seq: r.seq, at: r.at, partner_id: r.partnerId, claimed_iss: r.claimedIss, route: r.route, method: r.method, path: r.path,
    status: r.status, error_code: r.errorCode, subjects: r.subjects, purpose: r.purpose, jti: r.jti,
    request_digest: r.requestDigest, response_digest: r.responseDigest, duration_us: r.durationUs, client_addr: r.clientAddr,
    prev_hash: r.prevHash, hash: r.hash,
  };
}

/** The chain head as audit_chain_head holds it; null when the row is missing. */
export async function readChainHead(db: Queryable): Promise<ChainHead | null> {
  const { rows } = await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_chain_head WHERE id');
  return rows[0] ?? null;
}

/**
 * Runs `read` on one pooled client inside one REPEATABLE READ READ ONLY transaction: every read sees
 * the same snapshot, so appends made meanwhile neither count nor confuse it.
 */
export function inAuditSnapshot<T>(pool: pg.Pool, read: (db: Queryable) => Promise<T>): Promise<T> {
  return inTransaction(pool, read, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
}

/** How many rows readAuditPage returns at most. */
export const AUDIT_PAGE = 5000;

interface AuditLogRow {
  seq: number;
  at: Date;
  partner_id: string | null;
  claimed_iss: string | null;
  route: string;
  method: string;
  path: string;
  status: number;
  error_code: string | null;
  subjects: string[];
  purpose: string | null;
  jti: string | null;
  request_digest: string | null;
  response_digest: string;
  duration_us: number;
  client_addr: string;
  prev_hash: string;
  hash: string;
}

/** Up to AUDIT_PAGE audit rows after `afterSeq`, in seq order, as the chain hashed them. */
export async function readAuditPage(db: Queryable, afterSeq: number): Promise<AuditRow[]> {
  const { rows } = await db.query<AuditLogRow>(
    `SELECT seq, at, partner_id, claimed_iss, route, method, path, status, error_code, subjects, purpose, jti,
            request_digest, response_digest, duration_us, client_addr, prev_hash, hash
       FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT ${AUDIT_PAGE}`,
    [afterSeq],
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    at: r.at.toISOString(),
    partnerId: r.partner_id,
    claimedIss: r.claimed_iss,
    route: r.route,
    method: r.method,
    path: r.path,
    status: r.status,
    errorCode: r.error_code,
    subjects: r.subjects,
    purpose: r.purpose,
    jti: r.jti,
    requestDigest: r.request_digest,
    responseDigest: r.response_digest,
    durationUs: r.duration_us,
    clientAddr: r.client_addr,
    prevHash: r.prev_hash,
    hash: r.hash,
  }));
}
