/**
 * The delivery consumer of one destination: a kafkajs consumer in group
 * `<kafka.clientId>.delivery.<destination>` (credit-gateway.delivery.<destination>) reading the
 * destination's topic in batches. Several gateway processes share the partitions; a dead one's move
 * to the others. Offsets are committed only after the batch is delivered and recorded; a batch the
 * platform did not take is tried again with backoff and jitter (not before the platform's Retry-After),
 * never skipped; the consumer keeps its place in the group with heartbeats while it waits.
 * `gateway_delivery_consumer_lag{destination}` is the events waiting in this process's partitions:
 * set after each batch, and every LAG_PROBE_MS from the group's committed offsets and the partitions'
 * ends (so a backlog that builds while the platform is down shows while delivery waits).
 */
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { DestinationConfig } from '../config/load.js';
import { deliverBatch, type BatchDeps } from './batch-handler.js';
import { PlatformUnavailable } from './way.js';

const LAG_PROBE_MS = 2000;
const HEARTBEAT_MS = 1000;

export function deliveryGroupId(clientId: string, destination: string): string {
  return `${clientId}.delivery.${destination}`;
}

export class DeliveryConsumer {
  private consumer: Consumer | null = null;
  private stopping = false;
  /** the waits in progress (one per partition delivered at once), each ended early by stop() */
  private readonly waking = new Set<() => void>();
  private readonly lag = new Map<number, number>();
  private assigned: number[] = [];
  private admin: Admin | null = null;
  private probe: NodeJS.Timeout | null = null;
  private probing: Promise<void> | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly dest: DestinationConfig & { delivery: NonNullable<DestinationConfig['delivery']> },
    private readonly deps: BatchDeps,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: this.dest.delivery.maxBytesPerPartition,
      // a dead process's partitions move to the others after 10 s without its heartbeat
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      retry: { retries: 10 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.assigned = e.payload.memberAssignment[this.dest.topic] ?? [];
      for (const partition of [...this.lag.keys()]) if (!this.assigned.includes(partition)) this.lag.delete(partition);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: this.dest.topic, fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: this.dest.delivery.partitionsConcurrently, eachBatch: (p) => this.eachBatch(p) });
      this.admin = this.kafka.admin();
      await this.admin.connect();
    } catch (err) {
      // a start that failed half-way leaves nothing connected: the next start begins afresh
      await this.admin?.disconnect().catch(() => undefined);
      await consumer.disconnect().catch(() => undefined);
      this.admin = null;
      this.consumer = null;
      throw err;
    }
    this.probe = setInterval(() => {
      this.probing ??= this.probeLag().catch(() => undefined).finally(() => (this.probing = null));
    }, LAG_PROBE_MS);
  }

  /** Stops after the batch in hand (delivered and committed, or left for the next owner of its partition). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of this.waking) wake();
    if (this.probe) clearInterval(this.probe);
    await this.probing;
    await this.admin?.disconnect().catch(() => undefined);
    await this.consumer?.disconnect();
  }

  private async eachBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    if (!batch.messages.length) return;
    const where = { destination: this.dest.name, topic: batch.topic, partition: batch.partition };
    let backoff = 0;
    for (;;) {
      if (this.stopping || !p.isRunning() || p.isStale()) return;
      try {
        await deliverBatch(this.deps, where, batch.messages);
        break;
      } catch (err) {
        backoff = Math.min(this.dest.delivery.maxBackoffMs, backoff ? backoff * 2 : 200);
        let delay = Math.round(backoff / 2 + Math.random() * (backoff / 2));
        if (err instanceof PlatformUnavailable && err.retryAfterMs !== null) delay = Math.max(delay, err.retryAfterMs);
        this.log.warn({ err, destination: this.dest.name, partition: batch.partition, retryInMs: delay }, 'delivery: batch not taken; trying again');
        // waits in slices, with a heartbeat after each: a long wait does not cost the partition
        for (let left = delay; left > 0 && !this.stopping && p.isRunning() && !p.isStale(); left -= HEARTBEAT_MS) {
          await this.sleep(Math.min(left, HEARTBEAT_MS));
          await p.heartbeat().catch(() => undefined);
        }
      }
    }
    const last = batch.lastOffset();
    p.resolveOffset(last);
    await this.consumer!.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(Number(last) + 1) }]);
    this.reportLag(batch.partition, Number(batch.highWatermark) - Number(last) - 1);
  }

  private reportLag(partition: number, lag: number): void {
    this.lag.set(partition, Math.max(0, lag));
    let total = 0;
    for (const v of this.lag.values()) total += v;
    this.deps.metrics.deliveryLag.set({ destination: this.dest.name }, total);
  }

  /** The lag of this process's partitions from the group's committed offsets and the partitions' ends. */
  private async probeLag(): Promise<void> {
    if (!this.admin || !this.assigned.length) return;
    const [committed] = await this.admin.fetchOffsets({ groupId: this.groupId, topics: [this.dest.topic] });
    const ends = await this.admin.fetchTopicOffsets(this.dest.topic);
    for (const partition of this.assigned) {
      const end = ends.find((e) => e.partition === partition);
      if (!end) continue;
      const at = Number(committed?.partitions.find((c) => c.partition === partition)?.offset ?? -1);
      this.reportLag(partition, Number(end.high) - (at >= 0 ? at : Number(end.low)));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waking.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waking.add(done);
    });
  }
}
