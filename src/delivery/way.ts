/**
 * What a way of delivery is (GB/T 39443-2020: service interfaces, database docking, file exchange):
 * it hands a first part of a batch's events to the platform and says what the platform now has, and
 * it may have a source of feedback the gateway reads. The batch handler (batch-handler.ts) keeps the
 * guarantees common to every way around it: the partition's hand-over lock, events handed before
 * skipped, the hand-over recorded before the Kafka offsets are committed.
 */
import type { DeliveredEvent, FeedbackEntry } from '../store/deliveries-repo.js';
import type { DeliveryEvent } from './delivery-event.js';

/** the longest reason and field kept from a platform's answer (characters); longer ones are cut, with an ellipsis */
export const MAX_REASON = 2000;
export const MAX_FIELD = 500;

const STORABLE_NOT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A platform's text (a reason, a field) as the gateway keeps it: NUL and lone surrogates, which
 * PostgreSQL text cannot hold, replaced by U+FFFD, and cut to `max` characters with an ellipsis.
 */
/**
 * An answer about a package or event the gateway has not recorded yet (the platform took it in the
 * moment before the gateway recorded it, or a crashed process wrote it and never recorded it) waits
 * this long for the record; after that it is applied by event id, or passed by, with a warning.
 */
export const FEEDBACK_HOLD_MS = 120_000;

export function clip(text: string, max: number): string {
  const clean = text.replace(STORABLE_NOT, '\uFFFD');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** A platform's answer about one event as the gateway keeps it: reason and field kept only as text, clipped. */
export function answerOf(eventId: string, outcome: FeedbackEntry['outcome'], reason: unknown, field: unknown): FeedbackEntry {
  return {
    eventId, outcome,
    reason: typeof reason === 'string' ? clip(reason, MAX_REASON) : null,
    field: typeof field === 'string' ? clip(field, MAX_FIELD) : null,
  };
}

export interface Where {
  destination: string;
  topic: string;
  partition: number;
}

/** What the platform now has: the package (a file package, a request, a set of rows) and the events in it. */
export interface HandedOver {
  /** `<destination>.p<partition>.<first offset>-<last offset>` (package-format.ts packageName) */
  name: string;
  sha256: string;
  firstOffset: number;
  lastOffset: number;
  events: DeliveredEvent[];
  /** false when the platform had the package already (a batch delivered again) */
  written: boolean;
  /** the platform's answers, when the hand-over itself carries them (the service way) */
  feedback?: FeedbackEntry[];
}

/** What a hand-over records of each event (its state's key and version), from an event or a package entry. */
export function deliveredEvents(events: readonly DeliveredEvent[]): DeliveredEvent[] {
  return events.map((e) => ({ eventId: e.eventId, type: e.type, recordId: e.recordId, version: e.version }));
}

/**
 * A platform's answers that the gateway reads on its own time (a feedback directory, a feedback table).
 * `poll` reads what is waiting and hands it to the sink; it acknowledges (archives, moves its cursor)
 * only what the sink took.
 */
export interface FeedbackSource {
  poll(sink: FeedbackSink): Promise<void>;
}

export interface FeedbackSink {
  destination: string;
  /** whether a package is recorded (an answer about a package not recorded yet waits) */
  packageRecorded(name: string): Promise<boolean>;
  /** applies answers to the delivery states (idempotent) */
  apply(entries: FeedbackEntry[]): Promise<void>;
  warn(details: Record<string, unknown>, message: string): void;
}

/** Records a hand-over (its package and its events' states) in the caller's transaction. */
export type RecordHandOver = (handed: HandedOver) => Promise<void>;

export interface DeliveryWay {
  readonly way: 'file' | 'service' | 'database';
  /**
   * Whether the way reads every event's record (the database way's columns): then each message is
   * parsed once, whole; the others take a published record's bytes as they are (readDeliveryEvent).
   */
  readonly readsRecords: boolean;
  /** directories, connections, tables: what must be there before the first batch */
  prepare(): Promise<void>;
  /**
   * Hands the events (in offset order, at least one, none handed before) to the platform; the hand-over
   * may cover only a first part of them. Throws when the platform did not take them (the consumer
   * backs off and tries again); BatchRefused when the platform says the batch itself can never be taken.
   * Calls `record` once with what it hands over, and settles only after it did: a way that knows its
   * hand-over before the platform has it (the file way's package, the database way's rows) calls it
   * while the platform takes it (`alongside`), the service way once the intake answered. The caller's
   * transaction commits after both, so a failure of either hands nothing over for good. BatchRefused is
   * thrown before `record` is called (the refused events are parked instead).
   */
  deliver(where: Where, events: DeliveryEvent[], record: RecordHandOver): Promise<HandedOver>;
  /** null when the answers come with the hand-over */
  readonly feedback: FeedbackSource | null;
  close(): Promise<void>;
}

/** The platform's part of a hand-over and its recording run together; the first failure is thrown once both settled. */
export async function alongside<T>(handOver: Promise<T>, recording: Promise<void>): Promise<T> {
  const [handed, recorded] = await Promise.allSettled([handOver, recording]);
  if (handed.status === 'rejected') throw handed.reason;
  if (recorded.status === 'rejected') throw recorded.reason;
  return handed.value;
}

/** The platform did not take the batch for now; try again, not before `retryAfterMs` when it said so. */
export class PlatformUnavailable extends Error {
  constructor(message: string, readonly retryAfterMs: number | null = null, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PlatformUnavailable';
  }
}

/**
 * The platform says this batch can never be taken as it is (a service's "malformed batch"): its events
 * are parked with the reason, and delivery goes on. `events` is the part of the batch it refused.
 */
export class BatchRefused extends Error {
  constructor(readonly reason: string, readonly events: DeliveryEvent[]) {
    super(`the platform refused the batch: ${reason}`);
    this.name = 'BatchRefused';
  }
}
