/**
 * `npm run kafka:consume -- <topic> …` (scripts/kafka.sh consume: Kafka's own console consumer, from the
 * kafka-tools jar fetched with the broker's) prints what is on a topic: messages produced with kafkajs
 * to a fresh topic on the local broker come back one line each — partition, offset, headers, key and
 * value — and the run ends by itself after --max-messages. The brokers come from KAFKA_BROKERS.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokers } from '../support/env.js';
import { runNpmScript, type ScriptRun } from '../support/npm-script.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const topic = `it.kafka-consume.${Date.now()}.${randomUUID().slice(0, 8)}`;

/** Runs `npm run kafka:consume -- …`, killed whole after `timeoutMs`. */
function consume(args: string[], env: Record<string, string>, timeoutMs: number): Promise<ScriptRun> {
  return runNpmScript('kafka:consume', args, env, timeoutMs);
}

const sent = [
  { key: '91320583MA1XXXXXX0', value: JSON.stringify({ n: 1, name: '昆山市某某有限公司' }), headers: { 'event-id': randomUUID(), 'event-type': 'record.upserted' } },
  { key: `P:${'ab'.repeat(16)}`, value: JSON.stringify({ n: 2 }), headers: { 'event-id': randomUUID(), 'event-type': 'record.status_changed' } },
  { key: '91320583MA1XXXXXX0', value: JSON.stringify({ n: 3 }), headers: { 'event-id': randomUUID(), 'event-type': 'record.retracted' } },
];

describe('npm run kafka:consume', () => {
  let admin: Admin | undefined;

  beforeAll(async () => {
    // the console tools' jars: already there when this run's global setup started the broker; fetched
    // here (Maven Central, once) when it reused one started before they were part of the fetch
    await new Promise<void>((resolve, reject) => {
      execFile('bash', ['scripts/kafka.sh', 'fetch'], { cwd: REPO, timeout: 600_000 }, (err, _stdout, stderr) => (err ? reject(new Error(`kafka.sh fetch failed: ${stderr}`)) : resolve()));
    });
    const kafka = new Kafka({ clientId: 'kafka-consume-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: sent });
    } finally {
      await producer.disconnect();
    }
  }, 660_000);

  afterAll(async () => {
    await admin?.deleteTopics({ topics: [topic], timeout: 10_000 }).catch(() => undefined);
    await admin?.disconnect();
  });

  it('prints partition, offset, headers, key and value of each message, and stops after --max-messages', async () => {
    // LOCAL_KAFKA_PORT points the default elsewhere: only KAFKA_BROKERS can find the broker
    const run = await consume([topic, '--from-beginning', '--max-messages', String(sent.length), '--timeout-ms', '60000'], { KAFKA_BROKERS: kafkaBrokers().join(','), LOCAL_KAFKA_PORT: '1' }, 90_000);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n').filter((l) => l.startsWith('Partition:'));
    expect(lines).toEqual(sent.map((m, i) => [
      'Partition:0', `Offset:${i}`, `event-id:${m.headers['event-id']},event-type:${m.headers['event-type']}`, m.key, m.value,
    ].join('\t')));
    expect(run.stderr).toMatch(/Processed a total of 3 messages/);
  }, 120_000);

  it('without a topic prints its usage and exits with status 2', async () => {
    const run = await consume([], {}, 30_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/usage: npm run kafka:consume -- <topic>/);
  }, 60_000);
});
