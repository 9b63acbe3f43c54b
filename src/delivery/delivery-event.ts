/**
 * A destination's Kafka message as a delivery sees it: the event contract (src/outbox/events.ts,
 * README "Kafka contract") checked, or the reason it cannot be delivered (a poison event, parked).
 * Pure.
 */
export type RecordEventType = 'record.upserted' | 'record.status_changed' | 'record.retracted';

const TYPES: readonly string[] = ['record.upserted', 'record.status_changed', 'record.retracted'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface DeliveryEvent {
  offset: number;
  eventId: string;
  type: RecordEventType;
  recordId: string;
  version: number;
  occurredAt: string;
  /** the record envelope as published */
  record: Record<string, unknown>;
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
    eventId: eventId && UUID.test(eventId) ? eventId : null,
    recordId: recordId && UUID.test(recordId) ? recordId : null,
    version: Number.isSafeInteger(version) && version > 0 ? version : null,
    type: header(m, 'event-type'),
    valueExcerpt: m.value ? m.value.toString('utf8').slice(0, 500) : null,
  };
}

/** The message's event, or why it is poison. */
export function readDeliveryEvent(m: RawMessage): DeliveryEvent | PoisonEvent {
  if (!m.value) return poison(m, 'the message has no value');
  let value: unknown;
  try {
    value = JSON.parse(m.value.toString('utf8'));
  } catch {
    return poison(m, 'the value is not JSON');
  }
  const v = value as { eventId?: unknown; type?: unknown; occurredAt?: unknown; record?: { recordId?: unknown; version?: unknown } };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return poison(m, 'the value is not an object');
  if (typeof v.eventId !== 'string' || !UUID.test(v.eventId)) return poison(m, 'eventId is missing or not a UUID');
  if (typeof v.type !== 'string' || !TYPES.includes(v.type)) return poison(m, `type ${JSON.stringify(v.type)} is not a record event type`);
  const record = v.record;
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return poison(m, 'record is missing');
  if (typeof record.recordId !== 'string' || !UUID.test(record.recordId)) return poison(m, 'record.recordId is missing or not a UUID');
  if (!Number.isSafeInteger(record.version) || (record.version as number) < 1) return poison(m, 'record.version is not a positive integer');
  return {
    offset: Number(m.offset),
    eventId: v.eventId,
    type: v.type as RecordEventType,
    recordId: record.recordId,
    version: record.version as number,
    occurredAt: typeof v.occurredAt === 'string' ? v.occurredAt : '',
    record: record as Record<string, unknown>,
    recordJson: renderedRecordJson(m.value, v as Record<string, unknown>),
  };
}

const RENDERED_KEYS = ['eventId', 'type', 'occurredAt', 'record'];
const OPENING_BRACE = 0x7b;
const CLOSING_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether `json` (a part of a valid JSON text that begins with `{`) is one object: its braces, outside
 * strings, first balance at its last byte. A value with the record member twice fails here.
 */
function isOneObject(json: Buffer): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const b = json[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPENING_BRACE) depth++;
    else if (b === CLOSING_BRACE && --depth === 0) return i === json.length - 1;
  }
  return false;
}

/**
 * Where the record's JSON lies in a value of the relay's layout `{"eventId":…,"type":…,"occurredAt":…,"record":{…}}`:
 * the value (valid JSON, parsed as `v`) has exactly these members in this order, begins with the first
 * three written as JSON.stringify writes them, and ends with the record, one object, and its closing
 * brace. Any other layout (another producer's spacing, escaping or a repeated member) gives null, and
 * the record is serialised again.
 */
function renderedRecordJson(value: Buffer, v: Record<string, unknown>): Buffer | null {
  const keys = Object.keys(v);
  if (keys.length !== RENDERED_KEYS.length || keys.some((k, i) => k !== RENDERED_KEYS[i])) return null;
  const head = Buffer.from(`{"eventId":${JSON.stringify(v.eventId)},"type":${JSON.stringify(v.type)},"occurredAt":${JSON.stringify(v.occurredAt)},"record":`);
  const end = value.length - 1;
  if (end <= head.length || value[end] !== CLOSING_BRACE || value[head.length] !== OPENING_BRACE) return null;
  if (!value.subarray(0, head.length).equals(head)) return null;
  const record = value.subarray(head.length, end);
  return isOneObject(record) ? record : null;
}

export function isPoison(e: DeliveryEvent | PoisonEvent): e is PoisonEvent {
  return 'reason' in e;
}
