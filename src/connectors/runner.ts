/**
 * One run of one connector, page by page. For every page, in ONE transaction: the page's records
 * (records, versions, outbox rows, change feed), its quarantined rows and issues, the source keys it
 * listed, the run's counters and the connector's cursor. A crash therefore resumes at the first page
 * not committed — no gap, no duplicate. The last page of a complete listing starts the next pass;
 * after it, records missing for `removalAfterRuns` passes are marked removed, in transactions of
 * REMOVALS_PER_TRANSACTION (removal-sweep: the brake, and what a crash in between leaves).
 * A source that marks rows deleted (an exchange database's flag) has their records withdrawn on the
 * page's transaction, and one that writes verdicts back is handed each row's before the page commits.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { ConnectorInstanceConfig, ConnectorsConfig } from '../config/types.js';
import type { FieldError } from '../errors.js';
import { applyWhereAllowed, type TransitionContext } from '../lifecycle/transition.js';
import { removedAmong, writeRecords, type PreparedRecord, type WriteOutcome } from '../store/records-repo.js';
import { sweepRemoved, type RemovalBrake, type RemovalHeld } from './removal-sweep.js';
import type { RecordPreparer } from '../ingest/prepare.js';
import { SourceHttpClient } from './http-client.js';
import type { ConnectorMetrics } from './metrics.js';
import {
  addRunCounts, insertQuarantine, loadState, markSeen, recordIssues, saveState,
  ZERO_COUNTS, type QuarantineItem, type RunCounts,
} from '../store/connectors-repo.js';
import type { ConnectorSource, RowResult, PageCursor, RowVerdict, SourceIssue, SourcePage } from './types.js';
import { recordIdFor } from '../domain/record.js';
import type { Outbox } from '../outbox/outbox.js';

export interface RunDeps {
  pool: pg.Pool;
  preparer: RecordPreparer;
  /** where a page's record changes are queued (each page's commit wakes the relay) */
  outbox: Outbox;
  defaults: ConnectorsConfig['defaults'];
  log: Logger;
  metrics: ConnectorMetrics;
}

export interface RunOutcome {
  counts: RunCounts;
  invalidShare: number;
  passesCompleted: number;
  /** set when the removal brake held a pass's removals back */
  removalHeld?: RemovalHeld;
}

export class RunStopped extends Error {
  constructor() {
    super('the run was stopped (gateway shutting down)');
  }
}

interface ProcessedPage {
  prepared: PreparedRecord[];
  quarantine: QuarantineItem[];
  issues: Array<SourceIssue | { kind: 'duplicate_key'; field: string; value?: string }>;
  seen: Array<{ key: string; recordId: string | null }>;
  /** records the source marks deleted (a deletion flag): withdrawn on the page's transaction */
  withdrawn: Array<{ key: string; recordId: string }>;
  /** each row's verdict, for sources that write it back */
  verdicts: RowVerdict[];
  skipped: number;
}

/** Rows mapped between two yields to the event loop (see processRows). */
const ROWS_PER_SLICE = 25;

/**
 * Maps, validates and prepares a page's rows. It runs while the previous page commits, so it yields to
 * the event loop every ROWS_PER_SLICE rows: otherwise each of that commit's round trips would wait for
 * the whole page to be mapped.
 */
async function processRows(source: ConnectorSource, page: SourcePage, deps: RunDeps, env: { system: string; config: ConnectorInstanceConfig }): Promise<ProcessedPage> {
  const out: ProcessedPage = { prepared: [], quarantine: [], issues: [], seen: [], withdrawn: [], verdicts: [], skipped: 0 };
  const fetchedAt = new Date().toISOString();
  const byId = new Map<string, PreparedRecord>();
  for (const [i, row] of page.rows.entries()) {
    if (i > 0 && i % ROWS_PER_SLICE === 0) await nextTurn();
    let results;
    try {
      results = source.mapRow(row, { system: env.system, fetchedAt, pageUrl: page.url, config: env.config });
    } catch (err) {
      const errors: FieldError[] = [{ pointer: '', rule: 'source.mapping_failed', zh: `映射失败：${(err as Error).message}`, en: `mapping failed: ${(err as Error).message}` }];
      out.quarantine.push({ raw: row, errors });
      out.verdicts.push({ row, accepted: false, errors });
      continue;
    }
    if (!results.length) out.skipped++;
    const errors: FieldError[] = [];
    for (const r of results) errors.push(...takeResult(r, row, out, byId, { deps, system: env.system }));
    out.verdicts.push({ row, accepted: errors.length === 0, errors });
  }
  out.prepared = [...byId.values()];
  return out;
}

