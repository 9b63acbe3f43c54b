/**
 * PostgreSQL access for connectors. Tables owned (migration 003; 008 widens connector_issues.kind):
 * connector_state (cursor and pass), connector_runs (run history), connector_quarantine,
 * connector_issues, and connector_seen (the source keys seen per complete listing, for removal).
 * Also the connectors' run lock (a session advisory lock, no table) and, in its own section at the
 * end, the one `records` statement only the removal sweep uses. Page-level writes take the caller's
 * transaction client so they commit together with the page's records and outbox rows.
 */
import type pg from 'pg';
import type { FieldError } from '../errors.js';
import type { PageCursor, SourceIssue } from '../connectors/types.js';
import type { Queryable } from './db.js';
import { ADVISORY_LOCKS } from './advisory-locks.js';
import { binaryArray } from './binary-array.js';

export type RunTrigger = 'schedule' | 'api' | 'cli' | 'startup';
export type RunState = 'running' | 'succeeded' | 'failed' | 'abandoned';

export interface ConnectorStateRow {
  cursor: PageCursor | null;
  pass: number;
}

export interface RunCounts {
  pages: number;
  pulled: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  skipped: number;
  removed: number;
  issues: number;
}

export interface RunRow extends RunCounts {
  runId: number;
  connector: string;
  trigger: RunTrigger;
  state: RunState;
  startedAt: string;
  finishedAt: string | null;
  cursorBefore: PageCursor | null;
  cursorAfter: PageCursor | null;
  error: string | null;
  host: string | null;
}

export const ZERO_COUNTS: RunCounts = { pages: 0, pulled: 0, created: 0, updated: 0, unchanged: 0, rejected: 0, skipped: 0, removed: 0, issues: 0 };

export async function loadState(db: Queryable, connector: string): Promise<ConnectorStateRow> {
  await db.query('INSERT INTO connector_state (connector) VALUES ($1) ON CONFLICT DO NOTHING', [connector]);
  const { rows } = await db.query<{ cursor: PageCursor | null; pass: number }>(
    'SELECT cursor, pass FROM connector_state WHERE connector = $1',
    [connector],
  );
  return rows[0]!;
}

export async function saveState(client: Queryable, connector: string, cursor: PageCursor, pass: number, runId: number): Promise<void> {
  await client.query(
    'UPDATE connector_state SET cursor = $2::jsonb, pass = $3, pass_run_id = $4, updated_at = now() WHERE connector = $1',
    [connector, JSON.stringify(cursor), pass, runId],
  );
}

/** The state of a connector's latest run, or null when it never ran. */
export async function lastRunState(db: Queryable, connector: string): Promise<RunState | null> {
  const { rows } = await db.query<{ state: RunState }>(
    'SELECT state FROM connector_runs WHERE connector = $1 ORDER BY run_id DESC LIMIT 1',
    [connector],
  );
  return rows[0]?.state ?? null;
}

