/** Reading records: one record with its history, a subject's profile, and the change feed. */
import type pg from 'pg';
import type { RecordGrant } from '../domain/grant.js';
import type { RecordEnvelope, RecordStatus } from '../domain/record.js';
import { grantCondition, grantParams } from './grant-filter.js';
import { feedHorizon } from './feed-horizon.js';

export interface VersionSummary {
  version: number;
  changeKind: string;
  status: RecordStatus;
  contentHash: string;
  actor: string;
  reason: string | null;
  recordedAt: string;
  envelope: RecordEnvelope;
}

/** The record and its versions; null when there is none, or `grant` does not cover it. */
export async function getRecordWithVersions(
  pool: pg.Pool,
  recordId: string,
  grant: RecordGrant | null,
): Promise<{ record: RecordEnvelope; versions: VersionSummary[] } | null> {
  const current = await pool.query<{ envelope: RecordEnvelope }>({
    name: 'record-by-id', // prepared once per connection, like the other reads of one record or subject
    text: `SELECT envelope FROM current_records r WHERE record_id = $1 AND ${grantCondition('r', 2)}`,
    values: [recordId, ...grantParams(grant)],
  });
  const record = current.rows[0]?.envelope;
  if (!record) return null;
  const { rows } = await pool.query<{
    version: number; change_kind: string; status: RecordStatus; content_hash: string; actor: string; reason: string | null; recorded_at: Date; envelope: RecordEnvelope;
  }>({
    name: 'record-versions',
    text: `SELECT version, change_kind, status, content_hash, actor, reason, recorded_at, envelope
       FROM record_versions WHERE record_id = $1 ORDER BY version`,
    values: [recordId],
  });
  return {
    record,
    versions: rows.map((r) => ({
      version: r.version,
      changeKind: r.change_kind,
      status: r.status,
      contentHash: r.content_hash,
      actor: r.actor,
      reason: r.reason,
      recordedAt: r.recorded_at.toISOString(),
      envelope: r.envelope,
    })),
  };
}

/** Statuses shown in public reads and profiles: objected, repaired, expired, revoked and removed records are not. */
export const PUBLIC_STATUSES: RecordStatus[] = ['active', 'repair_requested'];

/** The subject's published records; one whose publishUntil is before `today` (China day) is left out even before the expiry job runs. */
export async function subjectRecords(pool: pg.Pool, uscc: string, limit: number, today: string): Promise<RecordEnvelope[]> {
  const { rows } = await pool.query<{ envelope: RecordEnvelope }>({
    name: 'subject-records', // prepared once per connection: the most frequent read (信用核查)
    text: `SELECT envelope FROM current_records WHERE uscc = $1 AND status = ANY($2::text[])
        AND (publish_until IS NULL OR publish_until >= $4)
      ORDER BY decided_on DESC, record_id LIMIT $3`,
    values: [uscc, PUBLIC_STATUSES, limit, today],
  });
  return rows.map((r) => r.envelope);
}

export interface FeedFilter {
  uscc?: string;
  category?: string;
  status?: string;
  updatedAfter?: string;
  /** only records of organisations whose USCC the subject registry has not resolved yet */
  pending?: boolean;
}

/**
 * Changes after position `afterSeq` up to the feed's horizon (feed-horizon.ts), in position order, of
 * records matching `filter` that `grant` covers.
 */
export async function changeFeed(
  pool: pg.Pool,
  filter: FeedFilter,
  grant: RecordGrant | null,
  afterSeq: number,
  limit: number,
): Promise<Array<{ seq: number; envelope: RecordEnvelope }>> {
  const horizon = await feedHorizon(pool);
  const where = ['change_seq > $1', 'change_seq <= $2'];
  const params: unknown[] = [afterSeq, horizon];
  if (grant) {
    where.push(grantCondition('r', 3));
    params.push(...grantParams(grant));
  }
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.uscc) add('uscc = ?', filter.uscc);
  if (filter.category) add('category = ?', filter.category);
  if (filter.status) add('status = ?', filter.status);
  if (filter.updatedAfter) add('updated_at > ?::timestamptz', filter.updatedAfter);
  if (filter.pending !== undefined) add('pending = ?', filter.pending);
  params.push(limit);
  const { rows } = await pool.query<{ change_seq: number; envelope: RecordEnvelope }>(
    `SELECT change_seq, envelope FROM current_records r WHERE ${where.join(' AND ')} ORDER BY change_seq LIMIT $${params.length}`,
    params,
  );
  return rows.map((r) => ({ seq: r.change_seq, envelope: r.envelope }));
}
