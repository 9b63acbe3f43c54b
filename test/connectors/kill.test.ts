/**
 * A gateway process is SIGKILLed in the middle of a multi-page connector run. After a restart and a
 * new run, every source row is stored exactly once (one record, one version), the cursor is where it
 * should be (first at the first uncommitted page, then at the start of the next pass), the run
 * history shows the killed run abandoned and a later complete run that started where the killed one
 * stopped, and every record version has exactly one upsert event (one event id) in the outbox and on Kafka.
 *
 * The source is court-dishonest/zxgk-shixin (a complete listing) served by the fixture server in the
 * court site's shape — POST form paging by currentPage, 10 rows a page, totalSize — with generated
 * rows in the site's row shape (zxgkRow).
 */
import pg from 'pg';
import { listRecordEvents } from '../../src/outbox/outbox.js';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { FIXTURE_PATHS } from '../../connectors/fixtures-server/fixture-data.js';
import { zxgkRow } from '../../connectors/fixtures-server/generate.js';
import { generatedRows, SOURCE_PAGE_SIZES, startFixtureSources, type FixtureSources } from '../../connectors/fixtures-server/server.js';
import { spawnGateway, writeConfigFile, type ChildGateway } from '../../src/dev/child-gateway.js';
import { createTestDatabase, kafkaBrokers, readTopic, testDestinations, uniqueName, waitForOutboxDrained } from '../support/env.js';

const NAME = 'kill-test';
const SOURCE = 'court-dishonest/zxgk-shixin';
const PATH = FIXTURE_PATHS[SOURCE]!;
/** the court site answers 10 rows a page, whatever is asked */
const PAGE_SIZE = SOURCE_PAGE_SIZES.zxgk;
const PAGES = 8;
const ROWS = PAGE_SIZE * PAGES;
/** the child is killed when the fixture is asked for this page */
const KILL_AT_PAGE = 5;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let src: FixtureSources;
let child: ChildGateway | undefined;
const destinations = testDestinations(uniqueName('ckill'));
const prov = destinations[0]!.topic;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  src = await startFixtureSources();
  src.sets.zxgk = generatedRows(ROWS, (i) => zxgkRow(40_000 + i));
});

afterAll(async () => {
  child?.proc.kill('SIGKILL');
  await pool?.end();
  await src?.close();
  await db?.drop();
});

/** Polls `probe` until it returns a value, and returns it; fails the test if none comes within `timeoutMs`. */
function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  return vi.waitFor(async () => {
    const v = await probe();
    if (v === undefined) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    return v;
  }, { timeout: timeoutMs, interval: 100 });
}

async function state(): Promise<{ cursor: { page: number; seen: number } | null; pass: number }> {
  const { rows } = await pool.query('SELECT cursor, pass FROM connector_state WHERE connector = $1', [NAME]);
  return rows[0];
}

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(sql, params);
  return rows[0]!.n;
}

