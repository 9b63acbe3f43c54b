/**
 * The `outbox` table: events queued in the transaction of the change they report, claimed off the unsent
 * by the relay (src/publish/relay.ts), counted for /readyz and /metrics. Also the relay lease,
 * the session advisory lock that lets one process at a time publish.
 */
import type pg from 'pg';
import { ADVISORY_LOCKS } from './advisory-locks.js';
import { inTransaction, type Queryable } from './db.js';

/** One queued event (src/outbox/events.ts builds them). */
export interface OutboxEvent {
  eventId: string;
  destination: string;
  topic: string;
  type: string;
  /** the record (or alert) the event is about, and its version */
  recordId: string;
  recordVersion: number;
  key: string;
  /** the rendered value; null for record events, which the relay renders from record_versions */
  payload: string | null;
  maskPersonalIds: boolean;
}

/** Queues events: their outbox rows, and each one's place among the unsent (outbox_unsent) until the relay has published it. */
export async function insertOutboxEvents(db: Queryable, events: readonly OutboxEvent[]): Promise<void> {
  if (!events.length) return;
  await db.query(
    `WITH queued AS (
       INSERT INTO outbox (event_id, destination, topic, event_type, record_id, record_version, message_key, payload, mask_personal_ids)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::int[], $7::text[], $8::text[], $9::bool[])
       RETURNING id)
     INSERT INTO outbox_unsent (id) SELECT id FROM queued`,
    [
      events.map((e) => e.eventId),
      events.map((e) => e.destination),
      events.map((e) => e.topic),
      events.map((e) => e.type),
      events.map((e) => e.recordId),
      events.map((e) => e.recordVersion),
      events.map((e) => e.key),
      events.map((e) => e.payload),
      events.map((e) => e.maskPersonalIds),
    ],
  );
}

/**
 * Queues the event `fromEventId` of a record for a destination again under `newEventId` (same type,
 * record version and key; the relay renders its value from the version). Returns false when that event
 * is not in the outbox; queuing the same new id twice queues it once. The events are found among the
 * record's for the destination (outbox_record_idx): no index on event ids is kept for this rare path.
 * The caller holds the record's delivery state for the destination (lockDeliveryState), so no other
 * copy for it runs at the same time.
 */
export async function copyOutboxEvent(db: Queryable, recordId: string, destination: string, fromEventId: string, newEventId: string): Promise<boolean> {
  const { rows } = await db.query(
    `WITH mine AS (SELECT event_id, topic, event_type, record_version, message_key, mask_personal_ids
                     FROM outbox WHERE record_id = $1 AND destination = $2),
          source AS (SELECT * FROM mine WHERE event_id = $3),
          queued AS (INSERT INTO outbox (event_id, destination, topic, event_type, record_id, record_version, message_key, payload, mask_personal_ids)
                     SELECT $4, $2, topic, event_type, $1, record_version, message_key, NULL, mask_personal_ids FROM source
                      WHERE NOT EXISTS (SELECT 1 FROM mine WHERE event_id = $4)
                     RETURNING id),
          unsent AS (INSERT INTO outbox_unsent (id) SELECT id FROM queued)
     SELECT 1 FROM source`,
    [recordId, destination, fromEventId, newEventId],
  );
  return rows.length > 0;
}

/** For each record, the destinations that have been sent (or queued) any event of it: the ones to tell about later status changes. */
export async function destinationsThatHad(db: Queryable, recordIds: readonly string[]): Promise<Map<string, Set<string>>> {
  const { rows } = await db.query<{ record_id: string; destination: string }>(
    'SELECT DISTINCT record_id, destination FROM outbox WHERE record_id = ANY($1::uuid[])',
    [recordIds],
  );
  const had = new Map<string, Set<string>>();
  for (const r of rows) {
    let names = had.get(r.record_id);
    if (!names) had.set(r.record_id, (names = new Set()));
    names.add(r.destination);
  }
  return had;
}

// ---------------------------------------------------------------------------------------------------
// The relay's round: claim the oldest unsent events and publish them, in one transaction.
// ---------------------------------------------------------------------------------------------------

