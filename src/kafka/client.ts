/** The kafkajs client (logs routed into pino), the relay's producer, and the destination topics: shared by the relay and the delivery consumers. */
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';

export function createKafka(config: Config['kafka'], log: Logger, clientSuffix = ''): Kafka {
  return new Kafka({
    clientId: config.clientId + clientSuffix,
    brokers: config.brokers,
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    // Short client-side retries: the relay owns the long backoff, so a dead broker is noticed quickly.
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, level, label, log: entry }) => {
      const { message, ...extra } = entry;
      const fields = { kafka: namespace, ...extra };
      if (level <= logLevel.ERROR) log.error(fields, `kafka ${label}: ${message}`);
      else log.warn(fields, `kafka ${label}: ${message}`);
    },
  });
}

export function createProducer(kafka: Kafka): Producer {
  // Idempotent: a produce request retried after a timeout is not written twice by the broker, so a
  // slow moment does not fail the relay's round (whose retry would re-send the batch). Retries are
  // bounded (kafkajs warns about that once) so a dead broker still fails the round and the relay backs
  // off; one request in flight keeps per-partition order.
  return kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
  });
}

/** Every topic the gateway publishes to: one per destination, and the monitoring alerts. */
export function publishedTopics(config: Pick<Config, 'destinations' | 'monitoring'>): string[] {
  return [...config.destinations.map((d) => d.topic), config.monitoring.alertsTopic];
}

/** Creates the destination topics that do not exist yet. */
export async function ensureTopics(admin: Admin, topics: string[], numPartitions: number): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (!missing.length) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({ topic, numPartitions, replicationFactor: -1 })),
  });
}
