/**
 * The file way's formats (README "Delivery: the file way"): a package is a JSON Lines data file (one
 * entry per event) and a manifest; the platform answers with a feedback file. Pure.
 */
import { createHash } from 'node:crypto';
import type { DeliveryEvent } from './delivery-event.js';

export const PACKAGE_FORMAT = 'credit-delivery/v1';
export const FEEDBACK_FORMAT = 'credit-delivery-feedback/v1';

export interface PackageManifest {
  format: typeof PACKAGE_FORMAT;
  package: string;
  destination: string;
  topic: string;
  partition: number;
  firstOffset: number;
  lastOffset: number;
  dataFile: string;
  sha256: string;
  events: number;
  counts: Record<string, number>;
  firstEventId: string;
  lastEventId: string;
  createdAt: string;
}

/** One entry of a data file. */
export interface PackageEntry {
  op: 'upsert' | 'retract';
  eventId: string;
  type: string;
  recordId: string;
  version: number;
  occurredAt: string;
  /** upserts: the record envelope of that version (its status included) */
  record?: Record<string, unknown>;
  /** retractions: the status the record retracted from publication has */
  status?: unknown;
}

export interface FeedbackFile {
  format: typeof FEEDBACK_FORMAT;
  package: string;
  results: Array<{ eventId: string; outcome: 'accepted' | 'rejected'; reason?: string; field?: string }>;
}

const pad = (n: number) => String(n).padStart(12, '0');

/** The package's name: the same destination, partition and offsets always give the same name. */
export function packageName(destination: string, partition: number, firstOffset: number, lastOffset: number): string {
  return `${destination}.p${partition}.${pad(firstOffset)}-${pad(lastOffset)}`;
}

/** The prefix of every package of this destination and partition that starts at `firstOffset`. */
export function packagePrefix(destination: string, partition: number, firstOffset: number): string {
  return `${destination}.p${partition}.${pad(firstOffset)}-`;
}

export function entryOf(e: DeliveryEvent): PackageEntry {
  const base = { eventId: e.eventId, type: e.type, recordId: e.recordId, version: e.version, occurredAt: e.occurredAt };
  return e.type === 'record.retracted' ? { op: 'retract', ...base, status: e.record.status } : { op: 'upsert', ...base, record: e.record };
}

const ENTRY_END = Buffer.from('}');

/**
 * An entry as JSON — JSON.stringify(entryOf(e)), written out: an upsert whose event carries its
 * record's JSON as published takes those bytes as they are (serialising every record again was most
 * of the time a package took).
 */
export function entryJson(e: DeliveryEvent): Buffer[] {
  if (e.type === 'record.retracted' || !e.recordJson) return [Buffer.from(JSON.stringify(entryOf(e)))];
  const head = `{"op":"upsert","eventId":${JSON.stringify(e.eventId)},"type":${JSON.stringify(e.type)},"recordId":${JSON.stringify(e.recordId)},`
    + `"version":${e.version},"occurredAt":${JSON.stringify(e.occurredAt)},"record":`;
  return [Buffer.from(head), e.recordJson, ENTRY_END];
}

const NEWLINE = Buffer.from('\n');

export function renderPackage(
  where: { destination: string; topic: string; partition: number },
  events: DeliveryEvent[],
  createdAt: Date,
): { name: string; data: Buffer; manifest: PackageManifest } {
  const first = events[0]!;
  const last = events[events.length - 1]!;
  const name = packageName(where.destination, where.partition, first.offset, last.offset);
  const data = Buffer.concat(events.flatMap((e) => [...entryJson(e), NEWLINE]));
  const counts: Record<string, number> = {};
  for (const e of events) counts[e.type] = (counts[e.type] ?? 0) + 1;
  const manifest: PackageManifest = {
    format: PACKAGE_FORMAT,
    package: name,
    ...where,
    firstOffset: first.offset,
    lastOffset: last.offset,
    dataFile: `${name}.jsonl`,
    sha256: sha256(data),
    events: events.length,
    counts,
    firstEventId: first.eventId,
    lastEventId: last.eventId,
    createdAt: createdAt.toISOString(),
  };
  return { name, data, manifest };
}

/** A data file's entries, each line decoded and parsed on its own (one string of a whole file is megabytes of two-byte text). */
export function readEntries(data: Buffer): PackageEntry[] {
  const entries: PackageEntry[] = [];
  for (let start = 0; start < data.length;) {
    const end = data.indexOf(0x0a, start);
    const stop = end < 0 ? data.length : end;
    if (stop > start) entries.push(JSON.parse(data.toString('utf8', start, stop)) as PackageEntry);
    start = stop + 1;
  }
  return entries;
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A feedback file's content checked, or why it is not one. */
export function readFeedback(text: string): FeedbackFile | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const f = v as Partial<FeedbackFile>;
  if (typeof f !== 'object' || f === null || typeof f.package !== 'string' || !Array.isArray(f.results)) return 'not a feedback file (package, results)';
  for (const r of f.results) {
    if (typeof r !== 'object' || r === null || typeof r.eventId !== 'string' || (r.outcome !== 'accepted' && r.outcome !== 'rejected')) {
      return 'a result without eventId or with an outcome other than accepted or rejected';
    }
  }
  return f as FeedbackFile;
}
