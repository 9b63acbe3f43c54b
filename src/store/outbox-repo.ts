/**
 * What the relay (src/publish/relay.ts) publishes, as the store keeps it:
 * - record events: the version rows that have destinations, read in the order of their place in the
 *   relay's feed (record_versions.feed_seq) past the relay's cursor (relay_cursor), up to the change
 *   feed's horizon (feed-horizon.ts);
 * - the `outbox` table: events queued in the transaction of the change they report that have no
 *   version to read from (alerts, operators' re-deliveries, record events queued before migration
 *   025), claimed off the unsent.
 * Both are counted for /readyz and /metrics. Also the relay lease, the session advisory lock that lets
 * one process at a time publish.
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
 * Queues an operator's re-delivery of a record event (its value rendered from the version, like the
 * relay's record events); the same event id queued twice is queued once. The id is looked for among the
 * record's events for the destination (outbox_record_idx): no index on event ids is kept for this rare
 * path. The caller holds the record's delivery state for the destination (lockDeliveryState), so no
 * other re-delivery for it runs at the same time.
 */
export async function queueRedelivery(db: Queryable, e: OutboxEvent): Promise<void> {
  await db.query(
    `WITH queued AS (
       INSERT INTO outbox (event_id, destination, topic, event_type, record_id, record_version, message_key, payload, mask_personal_ids)
       SELECT $1, $2, $3, $4, $5, $6, $7, NULL, $8
        WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE record_id = $5 AND destination = $2 AND event_id = $1)
       RETURNING id)
     INSERT INTO outbox_unsent (id) SELECT id FROM queued`,
    [e.eventId, e.destination, e.topic, e.type, e.recordId, e.recordVersion, e.key, e.maskPersonalIds],
  );
}

/** The Kafka key of a record version's events; null when there is no such version. */
export async function versionMessageKey(db: Queryable, recordId: string, version: number): Promise<string | null> {
  const { rows } = await db.query<{ key: string }>(
    // versions written before migration 025 keep no key: theirs was the record's subject key
    `SELECT coalesce(v.message_key, r.subject_key) AS key
       FROM record_versions v JOIN records r ON r.record_id = v.record_id
      WHERE v.record_id = $1 AND v.version = $2`,
    [recordId, version],
  );
  return rows[0]?.key ?? null;
}

/**
 * For each record, the destinations that have been sent (or queued) any event of it: the ones to tell
 * about later status changes. Its versions say so, and the outbox for events queued there (before
 * migration 025, and re-deliveries, which go to a destination that had the record anyway).
 */
export async function destinationsThatHad(db: Queryable, recordIds: readonly string[]): Promise<Map<string, Set<string>>> {
  const { rows } = await db.query<{ record_id: string; destination: string }>(
    `SELECT record_id, unnest(destinations) AS destination FROM record_versions WHERE record_id = ANY($1::uuid[]) AND destinations IS NOT NULL
     UNION
     SELECT record_id, destination FROM outbox WHERE record_id = ANY($1::uuid[])`,
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
// The relay's round: claim the oldest unsent outbox events, read the record versions next in the feed,
// publish them and move the cursor past them, in one transaction.
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

/**
 * The relay's cursor (every version up to it is published), locked until the claim transaction ends: a
 * round that overlapped another (a lease lost with a round in flight) waits here and reads the cursor
 * the other one left, so it never publishes the same versions twice.
 */
export async function lockRelayCursor(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ feed_seq: number }>('SELECT feed_seq FROM relay_cursor FOR UPDATE');
  return rows[0]!.feed_seq;
}

/** Moves the relay's cursor (in the claim transaction, after the broker has what it passes). */
export async function moveRelayCursor(client: pg.ClientBase, feedSeq: number): Promise<void> {
  await client.query('UPDATE relay_cursor SET feed_seq = $1', [feedSeq]);
}

/** A record version with events, as the relay reads it from the feed. */
export interface FeedVersion {
  feed_seq: number;
  record_id: string;
  version: number;
  change_kind: string;
  destinations: string[];
  message_key: string;
  envelope: string;
  recorded_at: Date;
}

/**
 * Up to $3 versions with events past the cursor ($1) and up to the feed's horizon ($2), in feed order:
 * a walk of record_versions_feed_idx that stops at the limit.
 */
export const READ_FEED = `SELECT feed_seq, record_id, version, change_kind, destinations, message_key, envelope::text AS envelope, recorded_at
  FROM record_versions WHERE feed_seq > $1 AND feed_seq <= $2 ORDER BY feed_seq LIMIT $3`;

export async function readFeed(client: pg.ClientBase, afterSeq: number, horizon: number, limit: number): Promise<FeedVersion[]> {
  const { rows } = await client.query<FeedVersion>(READ_FEED, [afterSeq, horizon, limit]);
  return rows;
}

/** Gives the lease back (the caller then returns the connection to the pool). */
export async function releaseRelayLease(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCKS.relayLease]);
}

