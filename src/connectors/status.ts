/** One connector's state as operators and partners see it (GET /v1/connectors and the console). */
import type pg from 'pg';
import type { ConnectorService } from './service.js';
import { overview } from './store.js';

export async function connectorStatus(pool: pg.Pool, svc: ConnectorService, name: string) {
  const inst = svc.instance(name)!;
  const o = await overview(pool, name);
  const last = o.lastRun;
  return {
    name,
    type: inst.type,
    enabled: inst.enabled,
    schedule: inst.schedule ?? null,
    state: !inst.enabled ? 'disabled' : last?.state === 'running' ? 'running' : 'idle',
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
