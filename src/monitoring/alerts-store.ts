/**
 * Early-warning alerts: stored in monitoring_alerts and, in the same transaction, queued in the
 * outbox for the alerts topic (the relay publishes them like any other event). The unique indexes of
 * migration 005 make raising the same alert twice a no-op, so an alert is published exactly once
 * however many detectors run. The statements are in src/store/alerts-repo.ts.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { EventType, OutboxEvent } from '../publish/events.js';
import { insertAlerts, listAlerts, type Alert, type AlertDraft, type AlertFilter, type AlertKind } from '../store/alerts-repo.js';
import { enqueueEvents } from '../store/records-repo.js';

// The alert types and the listing (newest first, by seq) live in the store; re-exported for the routes and the console.
export type { Alert, AlertDraft, AlertFilter, AlertKind };
export { listAlerts };

/** Event type of alert messages on the alerts topic. */
export const ALERT_EVENT_TYPE = 'alert.raised' satisfies EventType;
/** Outbox `destination` of alert events (not a configured destination: lifecycle events never go there). */
export const ALERTS_DESTINATION = 'monitoring-alerts';

function alertEvent(alert: Alert, topic: string): OutboxEvent {
  const eventId = randomUUID();
  return {
    eventId,
    destination: ALERTS_DESTINATION,
    topic,
    type: ALERT_EVENT_TYPE,
    recordId: alert.alertId,
    recordVersion: 1,
    key: alert.uscc ?? alert.region ?? (alert.connector ? `connector:${alert.connector}` : `${alert.kind}:${String(alert.details.username ?? '')}`),
    payload: JSON.stringify({ eventId, type: ALERT_EVENT_TYPE, occurredAt: alert.raisedAt, alert }),
    maskPersonalIds: false,
  };
}

/**
 * Inserts the alerts that were not raised before and queues one event for each, on the caller's
 * transaction. Returns the alerts actually raised now.
 */
export async function raiseAlerts(client: pg.ClientBase, drafts: AlertDraft[], topic: string, now = new Date()): Promise<Alert[]> {
  if (!drafts.length) return [];
  const raised = await insertAlerts(client, drafts, now);
  await enqueueEvents(client, raised.map((a) => alertEvent(a, topic)));
  return raised;
}
