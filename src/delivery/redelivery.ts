/**
 * An operator's re-delivery of a record to a destination (the console's 重新交付, and
 * POST /v1/records/:recordId/deliveries/:destination/redelivery): the event the destination last had
 * for the record is queued again under a new event id, and the record's state there becomes `queued`
 * until the delivery consumer hands that event over. For a platform that rejected a record for a
 * reason on its own side, now fixed; a record whose content changed is delivered again without this.
 */
import type pg from 'pg';
import type { RecordGrant } from '../domain/grant.js';
import type { Outbox } from '../outbox/outbox.js';
import { lockDeliveryState, markQueued, type DeliveryState } from '../store/deliveries-repo.js';

export type RedeliveryResult =
  | { outcome: 'queued'; state: DeliveryState }
  | { outcome: 'not_found' }
  /** the event cannot be rendered again: its destination is no longer configured, or its version is gone */
  | { outcome: 'event_gone'; state: DeliveryState };

export function redeliver(pool: pg.Pool, outbox: Outbox, recordId: string, destination: string, grant: RecordGrant | null): Promise<RedeliveryResult> {
  return outbox.transaction(pool, async (client): Promise<RedeliveryResult> => {
    const current = await lockDeliveryState(client, recordId, destination, grant);
    if (!current) return { outcome: 'not_found' };
    if (current.state === 'queued') return { outcome: 'queued', state: current };
    const eventId = await outbox.redelivery(client, current);
    if (!eventId) return { outcome: 'event_gone', state: current };
    return { outcome: 'queued', state: await markQueued(client, recordId, destination, eventId) };
  });
}
