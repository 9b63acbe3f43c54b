/**
 * The local KRaft broker (scripts/kafka.sh) is a real Kafka: create a topic, produce with acks=all,
 * consume the messages back. The broker is left running afterwards, whoever started it: other test
 * files and a gateway may share it. `bash scripts/kafka.sh stop` stops it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, Partitioners, logLevel, type Admin, type EachMessagePayload } from 'kafkajs';
import { isLocalBrokerRunning, startLocalBroker } from '../support/kafka.js';

// First run on a fresh machine fetches ~46 MB of jars from Maven Central and formats storage.
const FIRST_START_TIMEOUT = 300_000;

describe('local KRaft Kafka broker', () => {
  let brokers: string[] = [];
  let startedByUs = false;
  let kafka: Kafka;
  let admin: Admin | undefined;
  const topic = `it.local-broker.${Date.now()}.${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    ({ brokers, startedByUs } = await startLocalBroker());
    // NOTHING: kafkajs logs retriable errors (coordinator loading while __consumer_offsets is first
    // created) at ERROR level; real failures still reject and fail the test.
    kafka = new Kafka({ clientId: 'local-broker-test', brokers, logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
  }, FIRST_START_TIMEOUT);

  afterAll(async () => {
    if (admin) {
      await admin.deleteTopics({ topics: [topic], timeout: 10_000 }).catch(() => undefined);
      await admin.disconnect();
    }
    // Deliberately no stopLocalBroker(): even when startedByUs, other processes may now use it.
  }, 60_000);

  it('reports the broker as running and reuses it on a second start', async () => {
    expect(brokers).toEqual([`127.0.0.1:${process.env.LOCAL_KAFKA_PORT ?? 19092}`]);
    expect(typeof startedByUs).toBe('boolean');
    expect(await isLocalBrokerRunning()).toBe(true);
    const again = await startLocalBroker();
    expect(again.startedByUs).toBe(false);
    expect(again.brokers).toEqual(brokers);
  }, 60_000);

  it('creates a topic, produces 3 messages with acks=-1 and consumes them back', async () => {
    if (!admin) throw new Error('admin not connected');
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
      waitForLeaders: true,
      timeout: 30_000,
    });
    expect(created).toBe(true);
    expect(await admin.listTopics()).toContain(topic);

    const sent = [
      { key: '91110000100000000A', value: JSON.stringify({ seq: 1, note: '诚信' }) },
      { key: '91110000100000000A', value: JSON.stringify({ seq: 2 }) },
      { key: '91310000200000000B', value: JSON.stringify({ seq: 3 }) },
    ];

    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    try {
      const meta = await producer.send({ topic, acks: -1, messages: sent });
      expect(meta.every((m) => m.errorCode === 0)).toBe(true);
    } finally {
      await producer.disconnect();
    }

    const received: { key: string; value: string; partition: number; offset: string }[] = [];
    const consumer = kafka.consumer({ groupId: `${topic}.reader`, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${received.length}/3 messages consumed within 60 s`)),
          60_000,
        );
        consumer
          .run({
            eachMessage: async ({ message, partition }: EachMessagePayload) => {
              received.push({
                key: message.key?.toString('utf8') ?? '',
                value: message.value?.toString('utf8') ?? '',
                partition,
                offset: message.offset,
              });
              if (received.length >= sent.length) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch((err: unknown) => {
            clearTimeout(timer);
            reject(err instanceof Error ? err : new Error(String(err)));
          });
      });
    } finally {
      await consumer.disconnect();
    }

    expect(received).toHaveLength(3);
    const byValue = (a: { value: string }, b: { value: string }) => a.value.localeCompare(b.value);
    expect(received.map(({ key, value }) => ({ key, value })).sort(byValue)).toEqual([...sent].sort(byValue));
    // Same key → same partition, in production order.
    const sameKey = received.filter((m) => m.key === '91110000100000000A');
    expect(new Set(sameKey.map((m) => m.partition)).size).toBe(1);
    expect(sameKey.map((m) => JSON.parse(m.value).seq)).toEqual([1, 2]);
  }, 120_000);
});
