/**
 * The outbox: the only way anything the gateway publishes gets written. Every change to a record
 * (stored, its status moved) and every alert is queued here as events, in the transaction of the
 * change itself (src/store/outbox-repo.ts), so an event exists exactly when its change committed.
 * After the commit the relay is woken (src/publish/relay.ts claims and publishes them);
 * without the wake it would find them on its next poll.
 *
 * Which destinations get what: record events go to the destinations whose rules take the record
 * (routing.ts); status changes go to the destinations that had the record; alerts to the alerts topic.
 */
import type pg from 'pg';
import type { DestinationConfig } from '../config/load.js';
import type { RecordEnvelope } from '../domain/record.js';
import type { Alert } from '../store/alerts-repo.js';
import { inTransaction } from '../store/db.js';
import { copyOutboxEvent, destinationsThatHad, insertOutboxEvents, outboxBacklog } from '../store/outbox-repo.js';
import type { RecordChangeSink, StatusEvent } from '../store/records-repo.js';
import { alertEvent, recordEvent, redeliveryEventId } from './events.js';
import { destinationsFor } from './routing.js';

export interface OutboxConfig {
  destinations: readonly DestinationConfig[];
  alertsTopic: string;
}

export class Outbox implements RecordChangeSink {
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

  /** Records created or changed in content: a `record.upserted` for every destination that takes each. */
  async upserted(client: pg.ClientBase, changed: ReadonlyArray<{ envelope: RecordEnvelope; subjectKey: string }>): Promise<void> {
    await insertOutboxEvents(client, changed.flatMap(({ envelope, subjectKey }) =>
      destinationsFor(this.cfg.destinations, envelope).map((d) => recordEvent('record.upserted', envelope, subjectKey, d))));
  }

  /** Records' status moves: each event to every destination that had been sent its record, in the order given. */
  async statusChanged(client: pg.ClientBase, events: readonly StatusEvent[]): Promise<void> {
    if (!events.length) return;
    const had = await destinationsThatHad(client, [...new Set(events.map((e) => e.envelope.recordId))]);
    await insertOutboxEvents(client, events.flatMap(({ envelope, subjectKey, type }) => {
      const names = had.get(envelope.recordId);
      return this.cfg.destinations.filter((d) => names?.has(d.name)).map((d) => recordEvent(type, envelope, subjectKey, d));
    }));
  }

  /**
   * An operator re-delivers an event: queued again under a new event id (redeliveryEventId). Returns
   * that id, or null when the event is no longer in the outbox.
   */
  async redelivery(client: pg.ClientBase, recordId: string, destination: string, previousEventId: string): Promise<string | null> {
    const eventId = redeliveryEventId(previousEventId);
    return (await copyOutboxEvent(client, recordId, destination, previousEventId, eventId)) ? eventId : null;
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
