/**
 * PostgreSQL failing under a running gateway process: its connections ended in the middle of a
 * transaction, a lock held so every statement waits, the server killed and started again, and the
 * embedded server killed (the gateway starts it again). In every case the process stays up, the
 * requests in flight get 503 GW_STORE_UNAVAILABLE within a bounded time, nothing acknowledged is
 * lost, and the gateway serves again as soon as PostgreSQL does.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/dev/embedded-postgres.js';
import { freePort, spawnGateway, writeConfigFile, type ChildGateway } from '../../src/dev/child-gateway.js';
import { createTestDatabase, kafkaBrokers, testDestinations, uniqueName } from '../support/env.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { observeFor } from '../support/wait.js';

/** the change-feed lock every record write takes (src/store/records-repo.ts): holding it makes writers wait inside their transaction */
const FEED_LOCK = 724_100_002;

let child: ChildGateway | undefined;
const dataDirs: string[] = [];

afterEach(() => {
  child?.proc.kill('SIGKILL');
  child = undefined;
});

afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * A data directory for a PostgreSQL server of the test's own. Run as root, embedded-postgres runs the
 * server as the `postgres` user, which must be able to reach the directory: so not under the test
 * run's private scratch root.
 */
function pgDataDir(): string {
  const base = mkdtempSync(join(tmpdir(), 'gw-faults-pg-'));
  chmodSync(base, 0o755);
  dataDirs.push(base);
  return join(base, 'data');
}

function gatewayConfig(extra: Record<string, unknown> = {}): string {
  return writeConfigFile({
    destinations: testDestinations(uniqueName('faults')),
    monitoring: { alertsTopic: `test.${uniqueName('alerts')}.v1`, detectorEnabled: false },
    lifecycle: { expiryEnabled: false },
    relay: { idleIntervalMs: 50, maxBackoffMs: 2000 },
    auth: { enabled: false },
    log: { level: 'warn' },
    ...extra,
  });
}

let batchNo = 0;
function push(url: string, n = 3): Promise<Response> {
  const base = 900_000 + 100 * batchNo++;
  const records = Array.from({ length: n }, (_, i) => sampleRecordInput('admin_penalty', base + i));
  return fetch(`${url}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
}

async function problemCode(res: Response): Promise<string> {
  return ((await res.json()) as { code: string }).code;
}

async function count(pool: pg.Pool, sql: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(sql);
  return rows[0]!.n;
}

/** Holds the change-feed lock in an open transaction on a connection of its own until release(). */
async function holdFeedLock(url: string): Promise<{ release(): Promise<void> }> {
  const holder = new pg.Client({ connectionString: url });
  holder.on('error', () => undefined);
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query('SELECT pg_advisory_xact_lock($1)', [FEED_LOCK]);
  return {
    release: async () => {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end().catch(() => undefined);
    },
  };
}

/** Waits until `n` gateway backends wait for a lock (their request is inside its transaction). */
async function waitForWaitingWriters(pool: pg.Pool, n: number): Promise<void> {
  await expect.poll(() => count(pool, `SELECT count(*)::int AS n FROM pg_stat_activity
     WHERE datname = current_database() AND application_name = 'credit-gateway' AND wait_event_type = 'Lock'`), { timeout: 10_000 }).toBeGreaterThanOrEqual(n);
}

const readiness = async (url: string) => (await fetch(`${url}/readyz`).catch(() => null))?.status ?? 0;

describe('on the machine PostgreSQL (a database of its own)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pool.on('error', () => undefined);
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('connections ended in the middle of a transaction: the request gets 503, the process stays up and serves again', async () => {
    child = await spawnGateway({ databaseUrl: db.url, brokers: kafkaBrokers(), configFile: gatewayConfig() });
    expect((await push(child.url)).status).toBe(200);
    const acknowledged = await count(pool, 'SELECT count(*)::int AS n FROM records');

    const lock = await holdFeedLock(db.url);
    const inFlight = push(child.url);
    await waitForWaitingWriters(pool, 1);
    await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND application_name LIKE 'credit-gateway%'`);
    const answer = await inFlight;
    expect(answer.status).toBe(503);
    expect(await problemCode(answer)).toBe('GW_STORE_UNAVAILABLE');
    expect(answer.headers.get('retry-after')).toBe('5');
    await lock.release();

    // An unhandled 'error' event of an ended connection would end the process a moment after the
    // answer, and nothing signals that it will not: watch the process for a bounded window instead,
    // failing as soon as it has died or reported an uncaught error.
    await observeFor(500, () => {
      expect(child!.proc.exitCode, child!.output()).toBeNull();
      expect(child!.output()).not.toMatch(/Unhandled 'error' event|uncaught/i);
    });
    await expect.poll(async () => (await push(child!.url)).status, { timeout: 15_000 }).toBe(200);
    expect(await count(pool, 'SELECT count(*)::int AS n FROM records')).toBeGreaterThanOrEqual(acknowledged + 3);
  });

  it('a held lock: every request answers 503 within the statement and connection timeouts instead of piling up', async () => {
    child = await spawnGateway({
      databaseUrl: db.url,
      brokers: kafkaBrokers(),
      configFile: gatewayConfig({ store: { statementTimeoutMs: 1500, connectionTimeoutMs: 1000, poolMax: 2 } }),
    });
    const lock = await holdFeedLock(db.url);
    try {
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 8 }, async () => {
        const res = await push(child!.url);
        return { status: res.status, code: await problemCode(res), ms: Date.now() - started };
      }));
      for (const a of answers) {
        expect(a.status).toBe(503);
        expect(a.code).toBe('GW_STORE_UNAVAILABLE');
      }
      // 1.5 s waiting on the lock, or 1 s waiting for one of the two connections, plus the machine's slack
      expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(4000);
    } finally {
      await lock.release();
    }
    expect((await push(child.url)).status).toBe(200);
    expect(child.proc.exitCode).toBeNull();
  });
});

