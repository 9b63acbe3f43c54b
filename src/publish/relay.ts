/**
 * The outbox relay. One gateway process at a time holds the relay lease (a session advisory lock on
 * a dedicated connection, released by PostgreSQL if the process dies); the holder takes unsent outbox
 * rows off the unsent in id order, publishes them with acks = -1, and commits that claim only after
 * the broker acknowledged. A crash before the commit means the rows are unsent again and sent again,
 * with the same event id; nothing is lost. While the broker is down, rounds fail and back off.
 */
import type { Producer } from 'kafkajs';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { eventHeaders, renderRecordEvent } from '../outbox/events.js';
import { claimUnsent, inClaimTransaction, releaseRelayLease, takeRelayLease, type ClaimedEvent } from '../store/outbox-repo.js';

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

  /** Stops after the round in flight (its rows are either sent and off the unsent, or left for the next relay). */
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
    const client = await takeRelayLease(this.pool);
    if (!client) return false;
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
      await releaseRelayLease(client);
      client.release();
    } catch {
      client.release(true);
    }
  }

  /** One claim → publish round, in one transaction (committed once the broker has the events). Returns how many events were published. */
  private async round(): Promise<number> {
    const rows = await inClaimTransaction(this.pool, async (client) => {
      const claimed = await claimUnsent(client, this.cfg.batchSize);
      if (!claimed.length) return claimed;
      if (!this.connected) {
        await this.connect();
        this.connected = true;
      }
      await this.publish(claimed);
      return claimed;
    });
    const now = Date.now();
    this.status.brokerUp = true;
    if (!rows.length) return 0;
    this.report.published(rows.map((r) => ({ topic: r.topic, ageSeconds: (now - r.created_at.getTime()) / 1000 })));
    this.status.lastError = null;
    this.status.lastSuccessAt = new Date(now).toISOString();
    return rows.length;
  }

  private async publish(rows: ClaimedEvent[]): Promise<void> {
    const byTopic = new Map<string, ClaimedEvent[]>();
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

function renderFromVersion(r: ClaimedEvent): string {
  if (!r.envelope || !r.recorded_at) throw new Error(`outbox event ${r.event_id}: record version ${r.record_id}@${r.record_version} not found`);
  return renderRecordEvent({
    eventId: r.event_id,
    type: r.event_type,
    occurredAt: r.recorded_at.toISOString(),
    recordJson: r.envelope,
    maskPersonalIds: r.mask_personal_ids,
  });
}
