/** Opens the PostgreSQL pool (store.databaseUrl / DATABASE_URL) and brings the schema up to date. */
import pg from 'pg';
import type { Config } from '../config/load.js';
import { migrate } from './migrate.js';
import { SILENT_STORE_LOG, type StoreLog } from './store-log.js';

// bigint (int8) columns such as change_seq and outbox ids come back as JS numbers: they stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

/** What a repository function runs its statements on: the pool, a pooled client, or a transaction's client. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

export interface Database {
  pool: pg.Pool;
  url: string;
  close(): Promise<void>;
}

/** A pool on the gateway's database with its connection settings (the relay's thread opens its own). */
export function createPool(url: string, config: Config, opts: { max: number; applicationName: string }, log: StoreLog): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max,
    // a statement waiting longer (on a lock, on slow storage) is cancelled: the request gets a 503
    statement_timeout: config.store.statementTimeoutMs,
    // a request waiting longer for a free connection (PostgreSQL down or every connection busy) gets a 503
    connectionTimeoutMillis: config.store.connectionTimeoutMs,
    application_name: opts.applicationName,
    options: sessionOptions(config.store),
  });
  return guardPool(pool, log);
}

/**
 * The planner settings of every gateway connection (the plan tests plan with them too). Short OLTP
 * statements: JIT compilation only adds latency (it cost 0.6 s on the report query). Random reads
 * priced for cached or solid-state storage (store.randomPageCost): at PostgreSQL's default of 4, a
 * batch's 500 lookups by key read the whole records and subjects tables while they hold fewer than
 * about 100,000 rows.
 */
export function sessionOptions(store: Pick<Config['store'], 'randomPageCost'>): string {
  return `-c jit=off -c random_page_cost=${store.randomPageCost}`;
}

/**
 * A lost connection must never end the process. pg emits `error` on a client whose connection dies —
 * on the pool for idle clients, on the client itself for one that is checked out (in a transaction,
 * say); with no listener, Node turns that event into an uncaught exception. Every client of the pool
 * gets a listener from its first connect; the query it was running rejects anyway, so the request
 * fails with GW_STORE_UNAVAILABLE and the pool drops the broken client.
 */
export function guardPool(pool: pg.Pool, log: StoreLog): pg.Pool {
  pool.on('error', (err) => log.warn(`postgres pool error: ${err.message}`));
  pool.on('connect', (client) => {
    client.on('error', (err) => log.warn(`postgres connection lost: ${err.message}`));
  });
  return pool;
}

/** SQLSTATE classes and codes, and Node socket errors, that mean the store is unreachable, restarting, overloaded or too slow. */
const UNAVAILABLE_CLASSES = ['08', '53', '57P'];
const UNAVAILABLE_CODES = new Set(['57014' /* statement_timeout */, '55P03' /* lock_not_available */, 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed|Cannot use a pool after calling end/;

/**
 * True when `err` says PostgreSQL could not do the work right now — not that the request was wrong:
 * the caller answers 503 GW_STORE_UNAVAILABLE and may try again later.
 */
export function isStoreUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.some((c) => code.startsWith(c)))) return true;
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message);
}

export async function openDatabase(url: string, config: Config, log: StoreLog = SILENT_STORE_LOG): Promise<Database> {
  const pool = createPool(url, config, { max: config.store.poolMax, applicationName: 'credit-gateway' }, log);
  await migrate(pool);
  return { pool, url, close: () => pool.end() };
}

/** Whether PostgreSQL answers a trivial statement now (for /readyz). */
export async function databaseAnswers(db: Queryable): Promise<boolean> {
  try {
    await db.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}

const DEADLOCK_DETECTED = '40P01';
const ATTEMPTS_ON_DEADLOCK = 3;

/**
 * Runs `attempt` again when PostgreSQL aborted it to break a deadlock (it must only touch the
 * database), up to three attempts in all.
 */
export async function retryingDeadlock<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if ((err as { code?: string }).code !== DEADLOCK_DETECTED || n >= ATTEMPTS_ON_DEADLOCK) throw err;
    }
  }
}

/**
 * Runs fn in one transaction on one pooled client; `begin` may name the isolation level and access
 * mode. A transaction aborted to break a deadlock is run again (retryingDeadlock).
 */
export function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  return retryingDeadlock(async () => {
    const client = await pool.connect();
    try {
      await client.query(begin);
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  });
}
