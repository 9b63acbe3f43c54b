/**
 * Broker down during ingest: records are still accepted and stored, /readyz and /metrics show the
 * backlog, and when the broker comes back every record arrives. Uses its own broker (other ports),
 * never the shared one.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config/load.js';
import { startLocalBroker, stopLocalBroker } from '../support/kafka.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { readTopic, startTestGateway, waitForOutboxDrained, type TestGateway } from '../support/env.js';

const broker = { port: 19192, controllerPort: 19193, dir: join(REPO_ROOT, 'data', 'kafka-outage-test') };
const brokers = [`127.0.0.1:${broker.port}`];
let gw: TestGateway;

beforeAll(async () => {
  rmSync(broker.dir, { recursive: true, force: true });
  await startLocalBroker(broker);
  gw = await startTestGateway({ kafka: { brokers, requestTimeoutMs: 5000, connectionTimeoutMs: 1000 }, relay: { maxBackoffMs: 1000 } });
}, 300_000);

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  await stopLocalBroker(broker);
  rmSync(broker.dir, { recursive: true, force: true });
}, 120_000);

async function post(records: unknown[]) {
  const res = await fetch(`${gw.url}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
  return { status: res.status, body: (await res.json()) as any };
}

it('accepts and stores records while the broker is down, shows the backlog, and catches up when it returns', async () => {
  const topic = gw.config.destinations[0]!.topic;
  const before = Array.from({ length: 50 }, (_, i) => sampleRecordInput('admin_license', 80_000 + i));
  expect((await post(before)).body.summary.created).toBe(50);
  expect(await waitForOutboxDrained(gw.ctx.pool)).toBe(0);

  await stopLocalBroker(broker);
  const during = Array.from({ length: 200 }, (_, i) => sampleRecordInput('dishonest_debtor', 81_000 + i));
  for (let i = 0; i < during.length; i += 50) {
    const r = await post(during.slice(i, i + 50));
    expect(r.status).toBe(200);
    expect(r.body.summary.created).toBe(50);
  }

  const ready = await (await fetch(`${gw.url}/readyz`)).json() as any;
  expect(ready.status).toBe('degraded');
  expect(ready.checks.kafka).toBe('down');
  expect(ready.outbox.backlog).toBeGreaterThanOrEqual(200);
  expect((await fetch(`${gw.url}/readyz?strict=true`)).status).toBe(503);
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  const backlog = Number(/gateway_outbox_backlog (\d+)/.exec(metrics)?.[1]);
  expect(backlog).toBeGreaterThanOrEqual(200);

  await startLocalBroker(broker);
  expect(await waitForOutboxDrained(gw.ctx.pool, 120_000)).toBe(0);
  const msgs = await readTopic(topic, { brokers, until: (m) => m.length >= 250, timeoutMs: 60_000, settleMs: 500 });
  const keys = new Set(msgs.map((m) => m.value.record.source.key));
  for (const r of [...before, ...during]) expect(keys.has(r.source.key), r.source.key).toBe(true);
  expect(((await (await fetch(`${gw.url}/readyz`)).json()) as any).status).toBe('ready');
}, 300_000);
