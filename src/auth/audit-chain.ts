/**
 * The audit log's hash chain, pure: row hash = sha256(prev_hash || canonical JSON of the row with its
 * seq). A walk over the rows in seq order names the first row that was changed, deleted or inserted.
 */
import { hash } from 'node:crypto';
import { canonicalJson } from '../domain/canonical-json.js';

export const GENESIS_HASH = '0'.repeat(64);

/** What one /v1 request leaves in the log. */
export interface AuditEntry {
  at: string;
  partnerId: string | null;
  claimedIss: string | null;
  route: string;
  method: string;
  path: string;
  status: number;
  errorCode: string | null;
  subjects: string[];
  purpose: string | null;
  jti: string | null;
  requestDigest: string | null;
  responseDigest: string;
  durationUs: number;
  clientAddr: string;
}

export interface AuditRow extends AuditEntry {
  seq: number;
  prevHash: string;
  hash: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

/** A chain head signed at `at`, kept outside the database (audit-checkpoints.ts). */
export interface AuditCheckpoint extends ChainHead {
  at: string;
}

export interface ChainFinding {
  seq: number;
  /** rewritten: the chain is whole, but a row differs from a signed checkpoint (audit-checkpoints.ts) */
  kind: 'changed' | 'deleted' | 'inserted' | 'rewritten';
  message: string;
}

const INT32_MAX = 2_147_483_647;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/**
 * Text as an audit row can always store it: NUL and other control characters, and unpaired
 * surrogates, cannot be stored as text in PostgreSQL. Left in, one hostile request would fail the
 * statement that writes its batch, and with it the answers of everyone else in that batch.
 */
export function auditText(s: string, max = 2000): string {
  return s.slice(0, max).toWellFormed().replace(CONTROL_CHARACTERS, '\ufffd');
}

const optionalText = (s: string | null, max?: number) => (s === null ? null : auditText(s, max));

/**
 * The entry made complete and storable before it joins a batch: every text well-formed and bounded,
 * numbers in the column's range, and an address even when the connection was gone before the answer
 * was written (then `unknown`).
 */
export function storableAuditEntry(e: AuditEntry): AuditEntry {
  return {
    at: e.at,
    partnerId: optionalText(e.partnerId, 200),
    claimedIss: optionalText(e.claimedIss, 200),
    route: auditText(e.route, 500),
    method: auditText(e.method, 20),
    path: auditText(e.path),
    status: Number.isInteger(e.status) ? e.status : 0,
    errorCode: optionalText(e.errorCode, 100),
    subjects: e.subjects.map((u) => auditText(u, 64)),
    purpose: optionalText(e.purpose, 200),
    jti: optionalText(e.jti, 200),
    requestDigest: optionalText(e.requestDigest, 200),
    responseDigest: auditText(e.responseDigest, 200),
    durationUs: Math.min(INT32_MAX, Math.max(0, Math.round(e.durationUs))),
    clientAddr: auditText(e.clientAddr || 'unknown', 100),
  };
}

export function auditHash(prevHash: string, seq: number, entry: AuditEntry): string {
  const e: AuditEntry = {
    at: entry.at, partnerId: entry.partnerId, claimedIss: entry.claimedIss, route: entry.route, method: entry.method,
    path: entry.path, status: entry.status, errorCode: entry.errorCode, subjects: entry.subjects, purpose: entry.purpose,
    jti: entry.jti, requestDigest: entry.requestDigest, responseDigest: entry.responseDigest, durationUs: entry.durationUs,
    clientAddr: entry.clientAddr,
  };
  return hash('sha256', prevHash + canonicalJson({ seq, ...e }), 'hex');
}

/**
 * Walks the chain one row at a time (rows in seq order); `next` is the row after, used to tell an
 * inserted row from a re-hashed edit of the row before it. Signed checkpoints, when given, pin the
 * hash of the rows they name.
 */
export class ChainWalker {
  private expectedSeq = 1;
  private expectedPrev = GENESIS_HASH;
  private lastHash: string = GENESIS_HASH;
  private readonly checkpoints: Map<number, AuditCheckpoint>;
  rows = 0;

  constructor(checkpoints: AuditCheckpoint[] = []) {
    this.checkpoints = new Map(checkpoints.map((c) => [c.seq, c]));
  }

  check(row: AuditRow, next: AuditRow | undefined): ChainFinding | null {
    this.rows++;
    const selfConsistent = auditHash(row.prevHash, row.seq, row) === row.hash;
    if (!selfConsistent) {
      // A row whose hash fits the seq before its own was moved down by one: a row was inserted before it.
      if (auditHash(row.prevHash, row.seq - 1, row) === row.hash) {
        return { seq: row.seq - 1, kind: 'inserted', message: `row ${row.seq - 1} was inserted: the rows after it were renumbered` };
      }
      return { seq: row.seq, kind: 'changed', message: `row ${row.seq} was changed: its hash does not cover its content` };
    }
    if (row.seq > this.expectedSeq) {
      const missing = row.seq - 1 === this.expectedSeq ? `row ${this.expectedSeq}` : `rows ${this.expectedSeq}–${row.seq - 1}`;
      return { seq: this.expectedSeq, kind: 'deleted', message: `${missing} deleted: the chain jumps from ${this.expectedSeq - 1} to ${row.seq}` };
    }
    if (row.prevHash !== this.expectedPrev) {
      if (next && next.prevHash === this.expectedPrev) {
        return { seq: row.seq, kind: 'inserted', message: `row ${row.seq} was inserted: the row after it links to row ${row.seq - 1}` };
      }
      return { seq: row.seq - 1, kind: 'changed', message: `row ${row.seq - 1} was changed (and re-hashed): row ${row.seq} does not link to it` };
    }
    const signed = this.checkpoints.get(row.seq);
    if (signed && signed.hash !== row.hash) {
      return { seq: row.seq, kind: 'rewritten', message: `row ${row.seq} is not the row signed in the checkpoint of ${signed.at}: the log up to it was rewritten` };
    }
    this.expectedSeq = row.seq + 1;
    this.expectedPrev = row.hash;
    this.lastHash = row.hash;
    return null;
  }

  /** After the last row: the chain head must point at it (else rows at the end were deleted, or rows appended around the writer). */
  finish(head: ChainHead): ChainFinding | null {
    const lastSeq = this.expectedSeq - 1;
    const beyond = [...this.checkpoints.values()].filter((c) => c.seq > lastSeq).sort((a, b) => b.seq - a.seq)[0];
    if (beyond) {
      return { seq: lastSeq + 1, kind: 'deleted', message: `rows ${lastSeq + 1}–${beyond.seq} deleted: the checkpoint of ${beyond.at} vouches for row ${beyond.seq}, the log ends at ${lastSeq}` };
    }
    if (head.seq > lastSeq) {
      return { seq: lastSeq + 1, kind: 'deleted', message: `rows ${lastSeq + 1}–${head.seq} deleted: the chain head is at ${head.seq}, the log ends at ${lastSeq}` };
    }
    if (head.seq < lastSeq) {
      return { seq: head.seq + 1, kind: 'inserted', message: `rows ${head.seq + 1}–${lastSeq} inserted: they are beyond the chain head (${head.seq})` };
    }
    if (head.hash !== this.lastHash) {
      return { seq: lastSeq, kind: 'changed', message: `row ${lastSeq} was changed (and re-hashed): the chain head records another hash` };
    }
    return null;
  }
}