/** Runs left "running" by a process that died: only called while holding the connector's lock. */
export async function abandonStaleRuns(db: Queryable, connector: string): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE connector_runs SET state = 'abandoned', finished_at = now(), error = coalesce(error, 'the process running it stopped')
      WHERE connector = $1 AND state = 'running'`,
    [connector],
  );
  return rowCount ?? 0;
}

export async function insertRun(db: Queryable, connector: string, trigger: RunTrigger, cursorBefore: PageCursor | null, host: string): Promise<number> {
  const { rows } = await db.query<{ run_id: number }>(
    `INSERT INTO connector_runs (connector, trigger, state, cursor_before, host) VALUES ($1, $2, 'running', $3::jsonb, $4) RETURNING run_id`,
    [connector, trigger, JSON.stringify(cursorBefore), host],
  );
  return rows[0]!.run_id;
}

/** Adds a page's counts to the run (on the page's transaction). */
export async function addRunCounts(client: Queryable, runId: number, c: RunCounts, cursorAfter: PageCursor): Promise<void> {
  await client.query(
    `UPDATE connector_runs SET pages = pages + $2, pulled = pulled + $3, created = created + $4, updated = updated + $5,
            unchanged = unchanged + $6, rejected = rejected + $7, skipped = skipped + $8, removed = removed + $9, issues = issues + $10,
            cursor_after = $11::jsonb
      WHERE run_id = $1`,
    [runId, c.pages, c.pulled, c.created, c.updated, c.unchanged, c.rejected, c.skipped, c.removed, c.issues, JSON.stringify(cursorAfter)],
  );
}

export async function finishRun(db: Queryable, runId: number, state: RunState, error: string | null): Promise<RunRow> {
  const { rows } = await db.query(
    `UPDATE connector_runs SET state = $2, error = $3, finished_at = now() WHERE run_id = $1 RETURNING *`,
    [runId, state, error],
  );
  return toRun(rows[0]);
}

export interface QuarantineItem {
  sourceKey?: string;
  raw: unknown;
  errors: FieldError[];
}

export async function insertQuarantine(client: Queryable, connector: string, runId: number, items: QuarantineItem[]): Promise<void> {
  if (!items.length) return;
  await client.query(
    `INSERT INTO connector_quarantine (connector, run_id, source_key, raw, errors)
     SELECT $1, $2, q.key, q.raw::jsonb, q.errors::jsonb FROM unnest($3::text[], $4::text[], $5::text[]) AS q(key, raw, errors)`,
    [connector, runId, items.map((i) => i.sourceKey ?? null), items.map((i) => JSON.stringify(i.raw ?? null)), items.map((i) => JSON.stringify(i.errors))],
  );
}

export async function recordIssues(client: Queryable, connector: string, runId: number, issues: Array<SourceIssue | { kind: 'duplicate_key'; field: string; value?: string }>): Promise<void> {
  if (!issues.length) return;
  // one row per distinct finding, with its count in this page
  const counts = new Map<string, { kind: string; field: string; value: string; n: number }>();
  for (const i of issues) {
    const value = i.value ?? '';
    const id = `${i.kind}\u0000${i.field}\u0000${value}`;
    const entry = counts.get(id) ?? { kind: i.kind, field: i.field, value, n: 0 };
    entry.n++;
    counts.set(id, entry);
  }
  const list = [...counts.values()];
  await client.query(
    `INSERT INTO connector_issues (connector, kind, field, value, occurrences, last_run_id)
     SELECT $1, i.kind, i.field, i.value, i.n, $2 FROM unnest($3::text[], $4::text[], $5::text[], $6::int[]) AS i(kind, field, value, n)
     ON CONFLICT (connector, kind, field, value)
     DO UPDATE SET occurrences = connector_issues.occurrences + EXCLUDED.occurrences, last_seen = now(), last_run_id = EXCLUDED.last_run_id`,
    [connector, runId, list.map((i) => i.kind), list.map((i) => i.field), list.map((i) => i.value), list.map((i) => i.n)],
  );
}

/**
 * Marks source keys ($3, with their record ids $4) as listed in pass $2 of connector $1; returns the
 * record ids of keys that had been marked removed. `back` reads the rows as they were before the upsert
 * (all parts of the statement share one snapshot), each key by its own primary-key lookup (OFFSET 0
 * keeps it one): joined as a set, the planner read every key the connector had ever listed for each
 * page (29 ms a page at 300,000 keys, growing with the listing), since its statistics take a while to
 * learn how many keys one connector has.
 */
export const MARK_SEEN = `WITH incoming AS (SELECT * FROM unnest($3::text[], $4::uuid[]) AS s(key, record_id)),
     back AS (SELECT coalesce(i.record_id, s.record_id) AS record_id FROM incoming i
                JOIN LATERAL (SELECT s.record_id FROM connector_seen s
                               WHERE s.connector = $1 AND s.source_key = i.key AND s.removed OFFSET 0) s ON true),
     upsert AS (
       INSERT INTO connector_seen AS t (connector, source_key, record_id, last_seen_pass, removed)
       SELECT $1, i.key, i.record_id, $2, false FROM incoming i
       ON CONFLICT (connector, source_key)
       DO UPDATE SET last_seen_pass = EXCLUDED.last_seen_pass, removed = false, record_id = coalesce(EXCLUDED.record_id, t.record_id))
