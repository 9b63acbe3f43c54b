/**
 * The connectors panel of the console: each configured connector's state, last run, last error and
 * next scheduled run, from the connector service of issue 4 (src/connectors/service.ts) and its
 * run tables; and "run now". The same facts GET /v1/connectors gives partners with connectors:admin.
 */
import type { AppContext } from '../context.js';
import { overview } from '../connectors/store.js';
import { GatewayError } from '../errors.js';

export interface ConnectorPanelRow {
  name: string;
  type: string;
  enabled: boolean;
  schedule: string | null;
  state: 'disabled' | 'running' | 'idle';
  lastRun: { runId: number; state: string; startedAt: string; finishedAt: string | null; pulled: number; created: number; updated: number; rejected: number } | null;
  lastError: { runId: number; at: string | null; message: string | null } | null;
  nextRunAt: string | null;
  quarantined: number;
}

function service(ctx: AppContext) {
  if (!ctx.connectors) throw new GatewayError('GW_CONSOLE_CONNECTORS_UNAVAILABLE');
  return ctx.connectors;
}

export async function connectorPanel(ctx: AppContext): Promise<ConnectorPanelRow[]> {
  if (!ctx.connectors) return [];
  const svc = ctx.connectors;
  return Promise.all(
    svc.names().map(async (name) => {
      const inst = svc.instance(name)!;
      const o = await overview(ctx.pool, name);
      const last = o.lastRun;
      return {
        name,
        type: inst.type,
        enabled: inst.enabled,
        schedule: inst.schedule ?? null,
        state: !inst.enabled ? 'disabled' : last?.state === 'running' ? 'running' : 'idle',
        lastRun: last
          ? { runId: last.runId, state: last.state, startedAt: last.startedAt, finishedAt: last.finishedAt, pulled: last.pulled, created: last.created, updated: last.updated, rejected: last.rejected }
          : null,
        lastError: o.lastError ? { runId: o.lastError.runId, at: o.lastError.finishedAt, message: o.lastError.error } : null,
        nextRunAt: svc.nextRunAt(name)?.toISOString() ?? null,
        quarantined: o.quarantined,
      } satisfies ConnectorPanelRow;
    }),
  );
}

/** Starts a run now on behalf of a signed-in operator. */
export async function runConnectorNow(ctx: AppContext, name: string): Promise<{ started: boolean; runId?: number; reason?: string }> {
  const svc = service(ctx);
  const result = await svc.start(name, 'api');
  if (!result.started) return { started: false, reason: result.reason };
  result.done.catch((err: unknown) => ctx.log.error({ err, connector: name }, 'connector run crashed'));
  return { started: true, runId: result.runId };
}
