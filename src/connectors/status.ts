/** One connector's state as operators and partners see it (GET /v1/connectors and the console). */
import type pg from 'pg';
import { overview, runLockHeld } from '../store/connectors-repo.js';
import type { ConnectorService } from './service.js';
import { sourceFor } from './registry.js';

export async function connectorStatus(pool: pg.Pool, svc: ConnectorService, name: string) {
  const inst = svc.instance(name)!;
  const o = await overview(pool, name);
  const last = o.lastRun;
  // a run row saying `running` may be a dead one: running only when this process runs it or some process holds its run lock
  const running = last?.state === 'running' && (svc.isRunningHere(name) || (await runLockHeld(pool, name)));
  return {
    name,
    source: sourceFor(name, inst).id,
    // how it reads its source: an HTTP interface (a source file) or a department's exchange table
    type: inst.exchangeDb ? 'exchange-db' : 'http',
    enabled: inst.enabled,
    schedule: inst.schedule ?? null,
    // `interrupted`: the process running it died; the run resumes when a gateway starts (or at the next run)
    state: !inst.enabled ? 'disabled' : running ? 'running' : last?.state === 'running' ? 'interrupted' : 'idle',
    runningHere: svc.isRunningHere(name),
    lastRun: last,
    lastSuccessAt: o.lastSuccess?.finishedAt ?? null,
    lastError: o.lastError ? { runId: o.lastError.runId, at: o.lastError.finishedAt, message: o.lastError.error } : null,
    counts: last
      ? { pulled: last.pulled, created: last.created, updated: last.updated, unchanged: last.unchanged, rejected: last.rejected, skipped: last.skipped, removed: last.removed }
      : null,
    cursor: o.cursor,
    pass: o.pass,
    nextRunAt: svc.nextRunAt(name)?.toISOString() ?? null,
    quarantined: o.quarantined,
    issues: o.issues,
  };
}

export type ConnectorStatus = Awaited<ReturnType<typeof connectorStatus>>;

export function connectorStatuses(pool: pg.Pool, svc: ConnectorService): Promise<ConnectorStatus[]> {
  return Promise.all(svc.names().map((name) => connectorStatus(pool, svc, name)));
}
