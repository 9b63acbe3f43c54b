/**
 * Every statement the exchange-database connector runs against a department's database, in the two
 * dialects it speaks: PostgreSQL and MySQL/MariaDB. Identifiers come from the configuration, are checked
 * here once more and quoted; values are always parameters. Reading pages in (cursor column, key columns)
 * order with a row-value comparison, so rows with the same update time are never cut apart by a page
 * boundary; the rows that cannot be placed in that order (a NULL key or cursor value); the table's
 * columns; and the one kind of write it makes: a row's verdict, into the feedback columns or table.
 */

export type Dialect = 'postgres' | 'mysql';

/** A statement and its parameters. */
export interface Statement {
  sql: string;
  params: unknown[];
}

/** What the page statements need to know of the table (from the instance's exchangeDb). */
export interface TableShape {
  table: string;
  key: readonly string[];
  cursor: { column: string; kind: 'time' | 'sequence'; settleSeconds: number };
}

export interface FeedbackShape {
  /** the feedback table, or absent: the exchange table's own columns */
  table?: string;
  status: string;
  message: string;
  at?: string;
}

const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_$]{0,62}$/u;

/** An identifier quoted for the dialect; anything but a plain name is refused (it came from config, but SQL is not the place to trust it). */
export function quoteIdentifier(dialect: Dialect, name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a plain SQL identifier: ${JSON.stringify(name)}`);
  return dialect === 'postgres' ? `"${name}"` : `\`${name}\``;
}

/** `table` or `schema.table`, quoted part by part. */
export function quoteTable(dialect: Dialect, name: string): string {
  const [schema, table] = splitTable(name);
  return schema === null ? quoteIdentifier(dialect, table) : `${quoteIdentifier(dialect, schema)}.${quoteIdentifier(dialect, table)}`;
}

/** [schema or null, table] */
export function splitTable(name: string): [string | null, string] {
  const parts = name.split('.');
  if (parts.length === 1) return [null, parts[0]!];
  if (parts.length === 2) return [parts[0]!, parts[1]!];
  throw new Error(`not a table name (table or schema.table): ${JSON.stringify(name)}`);
}

/** The n-th parameter's placeholder (1-based). */
function param(dialect: Dialect, n: number): string {
  return dialect === 'postgres' ? `$${n}` : '?';
}

/**
 * The next page: rows after `after` (a cursor value and the key values of the last row read) in
 * (cursor, key…) order, at most `limit`. Rows with a NULL cursor or key value are not in this order
 * (nullRowsStatement reads them). A time cursor with settleSeconds leaves the newest rows for the next run.
 */
export function pageStatement(dialect: Dialect, shape: TableShape, after: { at: string; key: unknown[] } | null, limit: number): Statement {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`page size must be a positive integer, got ${limit}`);
  const q = (c: string) => quoteIdentifier(dialect, c);
  const order = [shape.cursor.column, ...shape.key].map(q);
  const where = order.map((c) => `${c} IS NOT NULL`);
  const params: unknown[] = [];
  if (after) {
    params.push(after.at, ...after.key);
    where.push(`(${order.join(', ')}) > (${params.map((_, i) => param(dialect, i + 1)).join(', ')})`);
  }
  if (shape.cursor.kind === 'time' && shape.cursor.settleSeconds > 0) {
    params.push(shape.cursor.settleSeconds);
    const n = param(dialect, params.length);
    where.push(dialect === 'postgres'
      ? `${order[0]} <= statement_timestamp() - make_interval(secs => ${n}::int)`
      : `${order[0]} <= NOW(6) - INTERVAL ${n} SECOND`);
  }
  return { sql: `SELECT * FROM ${quoteTable(dialect, shape.table)} WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ${limit}`, params };
}

/** Rows that cannot take a place in the cursor order (a NULL cursor or key value), at most `limit`: each is quarantined. */
export function nullRowsStatement(dialect: Dialect, shape: TableShape, limit: number): Statement {
  const order = [shape.cursor.column, ...shape.key].map((c) => quoteIdentifier(dialect, c));
  return { sql: `SELECT * FROM ${quoteTable(dialect, shape.table)} WHERE ${order.map((c) => `${c} IS NULL`).join(' OR ')} LIMIT ${limit}`, params: [] };
}

