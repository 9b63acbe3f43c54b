/**
 * Connector alerts (a failed run, too many invalid rows, removals held back: src/connectors/alerts.ts)
 * as monitoring alerts: stored once per run and published on the alerts topic through the outbox.
 * Registered as a sink of the connector service in src/server.ts.
 */
import type pg from 'pg';
import type { ConnectorAlert } from '../connectors/alerts.js';
import type { Outbox } from '../outbox/outbox.js';
import { raiseAlerts, type Alert } from './alerts-store.js';

export async function raiseConnectorAlert(pool: pg.Pool, outbox: Outbox, alert: ConnectorAlert): Promise<Alert[]> {
  return outbox.transaction(pool, (client) =>
    raiseAlerts(client, [{
      kind: 'connector_run_failed',
      connector: alert.connector,
      connectorRunId: alert.runId,
      details: { reason: alert.reason, message: alert.message, invalidShare: alert.invalidShare ?? null, threshold: alert.threshold ?? null, at: alert.at },
    }], outbox),
  );
}