it('SIGKILL mid-run: after restart every source row is stored once, the cursor resumes, one event per version', async () => {
  const configFile = writeConfigFile({
    destinations,
    auth: { enabled: false },
    log: { level: 'warn' },
    relay: { idleIntervalMs: 50 },
    // generated publication dates lie years back: the hourly expiry job must not add versions mid-test
    lifecycle: { expiryEnabled: false },
    connectors: {
      defaults: { backoffBaseMs: 10, perHostRatePerSecond: 1000 },
      instances: { [NAME]: { source: SOURCE, enabled: true, schedule: null, baseUrl: `${src.url}${PATH}` } },
    },
  });
  // every page is slow, so the run is surely in the middle of its pages when the kill lands
  src.fault(PATH, { kind: 'slow', delayMs: 250, times: 1000 });
  child = await spawnGateway({ databaseUrl: db.url, brokers: kafkaBrokers(), configFile });
  const first = child;
  let killedAt = -1;
  src.onRequest = (req) => {
    if (req.path === PATH && Number(req.params.currentPage) === KILL_AT_PAGE && killedAt < 0) {
      killedAt = src.requests.length;
      first.proc.kill('SIGKILL');
    }
  };

  const post = await fetch(`${child.url}/v1/connectors/${NAME}/runs`, { method: 'POST' });
  expect(post.status).toBe(202);
  const killedRunId = ((await post.json()) as { runId: number }).runId;
  expect(await first.exited).toBe('SIGKILL');
  src.onRequest = null;
  expect(killedAt).toBeGreaterThan(0);

  // What the killed run committed: whole pages only, and the cursor at the first page not committed.
  const afterKill = await state();
  const committedPages = afterKill.cursor!.page - 1;
  expect(afterKill.cursor!.seen).toBe(committedPages * PAGE_SIZE);
  expect(committedPages).toBeGreaterThanOrEqual(KILL_AT_PAGE - 2); // the next page may be fetched while one commits
  expect(committedPages).toBeLessThanOrEqual(KILL_AT_PAGE - 1);
  expect(afterKill.pass).toBe(1);
  expect(await count('SELECT count(*)::int AS n FROM records')).toBe(committedPages * PAGE_SIZE);
  const { rows: killedBefore } = await pool.query('SELECT state, pages, pulled, created FROM connector_runs WHERE run_id = $1', [killedRunId]);
  expect(killedBefore[0]).toEqual({ state: 'running', pages: committedPages, pulled: committedPages * PAGE_SIZE, created: committedPages * PAGE_SIZE });

  // Restart: the gateway resumes the interrupted run by itself, at the cursor.
  const servedBeforeRestart = src.requests.length;
  child = await spawnGateway({ databaseUrl: db.url, brokers: kafkaBrokers(), configFile });
  // (the dead session's advisory lock is released by PostgreSQL once it notices; the gateway retries until then)
  const resumedRunId = await until('the interrupted run to be resumed at start-up', async () => {
    const res = await fetch(`${child!.url}/v1/connectors/${NAME}/runs`);
    const body = (await res.json()) as { runs: Array<Record<string, any>> };
    return body.runs.find((r) => r.trigger === 'startup')?.runId as number | undefined;
  }, 30_000);
  expect(resumedRunId).toBeGreaterThan(killedRunId);
  const runs = await until('the resumed run to finish', async () => {
    const res = await fetch(`${child!.url}/v1/connectors/${NAME}/runs`);
    const body = (await res.json()) as { runs: Array<Record<string, any>> };
    return body.runs.find((r) => r.runId === resumedRunId && r.state !== 'running') ? body.runs : undefined;
  }, 60_000);

  // Run history: the killed run abandoned, the later one complete, starting where the killed one stopped.
  const killed = runs.find((r) => r.runId === killedRunId)!;
  const resumed = runs.find((r) => r.runId === resumedRunId)!;
  expect(runs).toHaveLength(2);
  expect(killed.state).toBe('abandoned');
  expect(killed.finishedAt).not.toBeNull();
  expect(resumed.state).toBe('succeeded');
  expect(resumed.cursorBefore).toMatchObject({ page: committedPages + 1, seen: committedPages * PAGE_SIZE });
  expect(resumed.pages).toBe(PAGES - committedPages);
  expect(resumed.pulled).toBe((PAGES - committedPages) * PAGE_SIZE);
  expect(resumed.created).toBe((PAGES - committedPages) * PAGE_SIZE);
  expect(resumed.updated + resumed.unchanged + resumed.rejected).toBe(0);

  // the source was asked for exactly the pages not committed, each once (no gap, no re-read)
  const pagesAfterRestart = src.requests.slice(servedBeforeRestart).filter((r) => r.path === PATH).map((r) => Number(r.params.currentPage));
  expect(pagesAfterRestart).toEqual(Array.from({ length: PAGES - committedPages }, (_, i) => committedPages + 1 + i));

  // the cursor is at the start of the next complete listing
  expect(await state()).toEqual({ cursor: { page: 1, seen: 0 }, pass: 2 });

  // every source row exactly once: one record per source key, one version per record
  expect(await count('SELECT count(*)::int AS n FROM records')).toBe(ROWS);
  expect(await count(`SELECT count(DISTINCT envelope->'source'->>'key')::int AS n FROM current_records`)).toBe(ROWS);
  expect(await count('SELECT count(*)::int AS n FROM record_versions')).toBe(ROWS);
  expect(await count('SELECT count(*)::int AS n FROM records WHERE version <> 1')).toBe(0);
  expect(await count('SELECT count(*)::int AS n FROM connector_seen WHERE connector = $1', [NAME])).toBe(ROWS);

  // events: one upsert per record version and destination, event ids unique
  expect(await waitForOutboxDrained(pool, 60_000)).toBe(0);
  const events = await listRecordEvents(pool);
  const provEvents = events.filter((e) => e.destination === destinations[0]!.name);
  expect(provEvents.filter((e) => e.type === 'record.upserted')).toHaveLength(ROWS);
  expect(provEvents).toHaveLength(ROWS);
  expect(new Set(provEvents.map((e) => `${e.recordId}@${e.version}`)).size).toBe(ROWS);
  expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);

  // Kafka: every record version present, each with a single event id (a re-send after the kill keeps its id)
  const msgs = await readTopic(prov, {
    until: (m) => new Set(m.map((x) => x.headers['event-id'])).size >= ROWS,
    timeoutMs: 60_000,
    settleMs: 300,
  });
  expect(msgs.every((m) => m.headers['event-type'] === 'record.upserted')).toBe(true);
  const idsByVersion = new Map<string, Set<string>>();
  for (const m of msgs) {
    const k = `${m.headers['record-id']}@${m.headers['record-version']}`;
    idsByVersion.set(k, (idsByVersion.get(k) ?? new Set()).add(m.headers['event-id']!));
  }
  const { rows: stored } = await pool.query<{ k: string }>(`SELECT record_id::text || '@' || version AS k FROM records`);
  expect(new Set(idsByVersion.keys())).toEqual(new Set(stored.map((r) => r.k)));
  for (const [k, ids] of idsByVersion) expect(ids.size, k).toBe(1);
}, 240_000);
