/**
 * The delivery consumer of one destination: a kafkajs consumer in group
 * `<kafka.clientId>.delivery.<destination>` (credit-gateway.delivery.<destination>) reading the
 * destination's topic in batches. Several gateway processes share the partitions; a dead one's move
 * to the others. Offsets are committed only after the batch is delivered and recorded; a batch the
 * platform did not take is tried again with backoff and jitter, never skipped.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { DestinationConfig } from '../config/load.js';
import { deliverBatch, type BatchDeps } from './batch-handler.js';

export function deliveryGroupId(clientId: string, destination: string): string {
  return `${clientId}.delivery.${destination}`;
}

export class DeliveryConsumer {
  private consumer: Consumer | null = null;
  private stopping = false;
  private wakeUp: (() => void) | null = null;
  private readonly lag = new Map<number, number>();

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
    await consumer.connect();
    await consumer.subscribe({ topic: this.dest.topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch: (p) => this.eachBatch(p) });
  }

  /** Stops after the batch in hand (delivered and committed, or left for the next owner of its partition). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
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
        const delay = Math.round(backoff / 2 + Math.random() * (backoff / 2));
        this.log.warn({ err, destination: this.dest.name, partition: batch.partition, retryInMs: delay }, 'delivery: batch not taken; trying again');
        await this.sleep(delay);
        await p.heartbeat().catch(() => undefined);
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

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
