/**
 * One batch of a destination's partition, delivered: poison events parked, the rest handed to the
 * platform package by package (skipping what an earlier package already holds), each package and its
 * events' states recorded. Throws when the platform or the store did not take it: the caller retries
 * the whole batch, which then changes nothing that was done before.
 */
import type pg from 'pg';
import type { Metrics } from '../metrics.js';
import { packageCovering, parkEvents, recordPackage } from '../store/deliveries-repo.js';
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
    const covered = await packageCovering(deps.pool, where.destination, where.partition, pending[0]!.offset);
    const upTo = covered ? covered.lastOffset : await handOver(deps, where, pending);
    pending = pending.filter((e) => e.offset > upTo);
  }
}

/** One package to the platform and into the store; returns its last offset. */
async function handOver(deps: BatchDeps, where: Where, events: DeliveryEvent[]): Promise<number> {
  const handed = await deps.way.deliver(where, events);
  const recorded = await recordPackage(deps.pool, {
    destination: where.destination, partition: where.partition, firstOffset: handed.firstOffset, lastOffset: handed.lastOffset,
    name: handed.name, sha256: handed.sha256, events: handed.events.length,
  }, handed.events);
  if (recorded) deps.metrics.deliveries.inc({ destination: where.destination, state: 'delivered' }, handed.events.length);
  return handed.lastOffset;
}
