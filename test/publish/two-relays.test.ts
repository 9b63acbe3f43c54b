/**
 * Two gateway processes on one database: both accept records, exactly one holds the relay lease at
 * a time, and no outbox row is published twice in normal running.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { createTestDatabase, readTopic, startTestGateway, testDestinations, uniqueName, waitForOutboxDrained, type TestGateway } from '../support/env.js';

let a: TestGateway;
let b: TestGateway;

beforeAll(async () => {
  const db = await createTestDatabase();
  const destinations = testDestinations(uniqueName('two'));
  a = await startTestGateway({ destinations, relay: { batchSize: 50 } }, db);
  b = await startTestGateway({ destinations, relay: { batchSize: 50 } }, db);
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await a?.db.drop();
});

it('publishes every outbox row exactly once with two relays running', async () => {
  const post = (gw: TestGateway, from: number) =>
    fetch(`${gw.url}/v1/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ records: Array.from({ length: 100 }, (_, i) => sampleRecordInput('admin_license', from + i)) }),
    }).then((r) => r.json() as Promise<any>);
  const answers = await Promise.all([post(a, 60_000), post(b, 60_100), post(a, 60_200), post(b, 60_300)]);
  expect(answers.map((x) => x.summary.created)).toEqual([100, 100, 100, 100]);
  expect(await waitForOutboxDrained(a.ctx.pool)).toBe(0);

  expect([a.ctx.relay!.status.leader, b.ctx.relay!.status.leader].filter(Boolean)).toHaveLength(1);
  const topic = a.config.destinations[0]!.topic;
  const msgs = await readTopic(topic, { until: (m) => m.length >= 400, settleMs: 1500 });
  expect(msgs).toHaveLength(400);
  expect(new Set(msgs.map((m) => m.headers['event-id'])).size).toBe(400);
});

it('the standby takes over the lease when the leader stops', async () => {
  const [leader, standby] = a.ctx.relay!.status.leader ? [a, b] : [b, a];
  await leader.stop();
  const res = await fetch(`${standby.url}/v1/records`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ records: [sampleRecordInput('admin_license', 61_000)] }),
  });
  expect(res.status).toBe(200);
  expect(await waitForOutboxDrained(standby.ctx.pool, 30_000)).toBe(0);
  // the relay thread reports its status after its round: the outbox can be seen drained before the report arrives
  await expect.poll(() => standby.ctx.relay!.status.leader, { timeout: 5000 }).toBe(true);
});
