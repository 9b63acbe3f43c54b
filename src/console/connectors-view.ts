/**
 * The connectors panel of the console: each configured connector's state, last run, last error and
 * next scheduled run, from the connector service of issue 4 (src/connectors/service.ts) and its
 * run tables; and "run now". The same facts GET /v1/connectors gives partners with connectors:admin.
 */
import type { AppContext } from '../context.js';
import { connectorStatuses, type ConnectorStatus } from '../connectors/status.js';
import { GatewayError } from '../errors.js';

function service(ctx: AppContext) {
  if (!ctx.connectors) throw new GatewayError('GW_CONSOLE_CONNECTORS_UNAVAILABLE');
  return ctx.connectors;
}

export async function connectorPanel(ctx: AppContext): Promise<ConnectorStatus[]> {
  return ctx.connectors ? connectorStatuses(ctx.pool, ctx.connectors) : [];
}

/** Starts a run now on behalf of a signed-in operator. */
export async function runConnectorNow(ctx: AppContext, name: string): Promise<{ started: boolean; runId?: number; reason?: string }> {
  const svc = service(ctx);
  const result = await svc.start(name, 'api');
  if (!result.started) return { started: false, reason: result.reason };
  result.done.catch((err: unknown) => ctx.log.error({ err, connector: name }, 'connector run crashed'));
  return { started: true, runId: result.runId };
}
