/**
 * An operator re-delivers a record the platform rejected for a reason on its own side, now fixed:
 * POST /v1/records/:recordId/deliveries/:destination/redelivery queues the event again under a new
 * event id (state `queued`), the delivery hands it over, the platform's answer comes back. Parked
 * events are listed, and the alert detector raises the delivery alerts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FilePlatform, type FilePlatformOptions } from '../../src/dev/file-platform.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { scratchDir } from '../../src/dev/scratch-dir.js';
import { queueRedelivery } from '../../src/store/outbox-repo.js';
import { kafkaBrokers, startTestGateway, uniqueName, type TestGateway } from '../support/env.js';
import { deliveryHelpers } from './delivery-helpers.js';

const root = scratchDir('redelivery-');
const dirs = { directory: join(root, 'drop'), feedbackDirectory: join(root, 'feedback'), archiveDirectory: join(root, 'archive') };
const name = uniqueName('rd').replaceAll('_', '-').toLowerCase();
const topic = `test.${name}.v1`;
let gw: TestGateway;
let platform: FilePlatform;
const platformRules: FilePlatformOptions = { dropDirectory: dirs.directory, feedbackDirectory: dirs.feedbackDirectory, rejectMarker: '样例' };
const h = deliveryHelpers(() => gw);
const { post, get } = h;

beforeAll(async () => {
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  gw = await startTestGateway({
    lifecycle: { expiryEnabled: false },
    monitoring: { detectorIntervalMs: 100, deliveryRejectedShare: 0.5, deliveryRejectedMinAnswers: 4 },
    destinations: [{ name, topic, categories: ['*'], regions: [], delivery: { way: 'file', ...dirs, feedbackPollMs: 100, maxBackoffMs: 1000 } }],
  });
  platform = new FilePlatform(platformRules);
  platform.start();
});

afterAll(async () => {
  await platform?.stop();
  await gw?.stop();
  await gw?.db.drop();
});

const stateOf = (recordId: string) => h.stateOf(recordId, name);
const alertsOf = async (kind: string) => (await get(`/v1/alerts?kind=${kind}`)).body.alerts as Array<{ details: Record<string, unknown> }>;

it('a rejected record delivered again reaches the platform under a new event id and comes back accepted', async () => {
  // every sample subject name holds the marker: the platform rejects all four
  const res = await post('/v1/records', { records: [1, 2, 3, 4].map((i) => sampleRecordInput('admin_license', 86_000 + i)) });
  expect(res.status).toBe(200);
  const ids: string[] = res.body.results.map((r: { recordId: string }) => r.recordId);
  for (const id of ids) await expect.poll(async () => (await stateOf(id))?.state, { timeout: 60_000 }).toBe('rejected');
  const rejected = await stateOf(ids[0]!);

  // four of four answers rejected in the hour, over the share of 0.5: one alert for the destination
  await expect.poll(async () => (await alertsOf('delivery_rejections')).length, { timeout: 30_000 }).toBe(1);
  expect((await alertsOf('delivery_rejections'))[0]!.details).toMatchObject({ destination: name, answered: 4, rejected: 4, share: 1, threshold: 0.5 });

  platformRules.rejectMarker = '不会出现的标记';
  const again = await post(`/v1/records/${ids[0]}/deliveries/${name}/redelivery`, {});
  expect(again.status).toBe(202);
  expect(again.body.delivery).toMatchObject({ recordId: ids[0], destination: name, state: 'queued', recordVersion: rejected.recordVersion, reason: null });
  expect(again.body.delivery.eventId).not.toBe(rejected.eventId);
  // asked twice before it went out: the same event, queued once
  const twice = await post(`/v1/records/${ids[0]}/deliveries/${name}/redelivery`, {});
  expect(twice.status).toBe(202);
  expect(twice.body.delivery.eventId).toBe(again.body.delivery.eventId);

  await expect.poll(async () => (await stateOf(ids[0]!))?.state, { timeout: 60_000 }).toBe('accepted');
  expect((await stateOf(ids[0]!)).eventId).toBe(again.body.delivery.eventId);
  expect(platform.applied.get(again.body.delivery.eventId)).toMatchObject({ op: 'upsert', recordId: ids[0], version: rejected.recordVersion });
  expect(platform.duplicates).toEqual([]);
  // the others stay rejected
  expect((await stateOf(ids[1]!)).state).toBe('rejected');
  const { rows: [queued] } = await gw.ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE event_id = $1', [again.body.delivery.eventId]);
  expect(queued!.n).toBe(1);
  // the store's queue on its own: an event id already queued for the record and destination is not queued again
  await queueRedelivery(gw.ctx.pool, {
    eventId: again.body.delivery.eventId, destination: name, topic, type: 'record.upserted', recordId: ids[0]!,
    recordVersion: rejected.recordVersion, key: 'k', payload: null, maskPersonalIds: true,
  });
  const { rows: [still] } = await gw.ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE event_id = $1', [again.body.delivery.eventId]);
  expect(still!.n).toBe(1);
  // nothing to render again: a destination no longer configured, a version not stored, a type that is no record event
  const client = await gw.ctx.pool.connect();
  try {
    expect(await gw.ctx.outbox.redelivery(client, { ...rejected, destination: 'no-longer-configured' })).toBeNull();
    expect(await gw.ctx.outbox.redelivery(client, { ...rejected, recordVersion: rejected.recordVersion + 5 })).toBeNull();
    expect(await gw.ctx.outbox.redelivery(client, { ...rejected, eventType: 'alert.raised' })).toBeNull();
  } finally {
    client.release();
  }
  const { rows: [all] } = await gw.ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE record_id = $1', [ids[0]]);
  expect(all!.n).toBe(1);
}, 180_000);

it('re-delivery of a record never delivered there, or of an unknown destination, is a 404 with its code', async () => {
  const res = await post('/v1/records', { records: [sampleRecordInput('admin_license', 86_100)] });
  const other = await post(`/v1/records/${res.body.results[0].recordId}/deliveries/elsewhere/redelivery`, {});
  expect(other.status).toBe(404);
  expect(other.body.code).toBe('GW_DELIVERY_NOT_FOUND');
  const bad = await post(`/v1/records/not-a-uuid/deliveries/${name}/redelivery`, {});
  expect(bad.status).toBe(400);
});

it('a parked event is listed with its reason and raises a delivery_parked alert', async () => {
  const kafka = new Kafka({ clientId: 'test-parked', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: 'x', value: 'not json {' }] });
  await producer.disconnect();
  await expect.poll(async () => (await get(`/v1/deliveries/parked?destination=${name}`)).body.parked.length, { timeout: 60_000 }).toBe(1);
  const page = await get(`/v1/deliveries/parked?destination=${name}&limit=1`);
  expect(page.body.parked[0]).toMatchObject({ destination: name, topic, reason: 'the value is not JSON', eventId: null, valueExcerpt: 'not json {' });
  expect(page.body.hasMore).toBe(false);
  expect((await get(`/v1/deliveries/parked?destination=${name}&cursor=${page.body.nextCursor}`)).body.parked).toEqual([]);
  expect((await get(`/v1/deliveries/parked?destination=other&cursor=${page.body.nextCursor}`)).body.code).toBe('GW_CURSOR_INVALID');
  await expect.poll(async () => (await alertsOf('delivery_parked')).length, { timeout: 30_000 }).toBe(1);
  expect((await alertsOf('delivery_parked'))[0]!.details).toMatchObject({ destination: name, reason: 'the value is not JSON', eventId: null });
}, 120_000);
