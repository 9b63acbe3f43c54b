/**
 * The database way's exchange tables (README "Delivery to platforms", the database way), pure: one
 * table per category whose columns are the category's 填报模板 columns (src/templates: the subject, the
 * source key, the record-level dates, then every `data` field, a list of objects as numbered groups)
 * plus the delivery's own — record_id (the key), event_id (unique), version, op, status, occurred_at,
 * delivered_at — and one feedback table the platform writes its verdicts into. Statements for
 * PostgreSQL and MySQL/MariaDB.
 */
import { categoryInfo } from '../domain/catalogue.js';
import { quoteIdentifier, type Dialect, type Statement } from '../connectors/exchange-db/source-query.js';
import { categoryTemplate } from '../templates/template.js';
import { cellAt } from '../templates/row-mapping.js';
import type { DeliveryEvent } from './delivery-event.js';

/** The delivery's own columns, before the category's. */
export const DELIVERY_COLUMNS = ['record_id', 'event_id', 'version', 'op', 'status', 'occurred_at', 'delivered_at'] as const;
export const FEEDBACK_COLUMNS = ['event_id', 'outcome', 'reason', 'field', 'answered_at'] as const;

export interface ExchangeColumn {
  /** the column's name in the table */
  name: string;
  /** the template column's key (`subject.name`, `data.CF_WSH`, `data.parties.1.name`) */
  key: string;
  /** the key split at its dots: where the value lies in a record */
  path: readonly string[];
}

const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/**
 * The category's columns: record-level keys in snake case (`subject.idNumber` → subject_id_number,
 * `decidedAt` → decided_at), `data` fields by their own name with list positions joined by `_`
 * (`data.CF_WSH` → CF_WSH, `data.parties.1.name` → parties_1_name); a `data` field whose name another
 * column has already (case-insensitively, as MySQL compares them) gets the prefix `data_`.
 */
export function exchangeColumns(category: string): ExchangeColumn[] {
  if (!categoryInfo(category)) throw new Error(`unknown category ${category}`);
  const taken = new Set<string>(DELIVERY_COLUMNS);
  const out: ExchangeColumn[] = [];
  for (const c of categoryTemplate(categoryInfo(category)!.id).columns) {
    let name = c.key.startsWith('data.') ? c.key.slice(5).replaceAll('.', '_') : snake(c.key.replaceAll('.', '_'));
    if (taken.has(name.toLowerCase())) name = `data_${name}`;
    taken.add(name.toLowerCase());
    out.push({ name, key: c.key, path: c.key.split('.') });
  }
  return out;
}

export function tableOf(prefix: string, category: string): string {
  return `${prefix}${category}`;
}

const q = quoteIdentifier;

/** CREATE TABLE IF NOT EXISTS for a category's exchange table: every category column text (NULL when empty). */
export function createExchangeTableSql(dialect: Dialect, table: string, columns: ExchangeColumn[]): string {
  const my = dialect === 'mysql';
  const cols = [
    `${q(dialect, 'record_id')} ${my ? 'CHAR(36)' : 'uuid'} NOT NULL PRIMARY KEY`,
    `${q(dialect, 'event_id')} ${my ? 'CHAR(36)' : 'uuid'} NOT NULL UNIQUE`,
    `${q(dialect, 'version')} INTEGER NOT NULL`,
    `${q(dialect, 'op')} VARCHAR(10) NOT NULL`,
    `${q(dialect, 'status')} VARCHAR(30)`,
    `${q(dialect, 'occurred_at')} VARCHAR(40)`,
    `${q(dialect, 'delivered_at')} ${my ? 'DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)' : 'timestamptz NOT NULL DEFAULT now()'}`,
    ...columns.map((c) => `${q(dialect, c.name)} TEXT`),
  ];
  const index = `${q(dialect, 'delivered_at')}`;
  return my
    ? `CREATE TABLE IF NOT EXISTS ${q(dialect, table)} (${cols.join(', ')}, INDEX (${index})) CHARACTER SET utf8mb4`
    : `CREATE TABLE IF NOT EXISTS ${q(dialect, table)} (${cols.join(', ')})`;
}