/** One mapped result of a row into the page: prepared, withdrawn or quarantined; returns the errors that rejected it. */
function takeResult(r: RowResult, row: unknown, out: ProcessedPage, byId: Map<string, PreparedRecord>, env: { deps: RunDeps; system: string }): FieldError[] {
  out.issues.push(...r.issues);
  if ('withdrawn' in r) {
    const recordId = recordIdFor(env.system, r.key);
    byId.delete(recordId); // the later row wins
    out.withdrawn = out.withdrawn.filter((w) => w.recordId !== recordId);
    out.withdrawn.push({ key: r.key, recordId });
    out.seen.push({ key: r.key, recordId });
    return [];
  }
  if (!r.ok) {
    out.quarantine.push({ ...(r.key ? { sourceKey: r.key } : {}), raw: row, errors: r.errors });
    if (r.key) out.seen.push({ key: r.key, recordId: null });
    return r.errors;
  }
  const prepared = env.deps.preparer.prepare(r.input);
  if (!prepared.ok) {
    out.quarantine.push({ sourceKey: r.key, raw: row, errors: prepared.errors });
    out.seen.push({ key: r.key, recordId: null });
    return prepared.errors;
  }
  if (byId.has(prepared.record.recordId)) out.issues.push({ kind: 'duplicate_key', field: 'source.key', value: r.key });
  byId.set(prepared.record.recordId, prepared.record); // a key listed twice: the later row wins
  out.withdrawn = out.withdrawn.filter((w) => w.recordId !== prepared.record.recordId);
  out.seen.push({ key: r.key, recordId: prepared.record.recordId });
  return [];
}

/** What one run works with from start to end. */
interface Run {
  deps: RunDeps;
  name: string;
  config: ConnectorInstanceConfig;
  source: ConnectorSource;
  runId: number;
  actor: string;
  system: string;
  /** above this share of invalid rows a pass sweeps nothing */
  threshold: number;
  brake: RemovalBrake;
  /** whether the source lists every record it has, so a record it stops listing was removed */
  complete: boolean;
  http: SourceHttpClient;
}

/** What the run's pages added up to. */
interface Tally {
  totals: RunCounts;
  passesCompleted: number;
  removalHeld?: RemovalHeld;
}

/** One run: its pages up to the end of the pass, its HTTP client closed however the run ends. */
export async function runConnector(
  deps: RunDeps,
  name: string,
  config: ConnectorInstanceConfig,
  source: ConnectorSource,
  runId: number,
  signal: AbortSignal,
): Promise<RunOutcome> {
  const run = startRun(deps, name, config, source, runId);
  let tally: Tally;
  try {
    tally = await runPages(run, signal);
  } finally {
    await run.http.close().catch(() => undefined);
    await source.endRun?.().catch((err: unknown) => deps.log.warn({ err, connector: name }, 'connector: closing the source failed'));
  }
  const { totals, passesCompleted, removalHeld } = tally;
  const valid = totals.created + totals.updated + totals.unchanged;
  return { counts: totals, invalidShare: totals.rejected / Math.max(1, valid + totals.rejected), passesCompleted, ...(removalHeld ? { removalHeld } : {}) };
}

