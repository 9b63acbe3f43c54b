/**
 * One batch of a destination's partition, delivered by the destination's way (file, service, database):
 * poison events parked, the rest handed to the platform package by package (skipping what an earlier package already holds), each package and its
 * events' states recorded (by the way, with or after the hand-over: DeliveryWay.deliver). Each hand-over runs under the partition's lock, so two processes that both
 * hold the batch for a moment (a rebalance, a crashed owner) never hand the same offsets over twice.
 * Answers that come with the hand-over (the service way) are applied in the same transaction; a part
 * of the batch the platform refuses as a whole (BatchRefused) is parked with its reason.
 * Throws when the platform or the store did not take it: the caller retries the whole batch, which
 * then changes nothing that was done before.
 */
import type pg from 'pg';
import type { Queryable } from '../store/db.js';
import type { Metrics } from '../metrics.js';
import { applyFeedback, eventsHandedBefore, packagesAround, parkEvents, recordPackage, withPartitionLock } from '../store/deliveries-repo.js';
import { isPoison, readDeliveryEvent, type DeliveryEvent, type PoisonEvent, type RawMessage } from './delivery-event.js';
import { countFeedback } from './feedback-poller.js';
import { BatchRefused, type DeliveryWay, type RecordHandOver, type Where } from './way.js';

export interface BatchDeps {
  pool: pg.Pool;
  way: DeliveryWay;
  metrics: Metrics;
}

async function park(deps: BatchDeps, where: Where, poison: PoisonEvent[]): Promise<void> {
  if (!poison.length) return;
  const added = await parkEvents(deps.pool, poison.map((p) => ({
    destination: where.destination, topic: where.topic, partition: where.partition, offset: p.offset,
    eventId: p.eventId, recordId: p.recordId, version: p.version, type: p.type, reason: p.reason, valueExcerpt: p.valueExcerpt,
  })));
  if (added) deps.metrics.deliveries.inc({ destination: where.destination, state: 'parked' }, added);
}

export async function deliverBatch(deps: BatchDeps, where: Where, messages: RawMessage[]): Promise<void> {
  const read = messages.map((m) => readDeliveryEvent(m, deps.way.readsRecords));
  await park(deps, where, read.filter(isPoison));
  let pending = read.filter((e): e is DeliveryEvent => !isPoison(e));
  while (pending.length) {
    const upTo = await handOver(deps, where, pending);
    pending = pending.filter((e) => e.offset > upTo);
  }
}

/** The events not handed over before, each once (the relay publishes at least once: an event can stand twice). */
async function notHandedBefore(db: Queryable, destination: string, events: DeliveryEvent[]): Promise<DeliveryEvent[]> {
  const before = await eventsHandedBefore(db, destination, events);
  const seen = new Set<string>();
  return events.filter((e) => {
    if (before.has(e.eventId) || seen.has(e.eventId)) return false;
    seen.add(e.eventId);
    return true;
  });
}

/**
 * The package that starts with the first pending event, to the platform and into the store — or the
 * one recorded before that holds it. Returns the package's last offset.
 */
async function handOver(deps: BatchDeps, where: Where, pending: DeliveryEvent[]): Promise<number> {
  const { lastOffset, delivered, answered, refused } = await withPartitionLock(deps.pool, where.destination, where.partition, async (client) => {
    const nothing = { answered: { accepted: 0, rejected: 0 }, refused: 0 };
    const first = pending[0]!.offset;
    const { covering, nextStart } = await packagesAround(client, where.destination, where.partition, first);
    if (covering) return { lastOffset: covering.lastOffset, delivered: 0, ...nothing };
    const inRange = nextStart === null ? pending : pending.filter((e) => e.offset < nextStart);
    const events = await notHandedBefore(client, where.destination, inRange);
    if (!events.length) return { lastOffset: inRange[inRange.length - 1]!.offset, delivered: 0, ...nothing };
    let handed;
    let recorded = false;
    const record: RecordHandOver = async (h) => {
      recorded = await recordPackage(client, {
        destination: where.destination, partition: where.partition, firstOffset: h.firstOffset, lastOffset: h.lastOffset,
        name: h.name, sha256: h.sha256, events: h.events.length,
      }, h.events);
    };
    try {
      handed = await deps.way.deliver(where, events, record);
    } catch (err) {
      if (!(err instanceof BatchRefused) || !err.events.length) throw err;
      const added = await parkRefused(deps, where, err);
      return { lastOffset: err.events[err.events.length - 1]!.offset, delivered: 0, answered: nothing.answered, refused: added };
    }
    // the answers that came with the hand-over, applied to the states just recorded
    const answered = handed.feedback?.length ? await applyFeedback(client, where.destination, handed.feedback) : nothing.answered;
    return { lastOffset: handed.lastOffset, delivered: recorded ? handed.events.length : 0, answered, refused: 0 };
  });
  if (delivered) deps.metrics.deliveries.inc({ destination: where.destination, state: 'delivered' }, delivered);
  if (refused) deps.metrics.deliveries.inc({ destination: where.destination, state: 'parked' }, refused);
  countFeedback(deps.metrics, where.destination, answered);
  return lastOffset;
}

/** The events of a batch the platform refused as a whole, parked with its reason; returns how many were new. */
function parkRefused(deps: BatchDeps, where: Where, refused: BatchRefused): Promise<number> {
  return parkEvents(deps.pool, refused.events.map((e) => ({
    destination: where.destination, topic: where.topic, partition: where.partition, offset: e.offset,
    eventId: e.eventId, recordId: e.recordId, version: e.version, type: e.type,
    reason: `the platform refused the batch (平台拒收整批): ${refused.reason}`, valueExcerpt: null,
  })));
}
