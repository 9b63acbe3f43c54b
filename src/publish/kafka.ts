/** kafkajs client and producer for the relay, with kafkajs logs routed into pino. */
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
  // One request in flight keeps per-partition order even when a request is retried.
  return kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
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