export function createFeedbackTableSql(dialect: Dialect, table: string): string[] {
  const my = dialect === 'mysql';
  const create = `CREATE TABLE IF NOT EXISTS ${q(dialect, table)} (
    ${q(dialect, 'event_id')} ${my ? 'CHAR(36)' : 'uuid'} NOT NULL PRIMARY KEY,
    ${q(dialect, 'outcome')} VARCHAR(10) NOT NULL CHECK (${q(dialect, 'outcome')} IN ('accepted', 'rejected')),
    ${q(dialect, 'reason')} TEXT,
    ${q(dialect, 'field')} VARCHAR(500),
    ${q(dialect, 'answered_at')} ${my ? 'DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)' : 'timestamptz NOT NULL DEFAULT now()'}`;
  return my
    ? [`${create}, INDEX (${q(dialect, 'answered_at')}, ${q(dialect, 'event_id')})) CHARACTER SET utf8mb4`]
    : [`${create})`, `CREATE INDEX IF NOT EXISTS ${q(dialect, `${table}_answered`)} ON ${q(dialect, table)} (${q(dialect, 'answered_at')}, ${q(dialect, 'event_id')})`];
}

/** One row of an exchange table, values in the order of `DELIVERY_COLUMNS` (without delivered_at) then `columns`. */
export function exchangeRow(e: DeliveryEvent, columns: ExchangeColumn[]): Array<string | number | null> {
  const status = typeof e.record.status === 'string' ? e.record.status : null;
  const row: Array<string | number | null> = [e.recordId, e.eventId, e.version, e.type === 'record.retracted' ? 'retract' : 'upsert', status, e.occurredAt || null];
  for (const c of columns) {
    const text = cellAt(e.record, c.path);
    row.push(text === '' ? null : text);
  }
  return row;
}

/** The delivery columns that are not text in a PostgreSQL exchange table (createExchangeTableSql). */
const POSTGRES_CASTS: Record<string, string> = { record_id: '::uuid', event_id: '::uuid', version: '::integer' };

/**
 * Rows into an exchange table, each keyed by record_id and kept only when newer — a higher version, or
 * the same version under another event id (an operator's re-delivery queues a record's event again
 * under a new id): a row delivered again (the same event id) or an older version changes nothing,
 * delivered_at included.
 */
export function upsertStatement(dialect: Dialect, table: string, columns: ExchangeColumn[], rows: Array<Array<string | number | null>>): Statement {
  const names = [...DELIVERY_COLUMNS.filter((c) => c !== 'delivered_at'), ...columns.map((c) => c.name)];
  const quoted = names.map((n) => q(dialect, n));
  const t = q(dialect, table);
  if (dialect === 'postgres') {
    // the rows as one JSON array of arrays (one parameter, parsed by PostgreSQL once, as jsonb): a VALUES list
    // of a parameter per cell cost more to build, send and plan than the insert itself
    const values = names.map((name, i) => `(r ->> ${i})${POSTGRES_CASTS[name] ?? ''}`).join(', ');
    const set = [...names.filter((c) => c !== 'record_id').map((c) => `${q(dialect, c)} = EXCLUDED.${q(dialect, c)}`), `${q(dialect, 'delivered_at')} = now()`];
    return {
      sql: `INSERT INTO ${t} (${quoted.join(', ')}) SELECT ${values} FROM jsonb_array_elements($1::jsonb) AS r ON CONFLICT (${q(dialect, 'record_id')}) DO UPDATE SET ${set.join(', ')} WHERE ${t}.${q(dialect, 'version')} < EXCLUDED.${q(dialect, 'version')} OR (${t}.${q(dialect, 'version')} = EXCLUDED.${q(dialect, 'version')} AND ${t}.${q(dialect, 'event_id')} <> EXCLUDED.${q(dialect, 'event_id')})`,
      params: [JSON.stringify(rows)],
    };
  }
  // MySQL evaluates the assignments left to right, each condition seeing the columns set before it:
  // version and then event_id, which the condition reads, are set last (after version is set, the
  // condition still holds for event_id exactly when the row was newer)
  const v = q(dialect, 'version');
  const e = q(dialect, 'event_id');
  const newer = `(VALUES(${v}) > ${v} OR (VALUES(${v}) = ${v} AND VALUES(${e}) <> ${e}))`;
  const set = [
    ...names.filter((c) => c !== 'record_id' && c !== 'version' && c !== 'event_id').map((c) => `${q(dialect, c)} = IF(${newer}, VALUES(${q(dialect, c)}), ${q(dialect, c)})`),
    `${q(dialect, 'delivered_at')} = IF(${newer}, CURRENT_TIMESTAMP(6), ${q(dialect, 'delivered_at')})`,
    `${v} = IF(${newer}, VALUES(${v}), ${v})`,
    `${e} = IF(${newer}, VALUES(${e}), ${e})`,
  ];
  const values = rows.map((r) => `(${r.map(() => '?').join(', ')})`).join(', ');
  return { sql: `INSERT INTO ${t} (${quoted.join(', ')}) VALUES ${values} ON DUPLICATE KEY UPDATE ${set.join(', ')}`, params: rows.flat() };
}

