/**
 * The Kafka event contract (docs/architecture.md, "The Kafka contract"): value, key and headers of
 * one message, and the outbox rows that become them. Pure.
 *
 * A record event is one of a version's destinations (the version row names them); the relay renders
 * its value from the immutable version when it publishes. Its event id is derived from (destination,
 * record, version, type), so a re-send after a crash carries the same id. An operator's re-delivery is
 * queued as a small outbox row (destination, type, record id and version) rendered the same way;
 * alerts carry their rendered value in the outbox row.
 */
import { randomUUID } from 'node:crypto';
import type { DestinationConfig } from '../config/load.js';
import type { LifecycleEventType } from '../domain/lifecycle.js';
import { redactPersonalIds } from '../domain/personal-id.js';
import type { RecordEnvelope } from '../domain/record.js';
import { uuidV5 } from '../domain/uuid-v5.js';
import type { Alert } from '../store/alerts-repo.js';
import type { OutboxEvent } from '../store/outbox-repo.js';

export type { OutboxEvent };

export type RecordEventType = 'record.upserted' | LifecycleEventType;
export type EventType = RecordEventType | 'alert.raised';

/** The `schema` header of each event type. */
const EVENT_SCHEMAS: Record<EventType, string> = {
  'record.upserted': 'credit-record/v1',
  'record.status_changed': 'credit-record/v1',
  'record.retracted': 'credit-record/v1',
  'alert.raised': 'credit-alert/v1',
};

// UUID v5 namespace for event ids (fixed; changing it would change the ids of re-sent events).
const EVENT_NAMESPACE = Buffer.from('2b9f6c1e7d4a4e0f9c3b5a6d7e8f9012', 'hex');

export function recordEventId(destination: string, recordId: string, version: number, type: RecordEventType): string {
  return uuidV5(EVENT_NAMESPACE, `${destination}\u0000${recordId}\u0000${version}\u0000${type}`);
}

/**
 * The event id of an operator's re-delivery of an event: new (the platform applies by event id, so the
 * same id would change nothing there), and the same for the same event re-delivered (a second click
 * before the first re-delivery went out queues nothing more).
 */
export function redeliveryEventId(previousEventId: string): string {
  return uuidV5(EVENT_NAMESPACE, `redelivery\u0000${previousEventId}`);
}

/** The outbox row of one record event for one destination (an operator's re-delivery gives it an id of its own). */
export function recordEvent(type: RecordEventType, record: Pick<RecordEnvelope, 'recordId' | 'version'>, subjectKey: string, dest: DestinationConfig): OutboxEvent {
  return {
    eventId: recordEventId(dest.name, record.recordId, record.version, type),
    destination: dest.name,
    topic: dest.topic,
    type,
    recordId: record.recordId,
    recordVersion: record.version,
    key: subjectKey,
    payload: null,
    maskPersonalIds: dest.maskPersonalIds,
  };
}

/** The event type of a version's events, by the version's change kind (record_versions.change_kind). */
const EVENT_TYPE_OF_CHANGE: Record<string, RecordEventType> = {
  created: 'record.upserted',
  updated: 'record.upserted',
  status_changed: 'record.status_changed',
  retracted: 'record.retracted',
};

export function isRecordEventType(type: string): type is RecordEventType {
  return Object.values(EVENT_TYPE_OF_CHANGE).includes(type as RecordEventType);
}

export function eventTypeOfChange(changeKind: string): RecordEventType {
  const type = EVENT_TYPE_OF_CHANGE[changeKind];
  if (!type) throw new Error(`no event type for the change kind "${changeKind}"`);
  return type;
}

/**
 * The message value of a record event: `{eventId, type, occurredAt, record}`, with the record as the
 * stored JSON text; for a masking destination every identity number in that text is masked (digits,
 * `X` and `*` need no JSON escaping, so the text stays valid JSON).
 */
export function renderRecordEvent(e: { eventId: string; type: string; occurredAt: string; recordJson: string; maskPersonalIds: boolean }): string {
  const record = e.maskPersonalIds ? redactPersonalIds(e.recordJson) : e.recordJson;
  return `{"eventId":${JSON.stringify(e.eventId)},"type":${JSON.stringify(e.type)},"occurredAt":${JSON.stringify(e.occurredAt)},"record":${record}}`;
}

export function eventHeaders(row: { eventId: string; type: string; recordId: string; recordVersion: number }): Record<string, string> {
  return {
    'event-id': row.eventId,
    'event-type': row.type,
    'record-id': row.recordId,
    'record-version': String(row.recordVersion),
    schema: EVENT_SCHEMAS[row.type as EventType] ?? 'credit-record/v1',
    'content-type': 'application/json',
  };
}

/** Event type of alert messages on the alerts topic. */
export const ALERT_EVENT_TYPE = 'alert.raised' satisfies EventType;
/** Outbox `destination` of alert events (not a configured destination: lifecycle events never go there). */
export const ALERTS_DESTINATION = 'monitoring-alerts';

/** The outbox row of an alert: its value rendered now (an alert never changes). */
export function alertEvent(alert: Alert, topic: string): OutboxEvent {
  const eventId = randomUUID();
  return {
    eventId,
    destination: ALERTS_DESTINATION,
    topic,
    type: ALERT_EVENT_TYPE,
    recordId: alert.alertId,
    recordVersion: 1,
    key: alert.uscc ?? alert.region ?? (alert.connector ? `connector:${alert.connector}` : `${alert.kind}:${String(alert.details.username ?? alert.details.uploadId ?? '')}`),
    payload: JSON.stringify({ eventId, type: ALERT_EVENT_TYPE, occurredAt: alert.raisedAt, alert }),
    maskPersonalIds: false,
  };
}
