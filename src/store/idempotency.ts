/** Idempotency-Key: the first answer to a (partner, key) is stored with the body's hash and replayed. */
import type pg from 'pg';

export interface StoredAnswer {
  bodyHash: string;
  statusCode: number;
  response: unknown;
}

export async function findAnswer(pool: pg.Pool, partner: string, key: string): Promise<StoredAnswer | null> {
  const { rows } = await pool.query<{ body_hash: string; status_code: number; response: unknown }>(
    'SELECT body_hash, status_code, response FROM idempotency_keys WHERE partner = $1 AND key = $2',
    [partner, key],
  );
  const row = rows[0];
  return row ? { bodyHash: row.body_hash, statusCode: row.status_code, response: row.response } : null;
}

/** Inserts the answer on the request's own transaction; false when another request stored one first. */
export async function saveAnswer(client: pg.ClientBase, partner: string, key: string, answer: StoredAnswer): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO idempotency_keys (partner, key, body_hash, status_code, response)
     VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (partner, key) DO NOTHING`,
    [partner, key, answer.bodyHash, answer.statusCode, JSON.stringify(answer.response)],
  );
  return rowCount === 1;
}

export async function purgeExpiredAnswers(pool: pg.Pool, ttlHours: number): Promise<number> {
  const { rowCount } = await pool.query(`DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)`, [ttlHours]);
  return rowCount ?? 0;
}
