/**
 * A gateway process reading an exchange table (前置库, PostgreSQL) is SIGKILLed in the middle of a
 * multi-page run. After a restart the gateway resumes the run by itself from the committed cursor
 * (the last committed row's update time and key), and every source row is stored exactly once — one
 * record, one version, one event on Kafka — although the rows share a few update times, so page
 * boundaries and the resumption point fall between rows with equal times.
 *
 * The connector reads a view that sleeps a quarter of a second per statement (a STABLE function in its
 * WHERE clause, evaluated once per statement), so the run is surely
 * in the middle of its pages when the kill lands.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { spawnGateway, writeConfigFile, type ChildGateway } from '../../src/dev/child-gateway.js';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import { createTestDatabase, kafkaBrokers, readTopic, testDestinations, uniqueName, waitForOutboxDrained } from '../support/env.js';
import { listRecordEvents } from '../../src/outbox/outbox.js';
import { connectSource, createTableSql, insertRows, penaltyRow, type SourceDb } from '../../src/dev/exchange-tables.js';

const NAME = 'xdb-kill';
const PAGE_SIZE = 10;
const ROWS = 80;
/** the child is killed once this many rows are committed */
const KILL_AFTER_ROWS = 30;
const URL_ENV = 'XDB_KILL_TEST_URL';

let db: ScratchDatabase;
let sourceDb: ScratchDatabase;
let source: SourceDb;
let pool: pg.Pool;
let child: ChildGateway | undefined;
const destinations = testDestinations(uniqueName('xkill'));
const prov = destinations[0]!.topic;

beforeAll(async () => {
  db = await createTestDatabase();
  sourceDb = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  source = await connectSource('postgres', sourceDb.url);
  await source.exec(createTableSql('postgres', { table: 't_xzcf' }));
  // four update times, 20 rows each: every page boundary and the resumption point fall inside a group
  await insertRows(source, 't_xzcf', Array.from({ length: ROWS }, (_, i) => penaltyRow(1000 + i, `2024-06-0${1 + Math.floor(i / 20)} 12:00:00`)));
  await source.exec(`CREATE FUNCTION slow() RETURNS boolean LANGUAGE plpgsql STABLE AS $$ BEGIN PERFORM pg_sleep(0.25); RETURN true; END $$`);
  await source.exec('CREATE VIEW t_xzcf_slow AS SELECT * FROM t_xzcf WHERE slow()');
});

afterAll(async () => {
  child?.proc.kill('SIGKILL');
  await pool?.end();
  await source?.close();
  await sourceDb?.drop();
  await db?.drop();
});

async function state(): Promise<{ cursor: { at: string | null; key: string | null; seen: number } | null; pass: number } | undefined> {
  const { rows } = await pool.query('SELECT cursor, pass FROM connector_state WHERE connector = $1', [NAME]);
  return rows[0];
}

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(sql, params);
  return rows[0]!.n;
}

function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  return vi.waitFor(async () => {
    const v = await probe();
    if (v === undefined) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    return v;
  }, { timeout: timeoutMs, interval: 20 });
}

it('SIGKILL mid-run: the restarted gateway resumes at the committed cursor; every row once, one event per version', async () => {
  const configFile = writeConfigFile({
    destinations, auth: { enabled: false }, log: { level: 'warn' }, relay: { idleIntervalMs: 50 }, lifecycle: { expiryEnabled: false },
    connectors: {
      instances: {
        [NAME]: {
          source: 'shuanggongshi/qzk-xzcf', enabled: true, schedule: null,
          exchangeDb: { urlEnv: URL_ENV, table: 't_xzcf_slow', key: ['XH'], cursor: { column: 'GXSJ' }, pageSize: PAGE_SIZE },
        },
      },
    },
  });
  const env = { [URL_ENV]: sourceDb.url };
  child = await spawnGateway({ databaseUrl: db.url, brokers: kafkaBrokers(), configFile, env });
  const first = child;
  const post = await fetch(`${child.url}/v1/connectors/${NAME}/runs`, { method: 'POST' });
  expect(post.status).toBe(202);
  const killedRunId = ((await post.json()) as { runId: number }).runId;
  await until('the run to commit some pages', async () => ((await state())?.cursor?.seen ?? 0) >= KILL_AFTER_ROWS || undefined, 60_000);
  first.proc.kill('SIGKILL');
  expect(await first.exited).toBe('SIGKILL');

  const afterKill = (await state())!;
  const committed = afterKill.cursor!.seen;
  expect(committed % PAGE_SIZE).toBe(0);
  expect(committed).toBeLessThan(ROWS);
  expect(await count('SELECT count(*)::int AS n FROM records')).toBe(committed);
  // the cursor is the last committed row: its update time and key
  expect(afterKill.cursor).toMatchObject({ key: JSON.stringify([String(1000 + committed - 1)]) });

  child = await spawnGateway({ databaseUrl: db.url, brokers: kafkaBrokers(), configFile, env });
  const runs = await until('the interrupted run to be resumed and finish', async () => {
    const body = (await (await fetch(`${child!.url}/v1/connectors/${NAME}/runs`)).json()) as { runs: Array<Record<string, any>> };
    return body.runs.find((r) => r.trigger === 'startup' && r.state !== 'running') ? body.runs : undefined;
  }, 90_000);
  const killed = runs.find((r) => r.runId === killedRunId)!;
  const resumed = runs.find((r) => r.trigger === 'startup')!;
  expect(killed.state).toBe('abandoned');
  expect(resumed.state).toBe('succeeded');
  expect(resumed.cursorBefore).toMatchObject({ seen: committed });
  expect(resumed).toMatchObject({ pulled: ROWS - committed, created: ROWS - committed, updated: 0, unchanged: 0, rejected: 0 });

  // every row exactly once: one record per source key, one version each
  expect(await count('SELECT count(*)::int AS n FROM records')).toBe(ROWS);
  expect(await count(`SELECT count(DISTINCT envelope->'source'->>'key')::int AS n FROM current_records`)).toBe(ROWS);
  expect(await count('SELECT count(*)::int AS n FROM record_versions')).toBe(ROWS);
  // incremental: the next run starts after the last row
  expect((await state())!.cursor).toMatchObject({ key: JSON.stringify([String(1000 + ROWS - 1)]), seen: 0 });

  expect(await waitForOutboxDrained(pool, 60_000)).toBe(0);
  expect(await listRecordEvents(pool, { destination: destinations[0]!.name })).toHaveLength(ROWS);
  const msgs = await readTopic(prov, { until: (m) => new Set(m.map((x) => x.headers['event-id'])).size >= ROWS, timeoutMs: 60_000, settleMs: 300 });
  const idsByVersion = new Map<string, Set<string>>();
  for (const m of msgs) {
    const k = `${m.headers['record-id']}@${m.headers['record-version']}`;
    idsByVersion.set(k, (idsByVersion.get(k) ?? new Set()).add(m.headers['event-id']!));
  }
  expect(idsByVersion.size).toBe(ROWS);
  for (const [k, ids] of idsByVersion) expect(ids.size, k).toBe(1);
}, 240_000);
