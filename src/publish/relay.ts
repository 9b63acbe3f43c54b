/**
 * The outbox relay. One gateway process at a time holds the relay lease (a session advisory lock on
 * a dedicated connection, released by PostgreSQL if the process dies). Each round of the holder, in
 * one transaction: takes unsent outbox rows off the unsent in id order, reads the record versions next
 * in the feed after its cursor (up to the change feed's horizon, so no position still being written is
 * passed), publishes all their events with acks = -1, and moves the cursor — committed only after the
 * broker acknowledged. A crash before the commit means the rows are unsent again and the versions past
 * the cursor again, and they are sent again with the same event ids; nothing is lost. While the broker
 * is down, rounds fail and back off.
 */
import type { Message, Producer } from 'kafkajs';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config, DestinationConfig } from '../config/load.js';
import { eventHeaders, eventTypeOfChange, recordEventId, renderRecordEvent } from '../outbox/events.js';
import { byteLength } from '../kafka/record-encoding.js';
import { feedHorizon } from '../store/feed-horizon.js';
import {
  claimUnsent, inClaimTransaction, lockRelayCursor, moveRelayCursor, readFeed, releaseRelayLease, takeRelayLease,
  type ClaimedEvent, type FeedVersion,
} from '../store/outbox-repo.js';

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

/** One message of a round, with the time its event was written (for the age the metrics report). */
export interface RoundMessage {
  topic: string;
  message: Message;
  writtenAt: Date;
}

export class OutboxRelay implements Relay {
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private leaseClient: pg.PoolClient | null = null;
  private connected = false;
  readonly status: RelayStatus = { leader: false, brokerUp: false, lastError: null, lastSuccessAt: null };
  private readonly destinations: Map<string, DestinationConfig>;
  /** destinations named by versions but no longer configured: warned about once each */
  private readonly unknownDestinations = new Set<string>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly producer: Producer,
    private readonly cfg: Config['relay'],
    destinations: readonly DestinationConfig[],
    private readonly log: Logger,
    private readonly report: RelayReport,
    /** connects the producer and makes sure the destination topics exist */
    private readonly connect: () => Promise<void>,
  ) {
    this.destinations = new Map(destinations.map((d) => [d.name, d]));
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

  /**
   * One round, in one transaction (committed once the broker has the events): the outbox's oldest
   * unsent and the feed's next versions, up to a batch of each. Returns how much it did (events
   * published plus versions passed, one whose destinations are all gone from the configuration passed
   * without an event): 0 when there was nothing, and the relay waits for a wake or its next poll.
   */
  private async round(): Promise<number> {
    const horizon = await feedHorizon(this.pool);
    const { messages, versions } = await inClaimTransaction(this.pool, async (client) => {
      const claimed = await claimUnsent(client, this.cfg.batchSize);
      const cursor = await lockRelayCursor(client);
      const feed = this.feedMessages(await readFeed(client, cursor, horizon, this.cfg.batchSize), horizon);
      const messages = [...claimed.map(outboxMessage), ...feed.messages];
      if (messages.length) {
        if (!this.connected) {
          await this.connect();
          this.connected = true;
        }
        await this.publish(messages);
      }
      if (feed.passed > cursor) await moveRelayCursor(client, feed.passed);
      return { messages, versions: feed.versions };
    });
    const now = Date.now();
    this.status.brokerUp = true;
    if (!messages.length) return versions;
    this.report.published(publishedAges(messages, now));
    this.status.lastError = null;
    this.status.lastSuccessAt = new Date(now).toISOString();
    return messages.length + versions;
  }

  /**
   * The events of the feed's next versions, and the feed position the round passes once they are sent.
   * The rows (their envelope texts) are not kept past this: each event's value is its bytes from here
   * on, so a round's texts die young in the relay thread's heap instead of outliving the broker's ack.
   */
  private feedMessages(versions: FeedVersion[], horizon: number): { messages: RoundMessage[]; versions: number; passed: number } {
    const messages: RoundMessage[] = [];
    for (const v of versions) this.addVersionMessages(v, messages);
    return {
      messages,
      versions: versions.length,
      // every position up to the horizon is settled: when the batch did not fill, the feed holds nothing more up to it
      passed: versions.length < this.cfg.batchSize ? horizon : versions[versions.length - 1]!.feed_seq,
    };
  }

  /**
   * A version's events, added to `into`: one per destination it names that is still configured.
   * Loops, not callbacks: a callback made for each row dies with its round, and with it the optimized
   * code V8 compiled for it — the relay thread's frequent full GCs cleared it, and every round compiled
   * it again (`--trace-opt`: the same three closures recompiled each round, up to 30 ms each).
   */
  private addVersionMessages(v: FeedVersion, into: RoundMessage[]): void {
    const type = eventTypeOfChange(v.change_kind);
    for (const name of v.destinations) {
      const dest = this.destinations.get(name);
      if (!dest) {
        this.warnUnknownDestination(name, v);
        continue;
      }
      const eventId = recordEventId(name, v.record_id, v.version, type);
      into.push({
        topic: dest.topic,
        writtenAt: v.recorded_at,
        message: {
          key: v.message_key,
          value: Buffer.from(renderRecordEvent({ eventId, type, occurredAt: v.recorded_at.toISOString(), recordJson: v.envelope, maskPersonalIds: dest.maskPersonalIds })),
          headers: eventHeaders({ eventId, type, recordId: v.record_id, recordVersion: v.version }),
        },
      });
    }
  }

  private warnUnknownDestination(name: string, v: FeedVersion): void {
    if (this.unknownDestinations.has(name)) return;
    this.unknownDestinations.add(name);
    this.log.warn({ destination: name, recordId: v.record_id, version: v.version },
      'outbox relay: a record version names a destination no longer configured; its events for it are not published');
  }

  /**
   * Sends a round's messages in order, in produce requests of at most relay.maxRequestBytes each (a
   * request's bytes bound every partition's batch in it: a batch over the broker's message.max.bytes is
   * refused whole, and the round would fail again every time).
   */
  private async publish(messages: RoundMessage[]): Promise<void> {
    for (const request of requestsOf(messages, this.cfg.maxRequestBytes)) {
      const byTopic = new Map<string, Message[]>();
      for (const m of request) {
        const list = byTopic.get(m.topic) ?? [];
        list.push(m.message);
        byTopic.set(m.topic, list);
      }
      await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })) });
    }
  }
}