SELECT record_id FROM back WHERE record_id IS NOT NULL`;

/**
 * Marks source keys as listed in this pass; returns the record ids of keys whose record had been
 * marked removed (they are back on the list).
 */
export async function markSeen(client: Queryable, connector: string, pass: number, seen: Array<{ key: string; recordId: string | null }>): Promise<string[]> {
  if (!seen.length) return [];
  // one row per key (an upsert may touch a row only once); a key listed twice keeps a record id if any row had one
  const byKey = new Map<string, string | null>();
  for (const s of seen) byKey.set(s.key, s.recordId ?? byKey.get(s.key) ?? null);
  const { rows } = await client.query<{ record_id: string }>(MARK_SEEN, [connector, pass, binaryArray('text', [...byKey.keys()]), binaryArray('uuid', [...byKey.values()])]);
  return rows.map((r) => r.record_id);
}

/** How many keys were listed in `pass` (and not removed): the listing the removal brake measures against. */
export async function listedCount(db: Queryable, connector: string, pass: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM connector_seen WHERE connector = $1 AND NOT removed AND last_seen_pass = $2',
    [connector, pass],
  );
  return rows[0]!.n;
}

/** Keys not removed and last listed `missedPasses` or more passes before `pass`, in key order; with `only`, just those, locked. */
export async function missingKeys(
  db: Queryable, connector: string, pass: number, missedPasses: number, only?: string[],
): Promise<Array<{ key: string; recordId: string | null }>> {
  const { rows } = await db.query<{ source_key: string; record_id: string | null }>(
    only
      ? `SELECT source_key, record_id FROM connector_seen
          WHERE connector = $1 AND NOT removed AND last_seen_pass <= $2 AND source_key = ANY($3::text[]) ORDER BY source_key FOR UPDATE`
      : `SELECT source_key, record_id FROM connector_seen
          WHERE connector = $1 AND NOT removed AND last_seen_pass <= $2 ORDER BY source_key`,
    only ? [connector, pass - missedPasses, only] : [connector, pass - missedPasses],
  );
  return rows.map((r) => ({ key: r.source_key, recordId: r.record_id }));
}

export async function markRemoved(client: Queryable, connector: string, keys: string[]): Promise<void> {
  if (!keys.length) return;
  await client.query('UPDATE connector_seen SET removed = true WHERE connector = $1 AND source_key = ANY($2::text[])', [connector, keys]);
}

function iso(v: unknown): string | null {
  return v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : String(v);
}

function toRun(r: Record<string, unknown> | undefined): RunRow {
  if (!r) throw new Error('run not found');
  return {
    runId: Number(r.run_id),
    connector: String(r.connector),
    trigger: r.trigger as RunTrigger,
    state: r.state as RunState,
    startedAt: iso(r.started_at)!,
    finishedAt: iso(r.finished_at),
    pages: Number(r.pages), pulled: Number(r.pulled), created: Number(r.created), updated: Number(r.updated),
    unchanged: Number(r.unchanged), rejected: Number(r.rejected), skipped: Number(r.skipped), removed: Number(r.removed), issues: Number(r.issues),
    cursorBefore: (r.cursor_before as PageCursor | null) ?? null,
    cursorAfter: (r.cursor_after as PageCursor | null) ?? null,
    error: (r.error as string | null) ?? null,
    host: (r.host as string | null) ?? null,
  };
}

export async function listRuns(db: Queryable, connector: string, limit: number): Promise<RunRow[]> {
  const { rows } = await db.query('SELECT * FROM connector_runs WHERE connector = $1 ORDER BY run_id DESC LIMIT $2', [connector, limit]);
  return rows.map(toRun);
}

export interface ConnectorOverviewRow {
  cursor: PageCursor | null;
  pass: number;
  lastRun: RunRow | null;
  lastSuccess: RunRow | null;
  lastError: RunRow | null;
  quarantined: number;
  issues: number;
}

export async function overview(db: Queryable, connector: string): Promise<ConnectorOverviewRow> {
  const [state, last, success, failure, counts] = await Promise.all([
    db.query<{ cursor: PageCursor | null; pass: number }>('SELECT cursor, pass FROM connector_state WHERE connector = $1', [connector]),
    db.query('SELECT * FROM connector_runs WHERE connector = $1 ORDER BY run_id DESC LIMIT 1', [connector]),
    db.query(`SELECT * FROM connector_runs WHERE connector = $1 AND state = 'succeeded' ORDER BY run_id DESC LIMIT 1`, [connector]),
    db.query(`SELECT * FROM connector_runs WHERE connector = $1 AND state IN ('failed', 'abandoned') ORDER BY run_id DESC LIMIT 1`, [connector]),
    db.query<{ q: number; i: number }>(
      `SELECT (SELECT count(*)::int FROM connector_quarantine WHERE connector = $1) AS q,
              (SELECT count(*)::int FROM connector_issues WHERE connector = $1) AS i`,
      [connector],
    ),
  ]);
  return {
    cursor: state.rows[0]?.cursor ?? null,
    pass: state.rows[0]?.pass ?? 1,
    lastRun: last.rows[0] ? toRun(last.rows[0]) : null,
    lastSuccess: success.rows[0] ? toRun(success.rows[0]) : null,
    lastError: failure.rows[0] ? toRun(failure.rows[0]) : null,
    quarantined: counts.rows[0]!.q,
    issues: counts.rows[0]!.i,
  };
}

// ---------------------------------------------------------------------------------------------
// The run lock: a PostgreSQL session advisory lock (RUN_LOCK_NAMESPACE, hashtext(connector)) held on
// one pooled connection for the whole run, so no two processes run a connector at once; the
// database releases it if the process dies.
// ---------------------------------------------------------------------------------------------

export const RUN_LOCK_NAMESPACE = ADVISORY_LOCKS.connectorRuns;

/**
 * A connection of its own for the connector's run lock: a session lock lasts as long as the session,
 * so the caller keeps this connection for the whole run and releases it afterwards.
 */
export function connectForRunLock(pool: pg.Pool): Promise<pg.PoolClient> {
  return pool.connect();
}

/** Takes the connector's run lock on `client` without waiting: false when another session holds it. */
export async function tryRunLock(client: pg.PoolClient, connector: string): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [RUN_LOCK_NAMESPACE, connector]);
  return rows[0]!.ok;
}

/** Gives up the connector's run lock taken on `client` (the connection stays checked out). */
export async function unlockRun(client: pg.PoolClient, connector: string): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [RUN_LOCK_NAMESPACE, connector]);
}

/** Whether any session (any gateway process) holds the connector's run lock. */
export async function runLockHeld(db: Queryable, connector: string): Promise<boolean> {
  const { rows } = await db.query<{ held: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
                      AND classid = $1::int4::oid AND objid = hashtext($2)::oid AND objsubid = 2) AS held`,
    [RUN_LOCK_NAMESPACE, connector],
  );
  return rows[0]!.held;
}
