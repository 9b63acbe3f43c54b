/** What the delivery tests of every way do against an in-process gateway: push records, read states and metrics, publish an event again. */
import { Kafka, logLevel } from 'kafkajs';
import { expect } from 'vitest';
import { kafkaBrokers, uniqueName, type TestGateway } from '../support/env.js';
import { httpClient } from '../support/http-client.js';

export function deliveryHelpers(gw: () => TestGateway) {
  const { post, get } = httpClient(() => gw().url);

  async function ingest(items: unknown[]): Promise<string[]> {
    const res = await post('/v1/records', { records: items });
    expect(res.status).toBe(200);
    expect(res.body.summary.rejected).toBe(0);
    return res.body.results.map((r: { recordId: string }) => r.recordId);
  }

  /** Revokes the record (an objection filed and upheld with outcome revoked): its retraction goes out. */
  async function revoke(recordId: string): Promise<void> {
    const filed = await post(`/v1/records/${recordId}/objections`, { reason: '名单信息有误' });
    expect(filed.status).toBe(201);
    const decided = await post(`/v1/objections/${filed.body.objection.objectionId}/decision`, { decision: 'upheld', outcome: 'revoked', reason: '异议成立，撤销' });
    expect(decided.status).toBe(200);
  }

  /** The record's delivery state at `destination` (undefined before it has one). */
  async function stateOf(recordId: string, destination: string): Promise<any> {
    const res = await get(`/v1/records/${recordId}`);
    return res.body.deliveries?.find((d: { destination: string }) => d.destination === destination);
  }

  /** A metric's value with these labels, or null when it is not exposed. */
  async function metric(name: string, labels: string): Promise<number | null> {
    const text = await (await fetch(`${gw().url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : null;
  }

  /** The record's message as the relay published it, read back from the topic and published there again (at a later offset). */
  async function publishAgain(topic: string, recordId: string): Promise<void> {
    const kafka = new Kafka({ clientId: 'test-twice', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: uniqueName('twice') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const published = await new Promise<{ key: Buffer | null; value: Buffer | null; headers: Record<string, any> }>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => { if (message.headers?.['record-id']?.toString() === recordId) resolve(message as any); } });
    });
    await consumer.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: published.key, value: published.value, headers: published.headers }] });
    await producer.disconnect();
  }

  return { post, get, ingest, revoke, stateOf, metric, publishAgain };
}
