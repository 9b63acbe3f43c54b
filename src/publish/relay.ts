/**
 * The outbox relay. One gateway process at a time holds the relay lease (a session advisory lock on
 * a dedicated connection, released by PostgreSQL if the process dies); the holder takes unsent outbox
 * rows in id order, publishes them with acks = -1 and marks them sent in the same transaction that
 * claimed them, only after the broker acknowledged. A crash before the mark means the rows are sent
 * again, with the same event id; nothing is lost. While the broker is down, rounds fail and back off.
 */
import type { Producer } from 'kafkajs';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { eventHeaders, renderRecordEvent } from './events.js';

const RELAY_LEASE = 724_100_003;

/**
 * A round's transaction. The oldest unsent rows must be taken by walking outbox_unsent_idx in id
 * order and stopping at the limit, whatever the planner's estimates. They are usually from a time
 * when next to nothing was unsent (the relay keeps up); when a backlog then builds (a broker outage,
 * a big pull) and the table's rows are scattered by past updates, the planner may prefer a bitmap or
 * sequential scan that reads and sorts the whole backlog for every round (measured: 40–80 ms per round
 * at 50,000 unsent, growing with the backlog), so the relay would fall further behind the bigger its
 * backlog. Both are off for this transaction only.
 */
export const BEGIN_CLAIM = 'BEGIN; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off';

/** The oldest unsent events ($1 at most), locked, with the record version a record event renders. */
export const CLAIM_UNSENT = `SELECT o.id, o.event_id, o.topic, o.event_type, o.record_id, o.record_version, o.message_key, o.payload,
       o.mask_personal_ids, o.created_at, v.envelope::text AS envelope, v.recorded_at
  FROM (SELECT * FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) o
  LEFT JOIN record_versions v ON o.payload IS NULL AND v.record_id = o.record_id AND v.version = o.record_version
 ORDER BY o.id`;

interface OutboxRow {
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

export interface RelayStatus {
  leader: boolean;
  brokerUp: boolean;
  lastError: string | null;
  lastSuccessAt: string | null;
}

/** What the relay tells the rest of the gateway (it runs in a thread of its own: relay-thread.ts). */
export interface RelayReport {
  /** a round's events, acknowledged by the broker: topic and age (commit to acknowledgement) */
  published(events: Array<{ topic: string; ageSeconds: number }>): void;
  failed(): void;
  /** after every round, whatever its outcome */
  status(status: RelayStatus): void;
}

/** The relay as the gateway drives it. */
export interface Relay {
  readonly status: RelayStatus;
  start(): void;
  /** after a commit that queued events, so they go out without waiting for the next poll */
  wake(): void;
  stop(): Promise<void>;
}

export class OutboxRelay implements Relay {
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private leaseClient: pg.PoolClient | null = null;
  private connected = false;
  readonly status: RelayStatus = { leader: false, brokerUp: false, lastError: null, lastSuccessAt: null };

  constructor(
    private readonly pool: pg.Pool,
    private readonly producer: Producer,
    private readonly cfg: Config['relay'],
    private readonly log: Logger,
    private readonly report: RelayReport,
    /** connects the producer and makes sure the destination topics exist */
    private readonly connect: () => Promise<void>,
  ) {
    producer.on(producer.events.DISCONNECT, () => {
      this.connected = false;
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the round in flight (its rows are either marked sent or left for the next relay). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await this.releaseLease();
    this.report.status(this.status);
  }

  /** Ingest calls this after a commit so new events go out without waiting for the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        done();
      };
    });
  }

  private async run(): Promise<void> {
    let backoff = 0;
    while (this.running) {
      this.report.status(this.status);
      try {
        if (!(await this.holdLease())) {
          await this.sleep(Math.max(1000, this.cfg.idleIntervalMs));
          continue;
        }
        const sent = await this.round();
        backoff = 0;
        if (sent === 0) await this.sleep(this.cfg.idleIntervalMs);
      } catch (err) {
        this.connected = false;
        this.report.failed();
        this.status.brokerUp = false;
        this.status.lastError = (err as Error).message;
        backoff = Math.min(this.cfg.maxBackoffMs, backoff ? backoff * 2 : 250);
        const delay = Math.round(backoff / 2 + Math.random() * (backoff / 2));
        this.log.warn({ err, retryInMs: delay }, 'outbox relay round failed');
        await this.sleep(delay);
      }
    }
  }

  private async holdLease(): Promise<boolean> {
    if (this.leaseClient) return true;
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [RELAY_LEASE]);
      if (!rows[0]?.ok) {
        client.release();
        return false;
      }
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    client.on('error', () => this.dropLease());
    this.leaseClient = client;
    this.status.leader = true;
    this.log.info('outbox relay: this process holds the relay lease');
    return true;
  }

  private dropLease(): void {
    const client = this.leaseClient;
    this.leaseClient = null;
    this.status.leader = false;
    client?.release(true);
  }

  private async releaseLease(): Promise<void> {
    const client = this.leaseClient;
    if (!client) return;
    this.leaseClient = null;
    this.status.leader = false;
    try {
      await client.query('SELECT pg_advisory_unlock($1)', [RELAY_LEASE]);
      client.release();
    } catch {
      client.release(true);
    }
  }

  /** One claim → publish → mark round. Returns how many events were published. */
  private async round(): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query(BEGIN_CLAIM);
      const { rows } = await client.query<OutboxRow>(CLAIM_UNSENT, [this.cfg.batchSize]);
      if (!rows.length) {
        await client.query('COMMIT');
        this.status.brokerUp = true;
        return 0;
      }
      if (!this.connected) {
        await this.connect();
        this.connected = true;
      }
      await this.publish(rows);
      await client.query('UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
      await client.query('COMMIT');
      const now = Date.now();
      this.report.published(rows.map((r) => ({ topic: r.topic, ageSeconds: (now - r.created_at.getTime()) / 1000 })));
      this.status.brokerUp = true;
      this.status.lastError = null;
      this.status.lastSuccessAt = new Date(now).toISOString();
      return rows.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private async publish(rows: OutboxRow[]): Promise<void> {
    const byTopic = new Map<string, OutboxRow[]>();
    for (const r of rows) {
      const list = byTopic.get(r.topic) ?? [];
      list.push(r);
      byTopic.set(r.topic, list);
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic,
        messages: list.map((r) => ({
          key: r.message_key,
          value: r.payload ?? renderFromVersion(r),
          headers: eventHeaders({ eventId: r.event_id, type: r.event_type, recordId: r.record_id, recordVersion: r.record_version }),
        })),
      })),
    });
  }
}

function renderFromVersion(r: OutboxRow): string {
  if (!r.envelope || !r.recorded_at) throw new Error(`outbox event ${r.event_id}: record version ${r.record_id}@${r.record_version} not found`);
  return renderRecordEvent({
    eventId: r.event_id,
    type: r.event_type,
    occurredAt: r.recorded_at.toISOString(),
    recordJson: r.envelope,
    maskPersonalIds: r.mask_personal_ids,
  });
}

/** Backlog figures for /readyz and /metrics. */
export async function outboxBacklog(pool: pg.Pool): Promise<{ backlog: number; oldestAgeSeconds: number }> {
  const { rows } = await pool.query<{ backlog: number; oldest: Date | null }>(
    'SELECT count(*)::int AS backlog, min(created_at) AS oldest FROM outbox WHERE sent_at IS NULL',
  );
  const row = rows[0]!;
  return { backlog: row.backlog, oldestAgeSeconds: row.oldest ? Math.max(0, (Date.now() - row.oldest.getTime()) / 1000) : 0 };
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