/** The run's settings (the instance's own, else the connectors' defaults) and its HTTP client. */
function startRun(deps: RunDeps, name: string, config: ConnectorInstanceConfig, source: ConnectorSource, runId: number): Run {
  const actor = `connector:${name}`;
  const system = config.system ?? source.system;
  const threshold = config.invalidThreshold ?? deps.defaults.invalidThreshold;
  const brake: RemovalBrake = {
    afterPasses: config.removalAfterRuns ?? deps.defaults.removalAfterRuns,
    maxShare: config.removalMaxShare ?? deps.defaults.removalMaxShare,
    minRecords: config.removalBrakeMinRecords ?? deps.defaults.removalBrakeMinRecords,
  };
  const complete = source.completeListing(config);
  const { defaults } = deps;
  const http = new SourceHttpClient(
    {
      connectTimeoutMs: defaults.connectTimeoutMs, readTimeoutMs: defaults.readTimeoutMs, maxAttempts: defaults.maxAttempts,
      backoffBaseMs: defaults.backoffBaseMs, backoffMaxMs: defaults.backoffMaxMs, maxRetryAfterMs: defaults.maxRetryAfterMs,
      perHostConcurrency: defaults.perHostConcurrency, perHostRatePerSecond: defaults.perHostRatePerSecond, userAgent: defaults.userAgent,
      ...config.http,
      auth: config.auth,
      ...(config.encoding ?? source.charset ? { encoding: config.encoding ?? source.charset } : {}),
    },
    { onAttempt: (_url, outcome) => deps.metrics.httpAttempts.inc({ connector: name, outcome: String(outcome) }) },
  );
  return { deps, name, config, source, runId, actor, system, threshold, brake, complete, http };
}

/**
 * The page loop, from the connector's saved cursor to the last page of the listing: each page is
 * committed on its own, and the last one ends the pass.
 */
async function runPages(run: Run, signal: AbortSignal): Promise<Tally> {
  const { deps, name, config, source } = run;
  const tally: Tally = { totals: { ...ZERO_COUNTS }, passesCompleted: 0 };
  // The next page is fetched and mapped while the current one commits (at most one page ahead), so
  // the source, the CPU and the database work at the same time. Only commits advance the cursor:
  // a page fetched ahead but not committed is fetched again after a crash.
  const fetchAndProcess = async (at: PageCursor) => {
    const page = await source.fetchPage({ http: run.http, config }, at);
    return { page, processed: await processRows(source, page, deps, { system: run.system, config }) };
  };
  const fetchAhead = (at: PageCursor) => {
    const pending = fetchAndProcess(at);
    pending.catch(() => undefined); // awaited on the next turn; a run that ends first must not leave it unhandled
    return pending;
  };
  const state = await loadState(deps.pool, name);
  let cursor: PageCursor = state.cursor ?? source.firstCursor(config);
  let pass = state.pass;
  let ahead = fetchAhead(cursor);
  for (;;) {
    if (signal.aborted) throw new RunStopped();
    const { page, processed } = await ahead;
    const last = page.next === null;
    if (!last) ahead = fetchAhead(page.next!);
    const nextCursor = last ? (source.nextPassCursor?.(config, page.after ?? cursor) ?? source.firstCursor(config)) : page.next!;
    // a verdict written back may come before its page commits: a failed commit reads those rows again, and writes them again
    if (source.writeVerdicts && processed.verdicts.length) await source.writeVerdicts(config, processed.verdicts);
    const counts = await commitPage(run, page, processed, { pass, last, nextCursor });
    countPage(run, tally.totals, counts);
    cursor = nextCursor;
    if (last) {
      await endPass(run, tally, pass, cursor);
      pass++;
      tally.passesCompleted++;
      break;
    }
  }
  return tally;
}

/**
 * One page in ONE transaction (see the file's opening comment): its records, the keys it listed, its
 * quarantined rows and issues, the run's counters and the connector's cursor.
 */
