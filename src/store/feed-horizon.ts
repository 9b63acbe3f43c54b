/**
 * The change feed's positions (`records.change_seq`, from the sequence `records_change_seq`) and how a
 * reader pages through them without ever missing one.
 *
 * Writers of `records` take the change-feed lock **shared** before their first position and hold it to
 * commit (joinFeedWriters), so writers run side by side. Their positions are therefore not handed out in
 * commit order: a transaction holding positions 10–15 may commit after one holding 16–20. A reader
 * must not show 16–20 before 10–15 are settled, or a partner whose cursor moved past 20 would never see
 * them. So readers read only up to the **horizon** (feedHorizon): a short transaction takes the same
 * lock exclusively — granted when no writer holds it, that is when every position handed out so far
 * belongs to a transaction that has ended — and reads the sequence's last value. Every position up to
 * it is committed or rolled back; every later one is handed out after it. A reader that has seen
 * position N never later finds a newly committed change below N.
 */
import type pg from 'pg';
import { ADVISORY_LOCKS } from './advisory-locks.js';

const FEED_LOCK = ADVISORY_LOCKS.changeFeed;

/**
 * How long a horizon waits for the writers in flight. While it waits, new writers wait behind it, so
 * this bounds the stall one long transaction can cause; on timeout the last horizon is used.
 */
const HORIZON_LOCK_TIMEOUT = '1s';

/** Taken by a transaction before its first change_seq, held to its commit. */
export async function joinFeedWriters(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock_shared($1)', [FEED_LOCK]);
}

// One statement list, run by PostgreSQL as one implicit transaction: the lock is released and the
// timeout reset at its end, and on a timeout nothing stays open on the connection.
const READ_HORIZON = `SELECT set_config('lock_timeout', '${HORIZON_LOCK_TIMEOUT}', true);
SELECT pg_advisory_xact_lock(${FEED_LOCK});
SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS horizon FROM records_change_seq`;

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
  try {
    const results = (await pool.query(READ_HORIZON)) as unknown as Array<pg.QueryResult<{ horizon: string | number }>>;
    s.last = Math.max(s.last, Number(results[2]!.rows[0]!.horizon));
  } catch (err) {
    // a writer held its transaction open longer than the timeout: the last horizon is still safe
    if ((err as { code?: string }).code !== '55P03') throw err;
  }
  return s.last;
}
