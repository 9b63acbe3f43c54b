/**
 * Early-warning alerts: stored in monitoring_alerts and, in the same transaction, queued in the
 * outbox for the alerts topic (the relay publishes them like any other event). The unique indexes of
 * migration 005 make raising the same alert twice a no-op, so an alert is published exactly once
 * however many detectors run. The statements are in src/store/alerts-repo.ts.
 */
import type pg from 'pg';
import type { Outbox } from '../outbox/outbox.js';
import { insertAlerts, listAlerts, type Alert, type AlertDraft, type AlertFilter, type AlertKind } from '../store/alerts-repo.js';

// The alert types and the listing (newest first, by seq) live in the store; re-exported for the routes and the console.
export type { Alert, AlertDraft, AlertFilter, AlertKind };
export { listAlerts };

/**
 * Inserts the alerts that were not raised before and queues one event for each, on the caller's
 * transaction. Returns the alerts actually raised now.
 */
export async function raiseAlerts(client: pg.ClientBase, drafts: AlertDraft[], outbox: Pick<Outbox, 'alertsRaised'>, now = new Date()): Promise<Alert[]> {
  if (!drafts.length) return [];
  const raised = await insertAlerts(client, drafts, now);
  await outbox.alertsRaised(client, raised);
  return raised;
}
