/**
 * The outbox: the only way anything the gateway publishes gets written, always in the transaction of
 * the change itself, so an event exists exactly when its change committed. A record's change (stored,
 * its status moved) is written as a version that names its events' destinations (decided here; the
 * store writes them: src/store/records-repo.ts); alerts and operators' re-deliveries are queued as
 * outbox rows (src/store/outbox-repo.ts). After the commit the relay is woken (src/publish/relay.ts
 * publishes both); without the wake it would find them on its next poll.
 *
 * Which destinations get what: record events go to the destinations whose rules take the record
 * (routing.ts); status changes go to the destinations that had the record; alerts to the alerts topic.
 */
import type pg from 'pg';
import type { DestinationConfig } from '../config/load.js';
import type { RecordEnvelope } from '../domain/record.js';
import type { Alert } from '../store/alerts-repo.js';
import { inTransaction, type Queryable } from '../store/db.js';
import { insertOutboxEvents, outboxBacklog, queueRedelivery, recordEventRows, versionMessageKey } from '../store/outbox-repo.js';
import type { RecordEventRouting } from '../store/records-repo.js';
import { alertEvent, eventTypeOfChange, isRecordEventType, recordEvent, recordEventId, redeliveryEventId, type RecordEventType } from './events.js';
import { destinationsFor } from './routing.js';

export interface OutboxConfig {
  destinations: readonly DestinationConfig[];
  alertsTopic: string;
}

/** The event a destination last had for a record (as its delivery state keeps it). */
export interface LastDelivered {
  recordId: string;
  destination: string;
  eventId: string;
  eventType: string;
  recordVersion: number;
}

export class Outbox implements RecordEventRouting {
  private relay: { wake(): void } | null = null;

  constructor(private readonly cfg: OutboxConfig) {}

  /** The relay to wake after a commit that queued events (none: events wait for a relay's poll). */
  wakes(relay: { wake(): void }): void {
    this.relay = relay;
  }

  /** Call after a commit that queued events, so they go out without waiting for the relay's next poll. */
  committed(): void {
    this.relay?.wake();
  }

  /** Runs `work` in one transaction and wakes the relay after it committed. */
  async transaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const result = await inTransaction(pool, work);
    this.committed();
    return result;
  }

  /** A record created or changed in content: a `record.upserted` to every destination that takes it. */
  destinationsFor(record: RecordEnvelope): string[] {
    return destinationsFor(this.cfg.destinations, record).map((d) => d.name);
  }

  /** A record's status moves: each event to every destination that had been sent the record and is still configured. */
  stillConfigured(had: ReadonlySet<string>): string[] {
    return this.cfg.destinations.filter((d) => had.has(d.name)).map((d) => d.name);
  }

  /**
   * An operator re-delivers the event a destination last had for a record: the same type and version
   * queued again under a new event id (redeliveryEventId), with the destination's topic and masking as
   * configured now. Returns that id, or null when it cannot be rendered any more (the destination is no
   * longer configured, or the delivery state names no record event of a stored version).
   */
  async redelivery(client: pg.ClientBase, last: LastDelivered): Promise<string | null> {
    const dest = this.cfg.destinations.find((d) => d.name === last.destination);
    if (!dest || !isRecordEventType(last.eventType)) return null;
    const key = await versionMessageKey(client, last.recordId, last.recordVersion);
    if (key === null) return null;
    const event = { ...recordEvent(last.eventType, { recordId: last.recordId, version: last.recordVersion }, key, dest), eventId: redeliveryEventId(last.eventId) };
    await queueRedelivery(client, event);
    return event.eventId;
  }

  /** Alerts just raised: one event each on the alerts topic. */
  async alertsRaised(client: pg.ClientBase, alerts: readonly Alert[]): Promise<void> {
    await insertOutboxEvents(client, alerts.map((a) => alertEvent(a, this.cfg.alertsTopic)));
  }
}

/** Polls until no outbox event is waiting, or `timeoutMs` passes; returns the backlog left (0 = drained). */
export async function waitForOutboxDrained(pool: pg.Pool, timeoutMs: number, pollMs = 50): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { backlog } = await outboxBacklog(pool);
    if (backlog === 0 || Date.now() >= deadline) return backlog;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** A record event the store holds, published or not (listRecordEvents). */
export interface StoredRecordEvent {
  eventId: string;
  destination: string;
  type: RecordEventType;
  recordId: string;
  version: number;
  key: string;
  sent: boolean;
}

/**
 * Every record event the store holds, with the ids and types the relay publishes them under: for the
 * benchmarks, the demo and tests (the gateway itself never lists them). The outbox's first (in id
 * order), then the versions' (in feed order, one per destination).
 */
export async function listRecordEvents(db: Queryable, filter: { destination?: string; recordId?: string } = {}): Promise<StoredRecordEvent[]> {
  return (await recordEventRows(db, filter)).map((r) => {
    const type = r.event_type !== null && isRecordEventType(r.event_type) ? r.event_type : eventTypeOfChange(r.change_kind ?? '');
    return {
      eventId: r.event_id ?? recordEventId(r.destination, r.record_id, r.version, type),
      destination: r.destination, type, recordId: r.record_id, version: r.version, key: r.key, sent: r.sent,
    };
  });
}
