/**
 * A destination's Kafka message as a delivery sees it: the event contract (src/outbox/events.ts,
 * README "Kafka contract") checked, or the reason it cannot be delivered (a poison event, parked).
 * Pure.
 */
import { isUtf8 } from 'node:buffer';
import { isUuid } from '../domain/uuid-v5.js';

export type RecordEventType = 'record.upserted' | 'record.status_changed' | 'record.retracted';

const TYPES: readonly string[] = ['record.upserted', 'record.status_changed', 'record.retracted'];

export interface DeliveryEvent {
  offset: number;
  eventId: string;
  type: RecordEventType;
  recordId: string;
  version: number;
  occurredAt: string;
  /** the record envelope as published (read from recordJson when first asked for) */
  readonly record: Record<string, unknown>;
  /**
   * the record's JSON exactly as the message carries it (a view of the value's bytes), when the value
   * is laid out as the relay renders it (src/outbox/events.ts renderRecordEvent); otherwise null
   */
  recordJson: Buffer | null;
}

export interface PoisonEvent {
  offset: number;
  reason: string;
  /** what the headers say, when they say it */
  eventId: string | null;
  recordId: string | null;
  version: number | null;
  type: string | null;
  valueExcerpt: string | null;
}

export interface RawMessage {
  offset: string;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

function header(m: RawMessage, name: string): string | null {
  const v = m.headers?.[name];
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? null : one.toString();
}

function poison(m: RawMessage, reason: string): PoisonEvent {
  const eventId = header(m, 'event-id');
  const recordId = header(m, 'record-id');
  const version = Number(header(m, 'record-version'));
  return {
    offset: Number(m.offset),
    reason,
    eventId: eventId && isUuid(eventId) ? eventId : null,
    recordId: recordId && isUuid(recordId) ? recordId : null,
    version: Number.isSafeInteger(version) && version > 0 ? version : null,
    type: header(m, 'event-type'),
    valueExcerpt: m.value ? m.value.toString('utf8').slice(0, 500) : null,
  };
}

/**
 * The message's event, or why it is poison. With `wholeRecord` (a way that reads every record) the
 * value is parsed once, whole, and recordJson is null; otherwise a value of the relay's layout keeps its
 * record's bytes, parsed only when asked for.
 */
export function readDeliveryEvent(m: RawMessage, wholeRecord = false): DeliveryEvent | PoisonEvent {
  if (!m.value) return poison(m, 'the message has no value');
  // RFC 8259: JSON exchanged between systems is UTF-8; a value that is not would reach the platform
  // with its bytes as they are (a package) or with replacement characters (serialised again)
  if (!isUtf8(m.value)) return poison(m, 'the value is not UTF-8');
  return (wholeRecord ? null : renderedEvent(m, m.value)) ?? anyEvent(m, m.value);
}

/** A value of any layout: parsed whole, each member checked; the record is serialised again when delivered. */
function anyEvent(m: RawMessage, bytes: Buffer): DeliveryEvent | PoisonEvent {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return poison(m, 'the value is not JSON');
  }
  const v = value as { eventId?: unknown; type?: unknown; occurredAt?: unknown; record?: { recordId?: unknown; version?: unknown } };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return poison(m, 'the value is not an object');
  if (typeof v.eventId !== 'string' || !isUuid(v.eventId)) return poison(m, 'eventId is missing or not a UUID');
  if (typeof v.type !== 'string' || !TYPES.includes(v.type)) return poison(m, `type ${JSON.stringify(v.type)} is not a record event type`);
  const record = v.record;
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return poison(m, 'record is missing');
  if (typeof record.recordId !== 'string' || !isUuid(record.recordId)) return poison(m, 'record.recordId is missing or not a UUID');
  if (!Number.isSafeInteger(record.version) || (record.version as number) < 1) return poison(m, 'record.version is not a positive integer');
  return {
    offset: Number(m.offset),
    eventId: v.eventId,
    type: v.type as RecordEventType,
    recordId: record.recordId,
    version: record.version as number,
    occurredAt: typeof v.occurredAt === 'string' ? v.occurredAt : '',
    record: record as Record<string, unknown>,
    recordJson: null,
  };
}

/**
 * The relay's layout (src/outbox/events.ts renderRecordEvent) up to the record's opening brace, read as
 * Latin-1: the three members as JSON.stringify writes a UUID, a type and a time without escapes.
 */
const RENDERED_HEAD = /^\{"eventId":"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})","type":"([a-z._]{1,40})","occurredAt":"([ !#-[\]-~]{0,100})","record":\{/;
const RENDERED_HEAD_MAX = 250;
const CLOSING_BRACE = 0x7d;

/**
 * A value of the relay's layout `{"eventId":…,"type":…,"occurredAt":…,"record":{…}}`, read without
 * decoding its text; null for any other (another producer's spacing, order or escaping), and for a value
 * this layout does not make an event of (anyEvent then says why).
 *
 * The head is matched as above; the rest, but for the value's closing brace, must parse as one object
 * on its own — the record, whose bytes a package then takes as they are. It is parsed as Latin-1: the
 * bytes are UTF-8 (checked before), JSON's structure is ASCII and every byte from 0x80 up is a
 * character a JSON string may hold, so Latin-1 accepts exactly the texts UTF-8 decoding would, and the
 * members read here (a UUID, an integer) are ASCII either way — at a third of the cost of decoding the
 * text (most of a package's time went to that). The record is read from its UTF-8 bytes only when a way
 * asks for it (the database way's columns, a retraction's status).
 */
function renderedEvent(m: RawMessage, bytes: Buffer): DeliveryEvent | null {
  if (bytes[bytes.length - 1] !== CLOSING_BRACE) return null;
  const head = RENDERED_HEAD.exec(bytes.toString('latin1', 0, Math.min(bytes.length, RENDERED_HEAD_MAX)));
  if (!head || !TYPES.includes(head[2]!)) return null;
  const recordJson = bytes.subarray(head[0].length - 1, bytes.length - 1);
  let latin1: { recordId?: unknown; version?: unknown };
  try {
    latin1 = JSON.parse(recordJson.toString('latin1')) as typeof latin1;
  } catch {
    return null;
  }
  if (typeof latin1 !== 'object' || latin1 === null || Array.isArray(latin1)) return null;
  if (typeof latin1.recordId !== 'string' || !isUuid(latin1.recordId)) return null;
  if (!Number.isSafeInteger(latin1.version) || (latin1.version as number) < 1) return null;
  let record: Record<string, unknown> | undefined;
  return {
    offset: Number(m.offset),
    eventId: head[1]!,
    type: head[2] as RecordEventType,
    recordId: latin1.recordId,
    version: latin1.version as number,
    occurredAt: head[3]!,
    get record() {
      return (record ??= JSON.parse(recordJson.toString('utf8')) as Record<string, unknown>);
    },
    recordJson,
  };
}

export function isPoison(e: DeliveryEvent | PoisonEvent): e is PoisonEvent {
  return 'reason' in e;
}
