/**
 * The change feed's positions (`records.change_seq`, and the relay's feed positions of record versions,
 * both from the sequence `records_change_seq`) and how a reader pages through them without ever
 * missing one.
 *
 * Writers of `records` take the change-feed lock **shared** before their first position and hold it to
 * commit (joinFeedWriters), so writers run side by side. Their positions are therefore not handed out in
 * commit order: a transaction holding positions 10–15 may commit after one holding 16–20. A reader
 * must not show 16–20 before 10–15 are settled, or a partner whose cursor moved past 20 would never see
 * them. So readers read only up to the **horizon** (feedHorizon): the sequence's last value, read, and
 * then waited on until every transaction that held the lock at that moment has ended (seen in
 * `pg_locks`). A position up to that value was handed out to one of those transactions (a writer holds
 * the lock before its first position), so by then each is committed or rolled back; every later one is
 * handed out after it. A reader that has seen position N never later finds a newly committed change
 * below N. The reader never takes the lock itself: no writer ever waits for a reader (an exclusive lock
 * did that before, every new writer queued behind a reader waiting for a long transaction).
 */
import type pg from 'pg';
import { ADVISORY_LOCKS } from './advisory-locks.js';

const FEED_LOCK = ADVISORY_LOCKS.changeFeed;

/**
 * How long a horizon waits for the writers in flight when it was asked; after that the last horizon is
 * used (a long transaction holds back what readers see, never the writers).
 */
const HORIZON_WAIT_MS = 1000;
/** The pauses between looks at the writers still in flight: doubling from the first to the last. */
const FIRST_PAUSE_MS = 2;
const LAST_PAUSE_MS = 50;

/** Taken by a transaction before its first change_seq, held to its commit. */
export async function joinFeedWriters(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock_shared($1)', [FEED_LOCK]);
}

const READ_POSITION = 'SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS position FROM records_change_seq';

/**
 * The transactions holding the change-feed lock (all of them, or those still among $2). A lock on one
 * bigint key shows in pg_locks as classid (its high 32 bits), objid (its low 32 bits) and objsubid 1.
 */
const FEED_WRITERS = `SELECT coalesce(array_agg(virtualtransaction), '{}') AS writers FROM pg_locks
  WHERE locktype = 'advisory' AND classid = ${Math.floor(FEED_LOCK / 2 ** 32)} AND objid = ${FEED_LOCK % 2 ** 32} AND objsubid = 1 AND granted
    AND ($1::text[] IS NULL OR virtualtransaction = ANY($1::text[]))`;

interface HorizonState {
  /** the highest horizon read so far; a horizon stays true forever */
  last: number;
  running: Promise<number> | null;
  /** the one read that starts when the running one ends, shared by every caller that came meanwhile */
  next: Promise<number> | null;
}

const states = new WeakMap<pg.Pool, HorizonState>();

/**
 * The feed's horizon, read after this call began (so it covers every change committed before it).
 * Concurrent callers share reads: at most one runs and one waits to run, per pool.
 */
export function feedHorizon(pool: pg.Pool): Promise<number> {
  let state = states.get(pool);
  if (!state) states.set(pool, (state = { last: 0, running: null, next: null }));
  const s = state;
  if (s.next) return s.next;
  if (!s.running) return startRead(pool, s);
  s.next = s.running.catch(() => undefined).then(() => {
    s.next = null;
    return startRead(pool, s);
  });
  return s.next;
}

function startRead(pool: pg.Pool, s: HorizonState): Promise<number> {
  const read = readHorizon(pool, s).finally(() => {
    if (s.running === read) s.running = null;
  });
  s.running = read;
  return read;
}

async function readHorizon(pool: pg.Pool, s: HorizonState): Promise<number> {
  // the position first, then who holds the lock: a writer with a position up to it is still there, or done
  const position = Number((await pool.query<{ position: string | number }>(READ_POSITION)).rows[0]!.position);
  const deadline = Date.now() + HORIZON_WAIT_MS;
  let writers: string[] | null = null;
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, LAST_PAUSE_MS)) {
    writers = (await pool.query<{ writers: string[] }>(FEED_WRITERS, [writers])).rows[0]!.writers;
    if (!writers.length) break;
    // a writer held its transaction open longer than the wait: the last horizon is still true
    if (Date.now() + pause > deadline) return s.last;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
  s.last = Math.max(s.last, position);
  return s.last;
}
