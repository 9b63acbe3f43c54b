/**
 * One batch of a destination's partition, delivered: poison events parked, the rest handed to the
 * platform package by package (skipping what an earlier package already holds), each package and its
 * events' states recorded. Each hand-over runs under the partition's lock, so two processes that both
 * hold the batch for a moment (a rebalance, a crashed owner) never hand the same offsets over twice.
 * Throws when the platform or the store did not take it: the caller retries the whole batch, which
 * then changes nothing that was done before.
 */
import type pg from 'pg';
import type { Queryable } from '../store/db.js';
import type { Metrics } from '../metrics.js';
import { eventsHandedBefore, nextPackageStart, packageCovering, parkEvents, recordPackage, withPartitionLock } from '../store/deliveries-repo.js';
import { isPoison, readDeliveryEvent, type DeliveryEvent, type PoisonEvent, type RawMessage } from './delivery-event.js';
import type { FileWay, Where } from './file-way.js';

export interface BatchDeps {
  pool: pg.Pool;
  way: FileWay;
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
  const read = messages.map(readDeliveryEvent);
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
  const { lastOffset, delivered } = await withPartitionLock(deps.pool, where.destination, where.partition, async (client) => {
    const first = pending[0]!.offset;
    const covered = await packageCovering(client, where.destination, where.partition, first);
    if (covered) return { lastOffset: covered.lastOffset, delivered: 0 };
    const next = await nextPackageStart(client, where.destination, where.partition, first);
    const inRange = next === null ? pending : pending.filter((e) => e.offset < next);
    const events = await notHandedBefore(client, where.destination, inRange);
    if (!events.length) return { lastOffset: inRange[inRange.length - 1]!.offset, delivered: 0 };
    const handed = await deps.way.deliver(where, events);
    const recorded = await recordPackage(client, {
      destination: where.destination, partition: where.partition, firstOffset: handed.firstOffset, lastOffset: handed.lastOffset,
      name: handed.name, sha256: handed.sha256, events: handed.events.length,
    }, handed.events);
    return { lastOffset: handed.lastOffset, delivered: recorded ? handed.events.length : 0 };
  });
  if (delivered) deps.metrics.deliveries.inc({ destination: where.destination, state: 'delivered' }, delivered);
  return lastOffset;
}