/** Each published event's topic and age at `now` (commit to acknowledgement), in seconds. */
function publishedAges(messages: RoundMessage[], now: number): Array<{ topic: string; ageSeconds: number }> {
  const ages: Array<{ topic: string; ageSeconds: number }> = [];
  for (const m of messages) ages.push({ topic: m.topic, ageSeconds: (now - m.writtenAt.getTime()) / 1000 });
  return ages;
}

/** Kafka's own bytes per record beside its key, value and headers (lengths, offsets, attributes), about. */
const RECORD_OVERHEAD_BYTES = 32;

/** Bytes of a key or value as it goes on the wire (none for null). */
const bytesOf = (v: Buffer | string | null | undefined): number => (v === null || v === undefined ? 0 : byteLength(v));

function messageBytes({ message: m }: RoundMessage): number {
  let bytes = RECORD_OVERHEAD_BYTES + bytesOf(m.key) + bytesOf(m.value);
  for (const [name, value] of Object.entries(m.headers ?? {})) bytes += Buffer.byteLength(name) + Buffer.byteLength(String(value));
  return bytes;
}

/** The messages in order, cut into runs of at most `maxBytes` (a message larger than that alone). */
export function requestsOf(messages: RoundMessage[], maxBytes: number): RoundMessage[][] {
  const requests: RoundMessage[][] = [];
  let current: RoundMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = messageBytes(m);
    if (current.length && bytes + size > maxBytes) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length) requests.push(current);
  return requests;
}

/** An outbox row's message: an alert's stored value, or a re-delivered record event rendered from its version. */
function outboxMessage(r: ClaimedEvent): RoundMessage {
  return {
    topic: r.topic,
    writtenAt: r.created_at,
    message: {
      key: r.message_key,
      value: r.payload ?? renderFromVersion(r),
      headers: eventHeaders({ eventId: r.event_id, type: r.event_type, recordId: r.record_id, recordVersion: r.record_version }),
    },
  };
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
