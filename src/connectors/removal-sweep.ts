/**
 * Removal (taken off a list): after the last page of a complete listing, records whose source keys have
 * been missing for `afterPasses` passes become `removed`, with one record.status_changed event each.
 *
 * The brake: a pass that would remove more than `maxShare` of the listing (and more than `minRecords`
 * records) removes none; the run fails and alerts, and an operator decides (raise removalMaxShare for a
 * run, or fix the source). A listing that suddenly lacks a third of its rows is far more often a fault
 * at the source (a truncated export, a broken filter) than a court's decision, and a wrongly removed
 * debtor disappears from every platform downstream.
 *
 * Removals go in transactions of REMOVALS_PER_TRANSACTION, each written in a fixed number of
 * statements (applyWhereAllowed), so no transaction keeps the change feed's readers waiting for long (a
 * reader waits for the writers in flight: feed-horizon.ts). The pass has already been committed; a
 * crash part-way leaves the rest missing, and the next complete pass removes them.
 */
import type pg from 'pg';
import { addRunCounts, listedCount, markRemoved, missingKeys, ZERO_COUNTS } from '../store/connectors-repo.js';
import { applyWhereAllowed } from '../lifecycle/transition.js';
import type { PageCursor } from './types.js';
import type { Outbox } from '../outbox/outbox.js';

export const REMOVALS_PER_TRANSACTION = 100;

export interface RemovalBrake {
  afterPasses: number;
  maxShare: number;
  minRecords: number;
}

export interface RemovalHeld {
  missing: number;
  listed: number;
  share: number;
  maxShare: number;
}


/** Whether the brake holds a pass that would remove `missing` records of `missing + listed`. Pure. */
export function removalHeld(missing: number, listed: number, brake: RemovalBrake): RemovalHeld | null {
  const share = missing / Math.max(1, missing + listed);
  return missing > brake.minRecords && share > brake.maxShare ? { missing, listed, share, maxShare: brake.maxShare } : null;
}

/** What a sweep needs of the run's dependencies (runner.ts's RunDeps has them). */
export interface SweepDeps {
  pool: pg.Pool;
  /** where removals are queued as events (each commit wakes the relay) */
  outbox: Outbox;
}

export interface SweepJob {
  connector: string;
  actor: string;
  runId: number;
  /** the pass just completed */
  pass: number;
  /** the connector's cursor after that pass (run history) */
  cursor: PageCursor;
  brake: RemovalBrake;
}

export async function sweepRemoved(deps: SweepDeps, job: SweepJob): Promise<{ removed: number; held?: RemovalHeld }> {
  const missing = await missingKeys(deps.pool, job.connector, job.pass, job.brake.afterPasses);
  if (!missing.length) return { removed: 0 };
  const held = removalHeld(missing.length, await listedCount(deps.pool, job.connector, job.pass), job.brake);
  if (held) return { removed: 0, held };
  let removed = 0;
  for (let i = 0; i < missing.length; i += REMOVALS_PER_TRANSACTION) {
    const chunk = missing.slice(i, i + REMOVALS_PER_TRANSACTION).map((m) => m.key);
    removed += await deps.outbox.transaction(deps.pool, async (client) => {
      const still = await missingKeys(client, job.connector, job.pass, job.brake.afterPasses, chunk);
      // locked, then asked of the state machine: a record repaired, revoked or expired stays so
      const moved = await applyWhereAllowed(client, still.flatMap((m) => (m.recordId ? [m.recordId] : [])), 'withdraw', {
        actor: job.actor,
        outbox: deps.outbox,
        reason: `not listed by the source in ${job.brake.afterPasses} complete listing(s)`,
        now: new Date(),
      });
      await markRemoved(client, job.connector, still.map((m) => m.key));
      await addRunCounts(client, job.runId, { ...ZERO_COUNTS, removed: moved.length }, job.cursor);
      return moved.length;
    });
  }
  return { removed };
}