export interface FeedbackRow {
  event_id: string;
  outcome: string;
  reason: string | null;
  field: string | null;
  /** exactly as the database gave it (text): the cursor goes back as it came */
  answered_at: string;
  /** how old the answer is by the database's clock */
  age_ms: number | string;
}

/**
 * The answers after the cursor (answered_at, event_id), oldest first, that are at least `settleMs`
 * old by the database's clock (an answer committed late with an earlier time is not passed by).
 * Compared and ordered on the columns themselves (`f.`: an unqualified name in ORDER BY is the output
 * column, text), so the (answered_at, event_id) index finds the cursor and gives the order: read as
 * text, each page sorted every answer after the cursor — a backlog of 185,000 answers took 70 ms a page.
 */
export function feedbackPageStatement(dialect: Dialect, table: string, after: { answeredAt: string; eventId: string } | null, settleMs: number, limit: number): Statement {
  const c = (n: string) => `f.${q(dialect, n)}`;
  if (dialect === 'postgres') {
    // the cursor's event id takes the column's type (uuid, or the text type a platform chose)
    const [afterCursor, params] = after ? [`(${c('answered_at')}, ${c('event_id')}) > ($3::timestamptz, $4) AND`, [after.answeredAt, after.eventId]] : ['', []];
    return {
      sql: `SELECT ${c('event_id')}::text AS event_id, ${c('outcome')} AS outcome, ${c('reason')} AS reason, ${c('field')} AS field,
              ${c('answered_at')}::text AS answered_at, (EXTRACT(EPOCH FROM now() - ${c('answered_at')}) * 1000)::float8 AS age_ms
         FROM ${q(dialect, table)} AS f
        WHERE ${afterCursor} ${c('answered_at')} <= now() - make_interval(secs => $1::float8 / 1000)
        ORDER BY ${c('answered_at')}, ${c('event_id')} LIMIT $2`,
      params: [settleMs, limit, ...params],
    };
  }
  // the row comparison written out, so that MariaDB seeks the index to the cursor
  const [afterCursor, params] = after
    ? [`${c('answered_at')} >= ? AND (${c('answered_at')} > ? OR ${c('event_id')} > ?) AND`, [after.answeredAt, after.answeredAt, after.eventId]]
    : ['', []];
  return {
    sql: `SELECT ${c('event_id')} AS event_id, ${c('outcome')} AS outcome, ${c('reason')} AS reason, ${c('field')} AS field,
            CAST(${c('answered_at')} AS CHAR) AS answered_at, TIMESTAMPDIFF(MICROSECOND, ${c('answered_at')}, NOW(6)) / 1000 AS age_ms
       FROM ${q(dialect, table)} AS f
      WHERE ${afterCursor} ${c('answered_at')} <= NOW(6) - INTERVAL ? MICROSECOND
      ORDER BY ${c('answered_at')}, ${c('event_id')} LIMIT ?`,
    params: [...params, settleMs * 1000, limit],
  };
}

/**
 * What the statements reading a platform's feedback (feedbackPageStatement, rowsOfEventsStatement) run
 * under, each in a transaction of its own. PostgreSQL: sorts and sequential scans priced out. The platform's tables grow faster than
 * autovacuum analyses them, and answers newer than the statistics' newest look rare: in bench:deliver,
 * with 58,000 answers after the cursor PostgreSQL expected 756, read them all and sorted them for every
 * page (75 ms), with the index that gives the order at hand (under 1 ms). Neither statement needs a
 * sort, and each has an index to use.
 */
export function readerSettings(dialect: Dialect): string[] {
  return dialect === 'postgres' ? ['SET LOCAL enable_sort = off', 'SET LOCAL enable_seqscan = off'] : [];
}

/** The rows of these events in an exchange table: event_id, record_id, version. */
export function rowsOfEventsStatement(dialect: Dialect, table: string, eventIds: string[]): Statement {
  const c = (n: string) => q(dialect, n);
  if (dialect === 'postgres') {
    return {
      // `= ANY($1)`: the ids take the column's type, and its unique index finds them (as text, every row was read)
      sql: `SELECT ${c('event_id')}::text AS event_id, ${c('record_id')}::text AS record_id, ${c('version')} AS version FROM ${c(table)} WHERE ${c('event_id')} = ANY($1)`,
      params: [eventIds],
    };
  }
  return {
    sql: `SELECT ${c('event_id')} AS event_id, ${c('record_id')} AS record_id, ${c('version')} AS version FROM ${c(table)} WHERE ${c('event_id')} IN (${eventIds.map(() => '?').join(', ')})`,
    params: eventIds,
  };
}
