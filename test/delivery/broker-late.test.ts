/**
 * Delivery to platforms when the broker cannot be reached as the gateway starts (issue 17): the
 * gateway's Kafka bootstrap address is a TCP proxy that is down at start-up. Records are taken and
 * stored meanwhile; once the broker can be reached, delivery starts by itself — no restart — and every
 * record reaches the platform (the file way) once.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FilePlatform } from '../../src/dev/file-platform.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { scratchDir } from '../../src/dev/scratch-dir.js';
import { TcpProxy } from '../../src/dev/tcp-proxy.js';
import { kafkaBrokers, startTestGateway, uniqueName, type TestGateway } from '../support/env.js';
import { observeFor } from '../support/wait.js';
import { deliveryHelpers } from './delivery-helpers.js';

const root = scratchDir('delivery-late-');
const dirs = { directory: join(root, 'drop'), feedbackDirectory: join(root, 'feedback'), archiveDirectory: join(root, 'archive') };
const name = uniqueName('bl').replaceAll('_', '-').toLowerCase();
const topic = `test.${name}.v1`;
let gw: TestGateway;
let proxy: TcpProxy;
let platform: FilePlatform;
const h = deliveryHelpers(() => gw);

beforeAll(async () => {
  const [host, port] = kafkaBrokers()[0]!.split(':');
  proxy = new TcpProxy({ host: host!, port: Number(port) });
  await proxy.start();
  await proxy.goDown();
  gw = await startTestGateway({
    kafka: { brokers: [`127.0.0.1:${proxy.port}`] },
    lifecycle: { expiryEnabled: false },
    destinations: [{ name, topic, categories: ['*'], regions: [], delivery: { way: 'file', ...dirs, feedbackPollMs: 100, maxBackoffMs: 1000 } }],
  });
  platform = new FilePlatform({ dropDirectory: dirs.directory, feedbackDirectory: dirs.feedbackDirectory, rejectMarker: '拒收', answerTwice: false });
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  platform.start();
}, 120_000);

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  await platform?.stop();
  await proxy?.stop();
});

it('starts delivering by itself once the broker can be reached, and every record stored meanwhile arrives once', async () => {
  const ids = await h.ingest(Array.from({ length: 5 }, (_, i) => sampleRecordInput('admin_license', 91_000 + i)));
  // longer than the Kafka client's own retries at start-up (a few hundred ms): delivery's start has failed by now
  await observeFor(5000, async () => {
    for (const id of ids) expect(await h.stateOf(id, name)).toBeUndefined();
  });
  await proxy.comeBack();
  for (const id of ids) await expect.poll(async () => (await h.stateOf(id, name))?.state, { timeout: 90_000 }).toBe('accepted');
  expect(platform.duplicates).toEqual([]);
}, 180_000);