/** The table's columns as the database spells them (none: no such table, or none this account may see). */
export function columnsStatement(dialect: Dialect, table: string): Statement {
  const [schema, name] = splitTable(table);
  return dialect === 'postgres'
    ? { sql: 'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = coalesce($1, current_schema()) AND table_name = $2', params: [schema, name] }
    : { sql: 'SELECT COLUMN_NAME AS name FROM information_schema.columns WHERE table_schema = coalesce(?, DATABASE()) AND table_name = ?', params: [schema, name] };
}

/** One verdict to write back: the row's key values, its status and message. */
export interface VerdictRow {
  key: unknown[];
  status: string;
  message: string;
}

/**
 * A verdict into the exchange table's own feedback columns, only when it differs from what is there
 * (so a department's trigger that moves the update time on every change does not make the row come back
 * for ever). On MySQL the cursor column is assigned its own value, so an `ON UPDATE CURRENT_TIMESTAMP`
 * column keeps its time.
 */
export function feedbackColumnStatement(dialect: Dialect, shape: TableShape, fb: FeedbackShape, v: VerdictRow): Statement {
  const q = (c: string) => quoteIdentifier(dialect, c);
  const p = (n: number) => param(dialect, n);
  const sets = [`${q(fb.status)} = ${p(1)}`, `${q(fb.message)} = ${p(2)}`];
  if (fb.at) sets.push(`${q(fb.at)} = CURRENT_TIMESTAMP`);
  if (dialect === 'mysql') sets.push(`${q(shape.cursor.column)} = ${q(shape.cursor.column)}`);
  const keys = shape.key.map((k, i) => `${q(k)} = ${p(3 + i)}`);
  const differs = dialect === 'postgres'
    ? `(${q(fb.status)} IS DISTINCT FROM $1 OR ${q(fb.message)} IS DISTINCT FROM $2)`
    : `NOT (${q(fb.status)} <=> ? AND ${q(fb.message)} <=> ?)`;
  const params = dialect === 'postgres' ? [v.status, v.message, ...v.key] : [v.status, v.message, ...v.key, v.status, v.message];
  return { sql: `UPDATE ${quoteTable(dialect, shape.table)} SET ${sets.join(', ')} WHERE ${keys.join(' AND ')} AND ${differs}`, params };
}

/**
 * Verdicts into a feedback table keyed by the exchange table's key columns (it needs a primary or
 * unique key on them): inserted, or updated when they differ. One statement for a whole page.
 */
export function feedbackTableStatement(dialect: Dialect, shape: TableShape, fb: FeedbackShape & { table: string }, verdicts: VerdictRow[]): Statement {
  const q = (c: string) => quoteIdentifier(dialect, c);
  const columns = [...shape.key, fb.status, fb.message].map(q);
  const params: unknown[] = [];
  const tuples = verdicts.map((v) => {
    const values = [...v.key, v.status, v.message].map((value) => {
      params.push(value);
      return param(dialect, params.length);
    });
    return `(${values.join(', ')}${fb.at ? ', CURRENT_TIMESTAMP' : ''})`;
  });
  const insert = `INSERT INTO ${quoteTable(dialect, fb.table)}${dialect === 'postgres' ? ' AS t' : ''} (${columns.join(', ')}${fb.at ? `, ${q(fb.at)}` : ''}) VALUES ${tuples.join(', ')}`;
  const updated = [fb.status, fb.message, ...(fb.at ? [fb.at] : [])].map(q);
  if (dialect === 'postgres') {
    const target = 't';
    const sets = updated.map((c) => `${c} = EXCLUDED.${c}`).join(', ');
    const differs = `(${target}.${q(fb.status)}, ${target}.${q(fb.message)}) IS DISTINCT FROM (EXCLUDED.${q(fb.status)}, EXCLUDED.${q(fb.message)})`;
    return { sql: `${insert} ON CONFLICT (${shape.key.map(q).join(', ')}) DO UPDATE SET ${sets} WHERE ${differs}`, params };
  }
  return { sql: `${insert} ON DUPLICATE KEY UPDATE ${updated.map((c) => `${c} = VALUES(${c})`).join(', ')}`, params };
}
