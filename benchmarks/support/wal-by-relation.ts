/**
 * Where a benchmark's write-ahead log went, by relation (BENCH_WAL_DETAIL=1): PostgreSQL's
 * pg_walinspect (a contrib extension, PostgreSQL 15 or later) reads the records between two positions.
 * WAL is per server: run on a quiet machine.
 *
 *   const detail = await walDetailStart(admin);  ...load...  console.log(await walDetailLines(detail, db, n));
 *
 * The segments must still be there when they are read: wal_keep_size is raised for the run (ALTER SYSTEM)
 * and reset by walDetailLines, which also names each relation from the benchmark's database `db`
 * (its file node; relations of other databases keep their number).
 */
import { walPosition } from './wal.js';

interface Queries {
  query<R>(sql: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

export interface WalDetail {
  admin: Queries;
  from: string;
}

export async function walDetailStart(admin: Queries): Promise<WalDetail> {
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
  await admin.query(`ALTER SYSTEM SET wal_keep_size = '8GB'`);
  await admin.query('SELECT pg_reload_conf()');
  return { admin, from: await walPosition(admin) };
}

/** The lines to print: bytes per `unit` by relation, largest first, with the part that is full-page images. */
export async function walDetailLines(detail: WalDetail, db: Queries, per: number, unit = 'record'): Promise<string[]> {
  const { admin, from } = detail;
  try {
    // the records up to the position written so far (the end of the last one must be flushed)
    await admin.query('SELECT pg_switch_wal()');
    const { rows: [end] } = await admin.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn');
    const { rows } = await admin.query<{ node: string; bytes: string; fpi: string }>(
      `SELECT coalesce(substring(block_ref from 'rel \\d+/\\d+/(\\d+)'), '-') AS node,
              sum(record_length)::text AS bytes, sum(fpi_length)::text AS fpi
         FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn) GROUP BY 1`,
      [from, end!.lsn],
    );
    const { rows: relations } = await db.query<{ node: string; name: string }>(
      'SELECT pg_relation_filenode(oid)::text AS node, relname AS name FROM pg_class WHERE pg_relation_filenode(oid) IS NOT NULL',
    );
    const names = new Map(relations.map((r) => [r.node, r.name]));
    const perUnit = (bytes: string) => Math.round(Number(bytes) / Math.max(1, per));
    return rows
      .map((r) => ({
        name: r.node === '-' ? '(no relation: commits and others)' : (names.get(r.node) ?? `file node ${r.node}`),
        bytes: perUnit(r.bytes),
        fpi: perUnit(r.fpi),
      }))
      .filter((r) => r.bytes > 0)
      .sort((a, b) => b.bytes - a.bytes)
      .map((r) => `wal per ${unit} by relation: ${String(r.bytes).padStart(5)} bytes  ${r.name}${r.fpi > 0 ? ` (full-page images ${r.fpi})` : ''}`);
  } finally {
    await admin.query('ALTER SYSTEM RESET wal_keep_size');
    await admin.query('SELECT pg_reload_conf()');
  }
}
