/** Opens the PostgreSQL pool (DATABASE_URL, or the embedded server) and brings the schema up to date. */
import pg from 'pg';
import type { Config } from '../config/load.js';
import { startEmbeddedPostgres } from './embedded.js';
import { migrate } from './migrate.js';

// bigint (int8) columns such as change_seq and outbox ids come back as JS numbers: they stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export interface Database {
  pool: pg.Pool;
  url: string;
  close(): Promise<void>;
}

/** A pool on the gateway's database with its connection settings (the relay's thread opens its own). */
export function createPool(url: string, config: Config, opts: { max: number; applicationName: string }, log: (msg: string) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max,
    statement_timeout: config.store.statementTimeoutMs,
    connectionTimeoutMillis: 10_000,
    application_name: opts.applicationName,
    // Short OLTP statements: JIT compilation only adds latency (it cost 0.6 s on the report query).
    options: '-c jit=off',
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (err) => log(`postgres pool error: ${err.message}`));
  return pool;
}

export async function openDatabase(config: Config, log: (msg: string) => void = () => undefined): Promise<Database> {
  const embedded = config.store.databaseUrl ? undefined : await startEmbeddedPostgres(config.store.embedded, log);
  const url = config.store.databaseUrl ?? embedded!.url;
  const pool = createPool(url, config, { max: config.store.poolMax, applicationName: 'credit-gateway' }, log);
  await migrate(pool);
  return {
    pool,
    url,
    close: async () => {
      await pool.end();
      await embedded?.stop();
    },
  };
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
