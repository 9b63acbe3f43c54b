/**
 * The outbox relay's own thread (started by relay-thread.ts): its own PostgreSQL pool and Kafka
 * producer, so encoding and sending a large batch never holds up the HTTP API or a connector's page
 * commits on the main thread. It reports to the main thread by message: events published, failed
 * rounds (each with the thread's CPU time so far), status changes; it takes `wake` and `stop`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/load.js';
import { createLogger } from '../logger.js';
import { createPool } from '../store/db.js';
import { createKafka, createProducer, ensureTopics, publishedTopics } from '../kafka/client.js';
import { installRecordEncoding } from '../kafka/record-encoding.js';
import { OutboxRelay, type RelayStatus } from './relay.js';
import { threadCpuSeconds } from './thread-cpu.js';

export interface RelayWorkerData {
  config: Config;
  databaseUrl: string;
}

export type RelayCommand = 'wake' | 'stop';

export type RelayMessage =
  | { type: 'published'; events: Array<{ topic: string; ageSeconds: number }>; threadCpuSeconds: number | null }
  | { type: 'failed'; threadCpuSeconds: number | null }
  | { type: 'status'; status: RelayStatus }
  | { type: 'stopped' };

const { config, databaseUrl } = workerData as RelayWorkerData;
const port = parentPort!;
const post = (m: RelayMessage) => port.postMessage(m);
const log = createLogger(config.log.level).child({ thread: 'relay' });
// the lease connection, a round's connection, and one spare
const pool = createPool(databaseUrl, config, { max: 3, applicationName: 'credit-gateway-relay' }, log);
installRecordEncoding(); // before the producer encodes its first request
const kafka = createKafka(config.kafka, log);
const producer = createProducer(kafka);
const admin = kafka.admin();
const topics = publishedTopics(config);

let lastStatus = '';
const relay = new OutboxRelay(pool, producer, config.relay, config.destinations, log, {
  published: (events) => post({ type: 'published', events, threadCpuSeconds: threadCpuSeconds() }),
  failed: () => post({ type: 'failed', threadCpuSeconds: threadCpuSeconds() }),
  status: (status) => {
    const now = JSON.stringify(status);
    if (now === lastStatus) return;
    lastStatus = now;
    post({ type: 'status', status: { ...status } });
  },
}, async () => {
  await producer.connect();
  await admin.connect();
  await ensureTopics(admin, topics, config.relay.topicPartitions);
});

port.on('message', (command: RelayCommand) => {
  if (command === 'wake') relay.wake();
  else void stop();
});

async function stop(): Promise<void> {
  await relay.stop();
  await producer.disconnect().catch(() => undefined);
  await admin.disconnect().catch(() => undefined);
  await pool.end().catch(() => undefined);
  post({ type: 'stopped' });
  port.close();
}

relay.start();