/**
 * A record event as the store holds it: a destination of a version (no event id or type stored: they
 * follow from the version), or a record event queued in the outbox (its id and type stored).
 */
export interface RecordEventRow {
  event_id: string | null;
  event_type: string | null;
  change_kind: string | null;
  destination: string;
  record_id: string;
  version: number;
  key: string;
  /** whether the relay has published it */
  sent: boolean;
}

/**
 * Every record event the store holds (for the benchmarks, the demo and tests, through
 * src/outbox/outbox.ts listRecordEvents; the gateway itself never lists them): the outbox's in id
 * order, then the versions' in feed order, one per destination.
 */
export async function recordEventRows(db: Queryable, filter: { destination?: string; recordId?: string }): Promise<RecordEventRow[]> {
  const { rows } = await db.query<RecordEventRow>(
    `SELECT event_id, event_type, change_kind, destination, record_id, version, key, sent FROM (
       SELECT o.event_id::text, o.event_type, NULL AS change_kind, o.destination, o.record_id::text, o.record_version AS version, o.message_key AS key,
              NOT EXISTS (SELECT 1 FROM outbox_unsent u WHERE u.id = o.id) AS sent, 0 AS part, o.id AS ord
         FROM outbox o WHERE o.payload IS NULL
       UNION ALL
       SELECT NULL, NULL, v.change_kind, d.destination, v.record_id::text, v.version, v.message_key,
              v.feed_seq <= (SELECT feed_seq FROM relay_cursor), 1, v.feed_seq
         FROM record_versions v CROSS JOIN unnest(v.destinations) AS d(destination) WHERE v.feed_seq IS NOT NULL) e
      WHERE ($1::text IS NULL OR destination = $1) AND ($2::text IS NULL OR record_id = $2)
      ORDER BY part, ord, destination`,
    [filter.destination ?? null, filter.recordId ?? null],
  );
  return rows;
}

/**
 * Backlog figures for /readyz and /metrics: the versions with events past the relay's cursor and the
 * outbox's unsent. The oldest of each is the first in its order (positions and ids rise with time):
 * one row read for each, not a join with all of them.
 */
export async function outboxBacklog(db: Queryable): Promise<{ backlog: number; oldestAgeSeconds: number }> {
  const { rows } = await db.query<{ backlog: number; oldest: Date | null }>(
    `WITH feed AS (SELECT count(*)::int AS n, min(feed_seq) AS first FROM record_versions WHERE feed_seq > (SELECT feed_seq FROM relay_cursor)),
          unsent AS (SELECT count(*)::int AS n, min(id) AS first FROM outbox_unsent)
     SELECT feed.n + unsent.n AS backlog,
            least((SELECT recorded_at FROM record_versions WHERE feed_seq = feed.first),
                  (SELECT created_at FROM outbox WHERE id = unsent.first)) AS oldest
       FROM feed, unsent`,
  );
  const row = rows[0]!;
  return { backlog: row.backlog, oldestAgeSeconds: row.oldest ? Math.max(0, (Date.now() - row.oldest.getTime()) / 1000) : 0 };
}
