/** The Kafka event contract (DESIGN.md §5): value, key and headers of one message. Pure. */
import { randomUUID } from 'node:crypto';
import type { DestinationConfig } from '../config/load.js';
import { maskEnvelope, type RecordEnvelope } from '../domain/record.js';

export type EventType = 'record.upserted' | 'record.status_changed' | 'record.retracted';
export const EVENT_SCHEMA = 'credit-record/v1';

export interface OutboxEvent {
  eventId: string;
  destination: string;
  topic: string;
  type: EventType;
  recordId: string;
  recordVersion: number;
  key: string;
  payload: string;
}

export function buildEvent(
  type: EventType,
  record: RecordEnvelope,
  subjectKey: string,
  dest: DestinationConfig,
  occurredAt: string,
): OutboxEvent {
  const eventId = randomUUID();
  const published = dest.maskPersonalIds ? maskEnvelope(record) : record;
  return {
    eventId,
    destination: dest.name,
    topic: dest.topic,
    type,
    recordId: record.recordId,
    recordVersion: record.version,
    key: subjectKey,
    payload: JSON.stringify({ eventId, type, occurredAt, record: published }),
  };
}

export function eventHeaders(row: { eventId: string; type: string; recordId: string; recordVersion: number }): Record<string, string> {
  return {
    'event-id': row.eventId,
    'event-type': row.type,
    'record-id': row.recordId,
    'record-version': String(row.recordVersion),
    schema: EVENT_SCHEMA,
    'content-type': 'application/json',
  };
}
