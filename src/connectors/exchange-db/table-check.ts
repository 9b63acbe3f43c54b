/**
 * Before a run reads a page: the exchange table (and a feedback table) exists for this account and has
 * every column the instance names, spelt as configured. A missing one fails the run with the table, the
 * column and the setting that names it — not a page later with the database's own words.
 */
import { ExchangeDbError, type SourceSession } from './connection.js';
import { columnsStatement } from './source-query.js';

export async function checkColumns(session: SourceSession, table: string, wanted: Array<{ column: string; setting: string }>): Promise<void> {
  const present = new Set((await session.rows(columnsStatement(session.dialect, table))).map((r) => String(r.name ?? r.NAME)));
  if (!present.size) {
    throw new ExchangeDbError(`exchange database ${session.where}: table ${table} does not exist, or this account may not read it (it needs SELECT on it)`);
  }
  const missing = wanted.filter((w) => !present.has(w.column));
  if (!missing.length) return;
  const lower = new Map([...present].map((c) => [c.toLowerCase(), c]));
  const described = missing.map((m) => {
    const near = lower.get(m.column.toLowerCase());
    return `${m.column} (${m.setting})${near ? ` — the table has ${near}: names are matched exactly` : ''}`;
  });
  throw new ExchangeDbError(`exchange database ${session.where}: table ${table} has no column ${described.join(', ')}`);
}