describe('on a PostgreSQL server of its own', () => {
  it('the server killed during a batch and started again: 503 meanwhile, nothing acknowledged lost, serving again after', async () => {
    const dataDir = pgDataDir();
    const cfg = { dataDir, port: await freePort(), user: 'gateway', password: 'gateway', database: 'gateway' };
    let server: EmbeddedServer = await startEmbeddedPostgres(cfg);
    const url = server.url;
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pool.on('error', () => undefined);
    try {
      child = await spawnGateway({ databaseUrl: url, brokers: kafkaBrokers(), configFile: gatewayConfig() });
      for (let i = 0; i < 3; i++) expect((await push(child.url, 10)).status).toBe(200);

      const lock = await holdFeedLock(url);
      const inFlight = push(child.url);
      await waitForWaitingWriters(pool, 1);
      const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(postmaster, 'SIGKILL');
      const answer = await inFlight;
      expect(answer.status).toBe(503);
      expect(await problemCode(answer)).toBe('GW_STORE_UNAVAILABLE');
      await lock.release();
      await expect.poll(() => readiness(child!.url), { timeout: 10_000 }).toBe(503);
      const refused = await push(child.url);
      expect(refused.status).toBe(503);

      // the killed server's backends hold its shared memory for a moment: try until it starts
      await expect.poll(async () => {
        try {
          server = await startEmbeddedPostgres(cfg);
          return true;
        } catch {
          return false;
        }
      }, { timeout: 30_000, interval: 500 }).toBe(true);
      await expect.poll(async () => (await push(child!.url)).status, { timeout: 20_000 }).toBe(200);
      expect(child.proc.exitCode).toBeNull();
      // the 30 acknowledged before the kill and the 3 of the one push that succeeded after: none of the refused ones
      expect(await count(pool, 'SELECT count(*)::int AS n FROM records')).toBe(33);
    } finally {
      child?.proc.kill('SIGKILL');
      await pool.end();
      await server.stop();
    }
  });

  it('the embedded PostgreSQL killed: the gateway starts it again and serves', async () => {
    const dataDir = pgDataDir();
    const port = await freePort();
    child = await spawnGateway({
      databaseUrl: null,
      brokers: kafkaBrokers(),
      configFile: gatewayConfig({ store: { embedded: { dataDir, port, user: 'gateway', password: 'gateway', database: 'gateway' } } }),
    });
    expect((await push(child.url)).status).toBe(200);
    const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGKILL');
    await expect.poll(() => readiness(child!.url), { timeout: 10_000 }).toBe(503);
    await expect.poll(async () => (await push(child!.url)).status, { timeout: 40_000, interval: 500 }).toBe(200);
    expect(child.proc.exitCode).toBeNull();
    expect(child.output()).toContain('embedded PostgreSQL started again');
    const newPid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(newPid).not.toBe(postmaster);
    // the gateway stops the server it started when it stops
    child.proc.kill('SIGTERM');
    await child.exited;
  });
});