async function commitPage(
  run: Run,
  page: SourcePage,
  processed: ProcessedPage,
  at: { pass: number; last: boolean; nextCursor: PageCursor },
): Promise<RunCounts> {
  const { deps, name, actor, runId } = run;
  const { pass, last, nextCursor } = at;
  const counts: RunCounts = { ...ZERO_COUNTS, pages: 1, pulled: page.rows.length, rejected: processed.quarantine.length, skipped: processed.skipped, issues: processed.issues.length };
  await deps.outbox.transaction(deps.pool, async (client) => {
    counts.created = counts.updated = counts.unchanged = counts.removed = 0; // a retried transaction counts afresh
    // what does not depend on the records' outcomes first: writeRecords takes the feed lock, which
    // every writer of records waits for until this transaction commits
    const back = run.complete ? await markSeen(client, name, pass, processed.seen) : [];
    await insertQuarantine(client, name, runId, processed.quarantine);
    await recordIssues(client, name, runId, processed.issues);
    const outcomes = await writeRecords(client, processed.prepared, { actor, outbox: deps.outbox });
    for (const o of outcomes) counts[o.result]++;
    await relistListedAgain(run, client, back, outcomes);
    counts.removed += await withdrawFlagged(run, client, processed.withdrawn);
    if (run.source.relistsUnchanged) await relistUnchanged(run, client, outcomes);
    await addRunCounts(client, runId, counts, nextCursor);
    await saveState(client, name, nextCursor, last ? pass + 1 : pass, runId);
  });
  return counts;
}

/**
 * Keys of this pass whose record had been removed (markSeen's `back`: the page's keys were marked
 * listed before the records were written): a record listed again with the same content is active
 * again (relist); one repaired, revoked or expired meanwhile stays so.
 */
async function relistListedAgain(run: Run, client: pg.PoolClient, back: string[], outcomes: WriteOutcome[]): Promise<void> {
  const unchangedIds = new Set(outcomes.filter((o) => o.result === 'unchanged').map((o) => o.recordId));
  await applyWhereAllowed(client, back.filter((id) => unchangedIds.has(id)), 'relist', sourceMove(run, 'listed again by the source'));
}

/** Records whose rows the source marks deleted are withdrawn (removed), when the state machine allows it; returns how many. */
async function withdrawFlagged(run: Run, client: pg.PoolClient, withdrawn: ProcessedPage['withdrawn']): Promise<number> {
  const moved = await applyWhereAllowed(client, withdrawn.map((w) => w.recordId), 'withdraw', sourceMove(run, 'marked deleted by the source'));
  return moved.length;
}

/** A row no longer marked deleted, with the content it had: its removed record is active again (relist). */
async function relistUnchanged(run: Run, client: pg.PoolClient, outcomes: WriteOutcome[]): Promise<void> {
  const unchanged = outcomes.filter((o) => o.result === 'unchanged').map((o) => o.recordId);
  if (!unchanged.length) return;
  await applyWhereAllowed(client, await removedAmong(client, unchanged), 'relist', sourceMove(run, 'listed again by the source'));
}

/** A move the source's listing makes: by the run's actor, saying why. */
function sourceMove(run: Run, reason: string): TransitionContext {
  return { actor: run.actor, outbox: run.deps.outbox, reason, now: new Date() };
}

/** Adds a committed page's counts to the run's totals and to the rows metric. */
function countPage(run: Run, totals: RunCounts, counts: RunCounts): void {
  for (const [k, v] of Object.entries(counts) as Array<[keyof RunCounts, number]>) totals[k] += v;
  for (const result of ['created', 'updated', 'unchanged', 'rejected', 'skipped', 'removed'] as const) {
    if (counts[result]) run.deps.metrics.rows.inc({ connector: run.name, result }, counts[result]);
  }
}

/**
 * After the last page of a complete listing, records missing for long enough are marked removed
 * (removal-sweep), unless too many of the run's rows were invalid: then nothing is.
 */
async function endPass(run: Run, tally: Tally, pass: number, cursor: PageCursor): Promise<void> {
  if (!run.complete) return;
  const { deps, name, actor, runId, brake } = run;
  const { totals } = tally;
  const invalid = totals.rejected / Math.max(1, totals.rejected + totals.created + totals.updated + totals.unchanged);
  if (invalid > run.threshold) {
    deps.log.warn({ connector: name, runId, invalidShare: invalid }, 'connector: too many invalid rows; removal sweep skipped for this pass');
    return;
  }
  const swept = await sweepRemoved(deps, { connector: name, actor, runId, pass, cursor, brake });
  totals.removed += swept.removed;
  if (swept.removed) deps.metrics.rows.inc({ connector: name, result: 'removed' }, swept.removed);
  if (swept.held) tally.removalHeld = swept.held;
}
