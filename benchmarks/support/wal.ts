/**
 * The write cost of a benchmark: bytes of write-ahead log PostgreSQL produced between two points
 * (pg_current_wal_lsn). WAL is per server, not per database: run on a quiet machine, or other
 * databases' writes count too.
 *
 *   const from = await walPosition(pool);  ...load...  const bytes = await walBytesSince(pool, from);
 */
interface Queries {
  query<R>(sql: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

export async function walPosition(db: Queries): Promise<string> {
  const { rows } = await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  return rows[0]!.lsn;
}

export async function walBytesSince(db: Queries, from: string): Promise<number> {
  const { rows } = await db.query<{ bytes: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text AS bytes', [from]);
  return Number(rows[0]!.bytes);
}

/** The line every benchmark prints next to its rate. */
export function walLine(bytes: number, per: number, unit = 'record'): string {
  return `wal per ${unit}: ${Math.round(bytes / Math.max(1, per))} bytes`;
}

/** Full-page images PostgreSQL wrote so far (pg_stat_wal; the whole server's, like the WAL position). */
export async function fullPageImages(db: Queries): Promise<number> {
  const { rows } = await db.query<{ fpi: string }>('SELECT wal_fpi::text AS fpi FROM pg_stat_wal');
  return Number(rows[0]!.fpi);
}

/** The server settings that decide how much WAL a write costs as the store grows (full-page images after each checkpoint). */
export async function walSettingsLine(db: Queries): Promise<string> {
  const { rows } = await db.query<{ name: string; value: string }>(
    `SELECT name, current_setting(name) AS value FROM pg_settings
      WHERE name IN ('shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'wal_compression', 'full_page_writes') ORDER BY name`,
  );
  return `postgresql: ${rows.map((r) => `${r.name}=${r.value}`).join(' ')}`;
}
