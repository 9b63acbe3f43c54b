/**
 * The outbox relay runs in a worker thread: what it publishes reaches the gateway's /metrics and the
 * relay status in /readyz; a thread that dies is started again and publishes what was left.
 */
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { startTestGateway, waitForOutboxDrained, type TestGateway } from '../support/env.js';

let gw: TestGateway;
const topic = () => gw.config.destinations.find((d) => d.name === 'prov')!.topic;
/** the thread reports by message: metrics and status catch up a moment after the outbox drains */
const POLL = { timeout: 20_000, interval: 50 };

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

async function push(from: number, count: number): Promise<void> {
  const records = Array.from({ length: count }, (_, i) => sampleRecordInput('dishonest_debtor', from + i));
  const res = await fetch(`${gw.url}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
  expect(res.status).toBe(200);
}

async function metric(series: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

const publishedOnProv = () => metric(`gateway_events_published_total{topic="${topic()}"}`);

async function relayStatus(): Promise<{ leader: boolean; brokerUp: boolean; lastSuccessAt: string | null }> {
  return ((await (await fetch(`${gw.url}/readyz`)).json()) as { checks: { relay: { leader: boolean; brokerUp: boolean; lastSuccessAt: string | null } } }).checks.relay;
}

it('reports what the thread published, and its CPU time, in /metrics, and its status in /readyz', async () => {
  await push(3_100_000, 12);
  expect(await waitForOutboxDrained(gw.ctx.pool)).toBe(0);
  await expect.poll(publishedOnProv, POLL).toBe(12);
  // the thread's start alone (its modules, its connections) takes more than the counter's 10 ms step
  expect(await metric('gateway_relay_thread_cpu_seconds_total')).toBeGreaterThan(0);
  await expect.poll(relayStatus, POLL).toMatchObject({ leader: true, brokerUp: true, lastSuccessAt: expect.any(String) });
});

it('starts a relay thread that died again, and it publishes what was left', async () => {
  const before = await publishedOnProv();
  const thread = (gw.ctx.relay as unknown as { worker: Worker | null }).worker;
  expect(thread).not.toBeNull();
  await thread!.terminate();
  await push(3_200_000, 7);
  expect(await waitForOutboxDrained(gw.ctx.pool)).toBe(0);
  await expect.poll(publishedOnProv, POLL).toBe(before + 7);
  expect((gw.ctx.relay as unknown as { worker: Worker | null }).worker).not.toBe(thread);
});
