/**
 * A connection to a department's exchange database: PostgreSQL (pg) or MySQL/MariaDB (mysql2), with a
 * connect timeout, a statement timeout set on the session (and a client-side one behind it), and — for
 * the reading connection — a read-only session, so nothing the connector reads with can write. Values
 * come back as text (PostgreSQL) or as the driver's strings for dates and decimals (MySQL): a cursor
 * value goes back to the database exactly as it came, with no rounding through a JavaScript Date.
 * Errors name the database by host, port and name, never with the URL's password.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Dialect, Statement } from './source-query.js';

export interface SessionOptions {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  /** the session may not write (the reading connection) */
  readOnly: boolean;
}

export interface SourceSession {
  dialect: Dialect;
  /** host:port/database, for messages */
  where: string;
  rows(statement: Statement): Promise<Array<Record<string, unknown>>>;
  /** a write; returns the rows it changed */
  execute(statement: Statement): Promise<number>;
  close(): Promise<void>;
}

/** A failure of the exchange database (connecting, a statement, a timeout), with a message fit for the run history. */
export class ExchangeDbError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExchangeDbError';
  }
}

export function dialectOf(url: string): Dialect {
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  if (scheme === 'mysql' || scheme === 'mariadb') return 'mysql';
  throw new ExchangeDbError(`the exchange database URL must start with postgres://, postgresql://, mysql:// or mariadb://, not ${scheme}://`);
}

/** host:port/database of a URL (no user, no password). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (dialectOf(url) === 'postgres' ? '5432' : '3306')}${u.pathname}`;
  } catch {
    return '(unreadable URL)';
  }
}

export async function openSession(url: string, opts: SessionOptions): Promise<SourceSession> {
  const dialect = dialectOf(url);
  const where = describeUrl(url);
  try {
    return dialect === 'postgres' ? await openPostgres(url, where, opts) : await openMysql(url, where, opts);
  } catch (err) {
    if (err instanceof ExchangeDbError) throw err;
    throw new ExchangeDbError(`exchange database ${where}: cannot connect: ${reasonOf(err)}`, { cause: err });
  }
}

function reasonOf(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: Array<{ message?: string }> };
  const message = e.message || e.errors?.map((x) => x.message).join('; ') || String(err);
  return e.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
}

/** A statement's failure, with the timeout said plainly. */
function statementError(where: string, opts: SessionOptions, err: unknown): ExchangeDbError {
  const e = err as { code?: string; errno?: number; message?: string };
  const timedOut = e.code === '57014' || e.errno === 1969 || e.errno === 3024 || e.code === 'PROTOCOL_SEQUENCE_TIMEOUT' || /Query read timeout/.test(e.message ?? ''); // pg's query_timeout
  return new ExchangeDbError(
    timedOut
      ? `exchange database ${where}: a statement ran longer than statementTimeoutMs ${opts.statementTimeoutMs} ms and was cancelled`
      : `exchange database ${where}: ${reasonOf(err)}`,
    { cause: err },
  );
}

async function openPostgres(url: string, where: string, opts: SessionOptions): Promise<SourceSession> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    statement_timeout: opts.statementTimeoutMs,
    query_timeout: opts.statementTimeoutMs + 5000,
    application_name: 'credit-gateway-exchange-db',
    // every value as the text PostgreSQL sends: timestamps keep their microseconds, numerics their digits
    types: { getTypeParser: () => (value: string) => value },
  });
  client.on('error', () => undefined); // a connection lost between statements fails the next statement
  await client.connect();
  if (opts.readOnly) await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
  const run = async (s: Statement) => {
    try {
      return await client.query(s.sql, s.params);
    } catch (err) {
      throw statementError(where, opts, err);
    }
  };
  return {
    dialect: 'postgres',
    where,
    rows: async (s) => (await run(s)).rows as Array<Record<string, unknown>>,
    execute: async (s) => (await run(s)).rowCount ?? 0,
    close: () => client.end(),
  };
}

async function openMysql(url: string, where: string, opts: SessionOptions): Promise<SourceSession> {
  const conn = await mysql.createConnection({
    uri: url.replace(/^mariadb:/i, 'mysql:'),
    connectTimeout: opts.connectTimeoutMs,
    charset: 'utf8mb4',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  conn.on('error', () => undefined);
  const [versionRows] = await conn.query('SELECT VERSION() AS v');
  const mariadb = /mariadb/i.test(String((versionRows as Array<{ v: string }>)[0]?.v));
  // MariaDB cancels any statement after max_statement_time (seconds); MySQL a SELECT after max_execution_time (ms)
  if (mariadb) await conn.query(`SET SESSION max_statement_time = ${(opts.statementTimeoutMs / 1000).toFixed(3)}`);
  else await conn.query(`SET SESSION max_execution_time = ${Math.round(opts.statementTimeoutMs)}`);
  if (opts.readOnly) await conn.query('SET SESSION TRANSACTION READ ONLY');
  const run = async (s: Statement) => {
    try {
      const [result] = await conn.query({ sql: s.sql, values: s.params, timeout: opts.statementTimeoutMs + 5000 });
      return result;
    } catch (err) {
      throw statementError(where, opts, err);
    }
  };
  return {
    dialect: 'mysql',
    where,
    rows: async (s) => (await run(s)) as Array<Record<string, unknown>>,
    execute: async (s) => ((await run(s)) as { affectedRows?: number }).affectedRows ?? 0,
    close: () => conn.end(),
  };
}
