/**
 * A connector source that reads a department's exchange table (前置库) in PostgreSQL or MySQL/MariaDB.
 *
 * Paging: rows in (cursor column, key columns) order, after the last row committed — a tuple cursor, so
 * rows sharing one update time are never split or repeated by a page boundary. The cursor is the last
 * row's cursor and key values, as the database gave them (text), plus the rows seen in the pass. An
 * incremental listing starts each run after the last row of the run before; a complete one reads the
 * whole table each pass (the removal sweep does the rest). Rows with a NULL cursor or key value have no
 * place in that order: each pass ends by reading them (at most a page) and quarantining them.
 *
 * Mapping: the table file's `record` (map-row.ts, as for HTTP sources); a row carrying the deletion flag
 * withdraws its record; a key seen twice in a page rejects those rows. Verdicts go back to the feedback
 * columns or table when configured — the only write, on a connection of its own; the reading
 * connection is read-only. A run opens its connections on its first page and closes them at its end.
 */
import type { ExchangeDbConfig } from '../../config/types.js';
import type { FieldError } from '../../errors.js';
import { knownFields, mapSourceRow } from '../declarative/map-row.js';
import type { TableSpec } from '../declarative/spec.js';
import type { ConnectorSource, MapEnv, PageCursor, RowResult, RowVerdict, SourcePage } from '../types.js';
import { openSession, type SourceSession } from './connection.js';
import { feedbackShape, ownColumns, tableShape, exchangeUrl } from './settings.js';
import { checkColumns } from './table-check.js';
import { feedbackColumnStatement, feedbackTableStatement, nullRowsStatement, pageStatement } from './source-query.js';
import { verdictRows } from './verdicts.js';

type Row = Record<string, unknown>;

interface Sessions {
  read: SourceSession;
  /** only when verdicts are written back */
  write: SourceSession | null;
}

/** Verdicts written in one statement to a feedback table. */
const VERDICTS_PER_STATEMENT = 500;

const FIRST: PageCursor = { at: null, key: null, seen: 0 };

/** The cursor of a row: its cursor value and key values, as the database gave them. */
function positionOf(xdb: ExchangeDbConfig, row: Row): { at: string; key: string } {
  return { at: String(row[xdb.cursor.column]), key: JSON.stringify(xdb.key.map((k) => row[k] ?? null)) };
}

async function openSessions(xdb: ExchangeDbConfig): Promise<Sessions> {
  const url = exchangeUrl(xdb);
  const opts = { connectTimeoutMs: xdb.connectTimeoutMs, statementTimeoutMs: xdb.statementTimeoutMs };
  const read = await openSession(url, { ...opts, readOnly: true });
  let write: SourceSession | null = null;
  try {
    await checkColumns(read, xdb.table, ownColumns(xdb));
    const fb = xdb.feedback;
    if (fb) {
      write = await openSession(url, { ...opts, readOnly: false });
      if (fb.table) {
        const wanted = [...xdb.key, fb.status, fb.message, ...(fb.at ? [fb.at] : [])];
        await checkColumns(write, fb.table, wanted.map((column) => ({ column, setting: `feedback (table ${fb.table})` })));
      }
    }
    return { read, write };
  } catch (err) {
    await read.close().catch(() => undefined);
    await write?.close().catch(() => undefined);
    throw err;
  }
}

/** The rows of a page whose key columns repeat within it (the key is not unique in the table). */
function repeatedKeys(xdb: ExchangeDbConfig, rows: Row[]): Row[] {
  const byKey = new Map<string, Row[]>();
  for (const row of rows) {
    const key = JSON.stringify(xdb.key.map((k) => row[k] ?? null));
    byKey.set(key, [...(byKey.get(key) ?? []), row]);
  }
  return [...byKey.values()].filter((group) => group.length > 1).flat();
}

/** What keeps a row from being read at all: a NULL key or cursor value, or a key repeated in its page. */
function ownErrors(xdb: ExchangeDbConfig, row: Row, repeated: boolean): FieldError[] {
  const errors: FieldError[] = [];
  for (const k of xdb.key) {
    if (row[k] === null || row[k] === undefined) {
      errors.push({ pointer: `/${k}`, rule: 'exchange.key_null', zh: `键列 ${k} 为空（NULL），无法定位该行，请补齐键值`, en: `key column ${k} is NULL: the row cannot be addressed` });
    }
  }
  if (row[xdb.cursor.column] === null || row[xdb.cursor.column] === undefined) {
    const c = xdb.cursor.column;
    errors.push({ pointer: `/${c}`, rule: 'exchange.cursor_null', zh: `增量列 ${c} 为空（NULL），无法按更新顺序读取该行，请补齐`, en: `cursor column ${c} is NULL: the row has no place in the update order` });
  }
  if (repeated && !errors.length) {
    const k = xdb.key.join('+');
    errors.push({ pointer: `/${xdb.key[0]}`, rule: 'exchange.duplicate_key', zh: `键列 ${k} 的值在同一页中出现多次（键列必须唯一），这些行均未入库`, en: `key ${k} occurs more than once in the page (the key must be unique): none of these rows was taken` });
  }
  return errors;
}

