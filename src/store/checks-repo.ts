/**
 * The store side of 联合惩戒 checks: the published negative records of up to 1,000 codes in ONE
 * round-trip (`uscc = ANY($1)`), answered from records_checks_idx (migration 004) without per-code
 * queries. Only published statuses count (PUBLIC_STATUSES): objected, corrected, repaired, expired,
 * revoked and removed records never do.
 */
import type pg from 'pg';
import type { CheckedRecord } from '../domain/checks.js';
import type { Severity } from '../domain/catalogue.js';
import type { RecordStatus } from '../domain/record.js';
import { PUBLIC_STATUSES } from './records-read.js';

/** Columns of CHECK_SQL, in order (rows come back as arrays: no per-row objects to build). */
type Row = [uscc: string, recordId: string, category: string, severity: Severity, status: RecordStatus, publishUntil: string | null];

/** $1 codes, $2 published statuses, $3 today (YYYY-MM-DD). Every selected column is in records_checks_idx. */
export const CHECK_SQL = `SELECT uscc, record_id, category, severity, status, publish_until FROM records
  WHERE uscc = ANY($1::text[]) AND status = ANY($2::text[]) AND uscc IS NOT NULL AND severity IS NOT NULL
    AND (publish_until IS NULL OR publish_until >= $3)`;

/**
 * Published negative records by normalised USCC (codes without any are absent from the map). A record
 * whose publishUntil is before `today` no longer counts even if the expiry job has not reached it yet.
 */
export async function publishedNegativeRecords(pool: pg.Pool, codes: string[], today: string): Promise<Map<string, CheckedRecord[]>> {
  const byCode = new Map<string, CheckedRecord[]>();
  if (!codes.length) return byCode;
  const { rows } = await pool.query<Row>({ text: CHECK_SQL, values: [codes, PUBLIC_STATUSES, today], rowMode: 'array' });
  for (const [uscc, recordId, category, severity, status, publishUntil] of rows) {
    const list = byCode.get(uscc) ?? [];
    list.push({ recordId, category, severity, status, publishUntil });
    byCode.set(uscc, list);
  }
  return byCode;
}
