/**
 * Brings up what the tests need, on a fresh machine too: the local Kafka broker (scripts/kafka.sh;
 * reused when already running, else started and stopped again at the end) and a PostgreSQL server —
 * TEST_DATABASE_URL / DATABASE_URL when set, else the machine's server on 127.0.0.1:5432, else an
 * embedded one under data/test-pg; and a MariaDB server for the exchange-database sources —
 * TEST_MARIADB_URL, else the machine's on 127.0.0.1:3306, else a private one of the machine's mariadbd
 * under data/test-mariadb (src/dev/local-mariadb.ts), stopped again at the end.
 * Each test file then creates its own databases on those servers (test/support/env.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/dev/embedded-postgres.js';
import { startLocalBroker, stopLocalBroker } from '../../src/dev/local-broker.js';
import { findOrStartMariaDb, type LocalMariaDb } from '../../src/dev/local-mariadb.js';
import { SCRATCH_ROOT_ENV } from '../../src/dev/scratch-dir.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    kafkaBrokers: string[];
    /** the MariaDB admin URL, or '' when none could be found or started (mariadbError says why) */
    mariadbAdminUrl: string;
    mariadbError: string;
  }
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // test files run in forked workers that are killed, not exited: their scratch directories live under
  // one root that the teardown removes (src/dev/scratch-dir.ts)
  const scratchRoot = mkdtempSync(join(tmpdir(), 'gw-test-run-'));
  process.env[SCRATCH_ROOT_ENV] = scratchRoot;
  const broker = startLocalBroker();
  // only the exchange-database tests need MariaDB: when it cannot be had, they fail with the reason, the rest run
  const mariadb: Promise<LocalMariaDb | Error> = findOrStartMariaDb().catch((err: unknown) => err as Error);
  let stopEmbedded: (() => Promise<void>) | undefined;
  let adminUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  if (!(await reachable(adminUrl))) {
    const embedded = await startEmbeddedPostgres({ dataDir: './data/test-pg', port: 54330, user: 'postgres', password: 'postgres', database: 'postgres' });
    adminUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const { brokers, startedByUs } = await broker;
  project.provide('pgAdminUrl', adminUrl);
  project.provide('kafkaBrokers', brokers);
  const maria = await mariadb;
  project.provide('mariadbAdminUrl', maria instanceof Error ? '' : maria.url);
  project.provide('mariadbError', maria instanceof Error ? maria.message : '');
  return async () => {
    if (!(maria instanceof Error)) await maria.stop?.();
    // a broker the run started is stopped again (its data stays in ./data/kafka); one that was already running keeps running
    if (startedByUs) await stopLocalBroker();
    await stopEmbedded?.();
    rmSync(scratchRoot, { recursive: true, force: true });
  };
}