/**
 * A round's transaction. The oldest unsent rows must be taken by walking outbox_unsent's key in id
 * order and stopping at the limit, whatever the planner's estimates. They are usually from a time
 * when next to nothing was unsent (the relay keeps up); when a backlog then builds (a broker outage,
 * a big pull) and the table's rows are scattered by past updates, the planner may prefer a bitmap or
 * sequential scan that reads and sorts the whole backlog for every round (measured: 40–80 ms per round
 * at 50,000 unsent, growing with the backlog), so the relay would fall further behind the bigger its
 * backlog. Both are off for this transaction only, and so are hash and merge joins: the claimed rows
 * find their outbox row and record version by key, where a hash or merge join (which the planner picks
 * for the rows a deletion returns) would read the whole outbox and record_versions index every round.
 */
export const BEGIN_CLAIM = 'BEGIN; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off';

/**
 * The oldest unsent events ($1 at most), taken off the unsent in the claim transaction, with the record
 * version a record event renders. Deleting them is the claim: the rows stay locked (by the deletion)
 * until the transaction ends, and come back if it rolls back (the broker did not take them). A relay
 * holds the lease, so no other claim runs beside it; if one ever did (a lease lost with a round in
 * flight), it would wait for these rows and find them gone, never publish them twice. Locking them
 * first (FOR UPDATE) and deleting them after the broker's ack wrote a second row-lock record per event.
 */
export const CLAIM_UNSENT = `WITH claimed AS (
       DELETE FROM outbox_unsent WHERE id IN (SELECT id FROM outbox_unsent ORDER BY id LIMIT $1) RETURNING id)
SELECT o.id, o.event_id, o.topic, o.event_type, o.record_id, o.record_version, o.message_key, o.payload,
       o.mask_personal_ids, o.created_at, v.envelope::text AS envelope, v.recorded_at
  FROM claimed c
  JOIN outbox o ON o.id = c.id
  LEFT JOIN record_versions v ON o.payload IS NULL AND v.record_id = o.record_id AND v.version = o.record_version
 ORDER BY o.id`;

export interface ClaimedEvent {
  id: number;
  event_id: string;
  topic: string;
  event_type: string;
  record_id: string;
  record_version: number;
  message_key: string;
  payload: string | null;
  mask_personal_ids: boolean;
  created_at: Date;
  /** the record version a record event is about (joined from record_versions) */
  envelope: string | null;
  recorded_at: Date | null;
}

/** Runs a relay round in one claim transaction (BEGIN_CLAIM): committed when `round` resolves, rolled back when it throws. */
export function inClaimTransaction<T>(pool: pg.Pool, round: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(pool, round, BEGIN_CLAIM);
}

/** Up to `limit` of the oldest unsent events, off the unsent unless the claim transaction rolls back. */
export async function claimUnsent(client: pg.ClientBase, limit: number): Promise<ClaimedEvent[]> {
  const { rows } = await client.query<ClaimedEvent>(CLAIM_UNSENT, [limit]);
  return rows;
}

/**
 * The relay lease on a connection of its own, kept out of the pool until released: the connection
 * holding it, or null when another process holds it.
 */
export async function takeRelayLease(pool: pg.Pool): Promise<pg.PoolClient | null> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [ADVISORY_LOCKS.relayLease]);
    if (rows[0]?.ok === true) return client;
    client.release();
    return null;
  } catch (err) {
    client.release(err as Error);
    throw err;
  }
}

/** Gives the lease back (the caller then returns the connection to the pool). */
export async function releaseRelayLease(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCKS.relayLease]);
}

/** Backlog figures for /readyz and /metrics. */
export async function outboxBacklog(db: Queryable): Promise<{ backlog: number; oldestAgeSeconds: number }> {
  const { rows } = await db.query<{ backlog: number; oldest: Date | null }>(
    // the oldest unsent is the lowest id (ids rise with time): one row of outbox read, not a join with all of it
    `SELECT count(*)::int AS backlog, (SELECT created_at FROM outbox WHERE id = min(u.id)) AS oldest FROM outbox_unsent u`,
  );
  const row = rows[0]!;
  return { backlog: row.backlog, oldestAgeSeconds: row.oldest ? Math.max(0, (Date.now() - row.oldest.getTime()) / 1000) : 0 };
}
