/**
 * The service way's intake contract (README "Delivery to platforms", the service way): the batch the
 * gateway POSTs and the answer the platform gives, per event. Pure.
 */
import type { FeedbackEntry } from '../store/deliveries-repo.js';
import type { DeliveryEvent } from './delivery-event.js';
import { entryJson, packageName, type PackageEntry } from './package-format.js';
import { answerOf, clip, MAX_REASON } from './way.js';

export const BATCH_FORMAT = 'credit-delivery-batch/v1';
export const ANSWER_FORMAT = 'credit-delivery-answer/v1';
/** the error code of an answer saying the batch as a whole can never be taken */
export const MALFORMED_BATCH = 'malformed_batch';

export interface IntakeBatch {
  format: typeof BATCH_FORMAT;
  /** the batch's name, also its Idempotency-Key: the same partition and offsets always give the same name */
  batch: string;
  destination: string;
  partition: number;
  firstOffset: number;
  lastOffset: number;
  /** the entries of the file way's data file (package-format.ts PackageEntry) */
  events: PackageEntry[];
}

/** What the gateway keeps of a batch it sent: the batch without its entries, and their event ids (an answer is checked against them). */
export type SentBatch = Omit<IntakeBatch, 'events'> & { eventIds: string[] };

export interface IntakeResult {
  eventId: string;
  outcome: 'accepted' | 'rejected';
  reason?: string;
  field?: string;
}

/** 200: a result per event of the batch. 400/422 with `error`: the batch as a whole is refused. */
export interface IntakeAnswer {
  format: typeof ANSWER_FORMAT;
  batch: string;
  results?: IntakeResult[];
  error?: { code: string; reason: string };
}

const COMMA = Buffer.from(',');
const BATCH_END = Buffer.from(']}');

/**
 * The batch, and its body: the IntakeBatch as JSON, written out with each entry as the file way writes
 * it (package-format.ts entryJson; a record published as the relay renders it is not parsed).
 */
export function renderBatch(where: { destination: string; partition: number }, events: DeliveryEvent[]): { batch: SentBatch; body: Buffer } {
  const first = events[0]!;
  const last = events[events.length - 1]!;
  const head = {
    format: BATCH_FORMAT,
    batch: packageName(where.destination, where.partition, first.offset, last.offset),
    destination: where.destination,
    partition: where.partition,
    firstOffset: first.offset,
    lastOffset: last.offset,
  } as const;
  const pieces: Buffer[] = [Buffer.from(`${JSON.stringify(head).slice(0, -1)},"events":[`)];
  events.forEach((e, i) => pieces.push(...(i ? [COMMA] : []), ...entryJson(e)));
  pieces.push(BATCH_END);
  return { batch: { ...head, eventIds: events.map((e) => e.eventId) }, body: Buffer.concat(pieces) };
}

function parse(text: string): Partial<IntakeAnswer> | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Partial<IntakeAnswer>) : null;
  } catch {
    return null;
  }
}

/** A 2xx answer's results as feedback, or what is wrong with it: every event of the batch needs one result. */
export function readAnswer(text: string, batch: SentBatch): FeedbackEntry[] | string {
  const a = parse(text);
  if (!a) return 'the answer is not a JSON object';
  if (a.format !== ANSWER_FORMAT) return `the answer's format is ${JSON.stringify(a.format ?? null)}, not ${ANSWER_FORMAT}`;
  if (a.batch !== batch.batch) return `the answer is about batch ${JSON.stringify(a.batch)}, not ${batch.batch}`;
  if (!Array.isArray(a.results)) return 'the answer has no results';
  const wanted = new Set(batch.eventIds);
  const byEvent = new Map<string, FeedbackEntry>();
  for (const r of a.results as unknown[]) {
    const x = r as Partial<IntakeResult> | null;
    if (typeof x !== 'object' || x === null || typeof x.eventId !== 'string' || (x.outcome !== 'accepted' && x.outcome !== 'rejected')) {
      return 'a result without eventId or with an outcome other than accepted or rejected';
    }
    if (!wanted.has(x.eventId)) return `a result for event ${x.eventId.slice(0, 100)}, which is not in the batch`;
    if (byEvent.has(x.eventId)) return `two results for event ${x.eventId}`;
    byEvent.set(x.eventId, answerOf(x.eventId, x.outcome, x.reason, x.field));
  }
  const missing = [...wanted].filter((e) => !byEvent.has(e));
  if (missing.length) return `no result for ${missing.length} event(s) of the batch, e.g. ${missing[0]}`;
  return [...byEvent.values()];
}

/**
 * The reason of a 400/422 answer saying this batch is malformed, or null when the answer does not say
 * so in the contract (its format, this batch's name, the malformed_batch code): then it is retried.
 */
export function malformedReason(text: string, batch: SentBatch): string | null {
  const a = parse(text);
  if (a?.format !== ANSWER_FORMAT || a.batch !== batch.batch || a.error?.code !== MALFORMED_BATCH) return null;
  return typeof a.error.reason === 'string' && a.error.reason ? clip(a.error.reason, MAX_REASON) : 'malformed batch';
}

/** A Retry-After header (seconds or an HTTP date) in milliseconds from `now`, or null. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