function isFlagged(xdb: ExchangeDbConfig, row: Row): boolean {
  const flag = xdb.deleted;
  if (!flag) return false;
  const value = row[flag.column];
  return value !== null && value !== undefined && flag.values.some((v) => String(v) === String(value).trim());
}

export function exchangeDbSource(id: string, spec: TableSpec, xdb: ExchangeDbConfig): ConnectorSource {
  const known = new Set([...knownFields(spec), ...ownColumns(xdb).map((c) => c.column)]);
  const repeated = new WeakSet<Row>();
  let sessions: Sessions | null = null;
  const session = async () => (sessions ??= await openSessions(xdb));
  return {
    id,
    title: spec.title,
    system: spec.system,
    completeListing: () => xdb.listing === 'complete',
    firstCursor: () => FIRST,
    nextPassCursor: (_config, after) => (xdb.listing === 'complete' || after.at === null || after.at === undefined ? FIRST : { at: after.at, key: after.key ?? null, seen: 0 }),
    relistsUnchanged: xdb.deleted !== undefined,
    fetchPage: async (_env, cursor) => fetchPage(xdb, await session(), cursor, repeated),
    mapRow: (row, env) => mapRow(spec, xdb, known, row as Row, env, repeated.has(row as Row)),
    ...(xdb.feedback ? { writeVerdicts: async (_config, verdicts) => writeVerdicts(xdb, await session(), verdicts) } : {}),
    endRun: async () => {
      const open = sessions;
      sessions = null;
      await open?.read.close();
      await open?.write?.close();
    },
  } satisfies ConnectorSource;
}

async function fetchPage(xdb: ExchangeDbConfig, s: Sessions, cursor: PageCursor, repeated: WeakSet<Row>): Promise<SourcePage> {
  const dialect = s.read.dialect;
  const shape = tableShape(xdb);
  const after = cursor.at === null || cursor.at === undefined ? null : { at: String(cursor.at), key: JSON.parse(String(cursor.key)) as unknown[] };
  const rows = await s.read.rows(pageStatement(dialect, shape, after, xdb.pageSize));
  for (const row of repeatedKeys(xdb, rows)) repeated.add(row);
  const seen = Number(cursor.seen ?? 0) + rows.length;
  const last = rows.at(-1);
  const position = last ? positionOf(xdb, last) : { at: cursor.at ?? null, key: cursor.key ?? null };
  const url = `exchange-db://${s.read.where}/${xdb.table}`;
  if (rows.length === xdb.pageSize) return { url, rows, next: { ...position, seen } };
  // the end of the pass: the rows with no place in the order come last, to be quarantined
  const stray = await s.read.rows(nullRowsStatement(dialect, shape, xdb.pageSize));
  return { url, rows: [...rows, ...stray], next: null, after: { ...position, seen } };
}

function mapRow(spec: TableSpec, xdb: ExchangeDbConfig, known: ReadonlySet<string>, row: Row, env: MapEnv, repeated: boolean): RowResult[] {
  const errors = ownErrors(xdb, row, repeated);
  if (errors.length) return [{ ok: false, errors, issues: [] }];
  const results = mapSourceRow(spec, row, env, known);
  if (!isFlagged(xdb, row)) return results;
  // a deleted row needs only its key: whatever else it holds, its record is withdrawn
  return results.map((r): RowResult => (r.ok || r.key ? { ok: true, withdrawn: true, key: r.key!, issues: [] } : r));
}

async function writeVerdicts(xdb: ExchangeDbConfig, s: Sessions, verdicts: RowVerdict[]): Promise<void> {
  const fb = xdb.feedback;
  if (!fb || !s.write) return;
  const rows = verdictRows(verdicts, xdb.key, { accepted: fb.accepted, rejected: fb.rejected, maxLength: fb.maxLength });
  const shape = tableShape(xdb);
  const target = feedbackShape(xdb)!;
  const dialect = s.write.dialect;
  if (target.table) {
    for (let i = 0; i < rows.length; i += VERDICTS_PER_STATEMENT) {
      await s.write.execute(feedbackTableStatement(dialect, shape, { ...target, table: target.table }, rows.slice(i, i + VERDICTS_PER_STATEMENT)));
    }
    return;
  }
  for (const v of rows) await s.write.execute(feedbackColumnStatement(dialect, shape, target, v));
}
