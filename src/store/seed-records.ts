/**
 * For benchmarks and tests: seeds records straight into the store by SQL (not through the API, so a seed of millions is quick),
 * the way the store writes them (migration 015): the current row with the columns derived from the
 * envelope, and version 1 holding the envelope, in one statement.
 *
 * `rowsSql` is a SELECT giving record_id, category, subject_key, uscc, region, status, content_hash,
 * envelope (jsonb) and created_at; `params` are its parameters.
 *
 * It takes change-feed positions without joining the feed's writers (feed-horizon.ts): seed before
 * anything reads the feed, not next to a reader.
 */
import { DERIVED_COLUMNS, derivedValues } from './record-columns.js';

/**
 * Columns of seeded record g (an int column named g) that cycle with g: hash, category, polarity,
 * severity (none for licences), status (2 % each objected, repaired, expired, repair_requested) and
 * decided (YYYY-MM-DD, up to 700 days back) — a mix like a credit centre's store.
 */
export const SEED_RECORD_CYCLE = `'sha256:' || md5('a' || g) || md5('b' || g) AS hash,
           (ARRAY['dishonest_debtor','dishonest_debtor','admin_penalty','admin_penalty','admin_penalty','procurement_breach',
                  'bidding_misconduct','admin_license','admin_license','admin_license'])[g % 10 + 1] AS category,
           (ARRAY['negative','negative','negative','negative','negative','negative','negative','neutral','neutral','neutral'])[g % 10 + 1] AS polarity,
           (ARRAY['severe','severe','general','minor','severe','severe','general',NULL,NULL,NULL])[g % 10 + 1] AS severity,
           CASE g % 50 WHEN 0 THEN 'objected' WHEN 1 THEN 'repaired' WHEN 2 THEN 'expired' WHEN 3 THEN 'repair_requested' ELSE 'active' END AS status,
           to_char(current_date - (g % 700), 'YYYY-MM-DD') AS decided`;

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
