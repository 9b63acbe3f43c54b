/**
 * For benchmarks and tests: seeds records straight into the store by SQL (not through the API, so a seed of millions is quick),
 * the way the store writes them (migration 015): the current row with the columns derived from the
 * envelope, and version 1 holding the envelope, in one statement.
 *
 * `rowsSql` is a SELECT giving record_id, category, subject_key, uscc, region, status, content_hash,
 * envelope (jsonb) and created_at; `params` are its parameters.
 */
import { DERIVED_COLUMNS, derivedValues } from './record-columns.js';

interface Queries {
  query(sql: string, values?: unknown[]): Promise<{ rowCount: number | null }>;
}

/** Returns how many records were seeded. */
export async function seedRecords(db: Queries, rowsSql: string, params: unknown[]): Promise<number> {
  const { rowCount } = await db.query(
    `WITH input AS MATERIALIZED (${rowsSql}),
     current_rows AS (
       INSERT INTO records (record_id, category, subject_key, uscc, region, status, version, content_hash, created_at, updated_at, change_seq,
                            ${DERIVED_COLUMNS})
       SELECT i.record_id, i.category, i.subject_key, i.uscc, i.region, i.status, 1, i.content_hash, i.created_at, i.created_at,
              nextval('records_change_seq'), ${derivedValues('i.envelope')}
         FROM input i)
     INSERT INTO record_versions (record_id, version, change_kind, status, content_hash, envelope, actor, reason, recorded_at)
     SELECT i.record_id, 1, 'created', i.status, i.content_hash, i.envelope, 'bench', NULL, i.created_at FROM input i`,
    params,
  );
  return rowCount ?? 0;
}
