/**
 * Delivery to platforms, the file way (issue 17), on the real PostgreSQL and broker: pushed records
 * reach the platform once each in packages; its rejections come back as feedback and show in
 * GET /v1/records/:id and GET /v1/deliveries; a changed rejected record is delivered again; a
 * retraction reaches the platform as a retract entry and is confirmed; a poison event is parked and
 * delivery goes on; feedback given twice changes nothing; a batch the platform's directory does not take
 * is tried again, with backoff, until it does.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FilePlatform } from '../../src/dev/file-platform.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { scratchDir } from '../../src/dev/scratch-dir.js';
import { listDeliveries } from '../../src/store/deliveries-repo.js';
import { kafkaBrokers, startTestGateway, uniqueName, type TestGateway } from '../support/env.js';
import { observeFor } from '../support/wait.js';
import { deliveryHelpers } from './delivery-helpers.js';

const MARKER = '拒收';
const root = scratchDir('delivery-');
const dirs = { directory: join(root, 'drop'), feedbackDirectory: join(root, 'feedback'), archiveDirectory: join(root, 'archive') };
const name = uniqueName('fw').replaceAll('_', '-').toLowerCase();
const topic = `test.${name}.v1`;
let gw: TestGateway;
let platform: FilePlatform;
const h = deliveryHelpers(() => gw);
const { get, ingest, revoke } = h;

beforeAll(async () => {
  gw = await startTestGateway({
    lifecycle: { expiryEnabled: false },
    destinations: [{ name, topic, categories: ['*'], regions: [], delivery: { way: 'file', ...dirs, feedbackPollMs: 100, maxBackoffMs: 1000 } }],
  });
  platform = new FilePlatform({ dropDirectory: dirs.directory, feedbackDirectory: dirs.feedbackDirectory, rejectMarker: MARKER, answerTwice: true });
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  platform.start();
});

afterAll(async () => {
  await platform?.stop();
  await gw?.stop();
  await gw?.db.drop();
});

const stateOf = (recordId: string) => h.stateOf(recordId, name);

it('delivers each record once, and the platform\'s rejections come back as delivery states', async () => {
  const items = Array.from({ length: 20 }, (_, i) => sampleRecordInput('admin_license', 81_000 + i, i < 2 ? { subject: { name: `${MARKER}样例企业${i}` } } : undefined));
  const ids = await ingest(items);
  await expect.poll(() => platform.applied.size, { timeout: 60_000 }).toBe(20);
  expect(platform.duplicates).toEqual([]);
  expect(platform.invalid).toEqual([]);
  await expect.poll(async () => (await stateOf(ids[0]!))?.state, { timeout: 30_000 }).toBe('rejected');
  const rejected = await stateOf(ids[0]!);
  expect(rejected).toMatchObject({ destination: name, recordVersion: 1, eventType: 'record.upserted', reason: `subject name contains "${MARKER}"`, field: '/subject/name' });
  await expect.poll(async () => (await stateOf(ids[19]!))?.state, { timeout: 30_000 }).toBe('accepted');
  const record = await get(`/v1/records/${ids[19]}`);
  expect(Object.keys(record.body)).toEqual(['record', 'versions', 'deliveries']);

  // the listing, page by page with the cursor
  await expect.poll(async () => (await get(`/v1/deliveries?destination=${name}&state=accepted`)).body.deliveries.length, { timeout: 30_000 }).toBe(18);
  const first = await get(`/v1/deliveries?destination=${name}&state=rejected&limit=1`);
  expect(first.body).toMatchObject({ hasMore: true });
  const second = await get(`/v1/deliveries?destination=${name}&state=rejected&limit=1&cursor=${first.body.nextCursor}`);
  expect(new Set([first.body.deliveries[0].recordId, second.body.deliveries[0].recordId])).toEqual(new Set(ids.slice(0, 2)));
  expect((await get(`/v1/deliveries?destination=${name}&state=rejected&cursor=${first.body.nextCursor}&limit=5`)).body.hasMore).toBe(false);

  // the platform answered every package twice: the states did not change, the files are archived
  await expect.poll(() => readdirSync(dirs.feedbackDirectory).filter((f) => f.endsWith('.json')).length, { timeout: 30_000 }).toBe(0);
  expect(readdirSync(dirs.archiveDirectory).length).toBeGreaterThanOrEqual(2);
  expect((await stateOf(ids[0]!)).state).toBe('rejected');

  // a rejected record whose content changes is delivered again, and this time accepted
  await ingest([sampleRecordInput('admin_license', 81_000, { subject: { name: '样例企业81000有限公司（更正）' } })]);
  await expect.poll(async () => {
    const s = await stateOf(ids[0]!);
    return [s.recordVersion, s.state];
  }, { timeout: 60_000 }).toEqual([2, 'accepted']);

  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  expect(metrics).toMatch(new RegExp(`gateway_deliveries_total\\{destination="${name}",state="delivered"\\} 21`));
  expect(metrics).toMatch(new RegExp(`gateway_deliveries_total\\{destination="${name}",state="rejected"\\} 2`));
  expect(metrics).toMatch(new RegExp(`gateway_delivery_consumer_lag\\{destination="${name}"\\} 0`));
}, 180_000);

it('a retraction reaches the platform as a retract entry, and the feedback confirms it', async () => {
  const [recordId] = await ingest([sampleRecordInput('dishonest_debtor', 82_001)]);
  await expect.poll(async () => (await stateOf(recordId!))?.state, { timeout: 60_000 }).toBe('accepted');
  await revoke(recordId!);
  await expect.poll(async () => {
    const s = await stateOf(recordId!);
    return [s.eventType, s.recordVersion, s.state];
  }, { timeout: 60_000 }).toEqual(['record.retracted', 4, 'accepted']);
  // a partner's listing holds only the records its grant covers
  const granted = await listDeliveries(gw.ctx.pool, { destination: name }, { categories: ['dishonest_debtor'], regions: null }, 0, 100);
  expect(granted.map((d) => d.recordId)).toEqual([recordId]);
  expect(await listDeliveries(gw.ctx.pool, { destination: name }, { categories: null, regions: ['11'] }, 0, 100)).toEqual([]);
  const retract = [...platform.applied.values()].find((e) => e.recordId === recordId && e.op === 'retract');
  expect(retract).toMatchObject({ op: 'retract', type: 'record.retracted', version: 4, status: 'revoked' });
  expect(retract).not.toHaveProperty('record');
}, 120_000);

it('a poison event is parked with its reason, and delivery goes on', async () => {
  const kafka = new Kafka({ clientId: 'test-poison', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: 'x', value: 'not json {' }, { key: 'y', value: JSON.stringify({ eventId: 'nope', type: 'record.upserted' }) }] });
  await producer.disconnect();
  const [after] = await ingest([sampleRecordInput('admin_license', 83_001)]);
  await expect.poll(async () => (await stateOf(after!))?.state, { timeout: 60_000 }).toBe('accepted');
  const { rows } = await gw.ctx.pool.query<{ reason: string }>('SELECT reason FROM delivery_parked WHERE destination = $1 ORDER BY kafka_offset', [name]);
  expect(rows.map((r) => r.reason)).toEqual(['the value is not JSON', 'eventId is missing or not a UUID']);
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  expect(metrics).toMatch(new RegExp(`gateway_deliveries_total\\{destination="${name}",state="parked"\\} 2`));
  expect(platform.duplicates).toEqual([]);
}, 120_000);

it('a batch the platform\'s directory does not take is tried again until it does', async () => {
  renameSync(dirs.directory, `${dirs.directory}.away`);
  writeFileSync(dirs.directory, 'not a directory');
  const [blocked] = await ingest([sampleRecordInput('admin_license', 84_001)]);
  // while the directory does not take the batch, nothing reaches the platform: watched for a bounded window
  await observeFor(2_000, async () => expect(await stateOf(blocked!)).toBeUndefined(), 200);
  rmSync(dirs.directory);
  renameSync(`${dirs.directory}.away`, dirs.directory);
  await expect.poll(async () => (await stateOf(blocked!))?.state, { timeout: 60_000 }).toBe('accepted');
  expect(platform.duplicates).toEqual([]);
}, 120_000);

it('an event the relay published twice (at least once) reaches the platform once', async () => {
  const [recordId] = await ingest([sampleRecordInput('admin_license', 85_001)]);
  await expect.poll(async () => (await stateOf(recordId!))?.state, { timeout: 60_000 }).toBe('accepted');
  // the message as the relay published it, read back from the topic and published again at a later offset
  await h.publishAgain(topic, recordId!);
  const [after] = await ingest([sampleRecordInput('admin_license', 85_002)]);
  await expect.poll(async () => (await stateOf(after!))?.state, { timeout: 60_000 }).toBe('accepted');
  expect(platform.duplicates).toEqual([]);
  const { rows: [packages] } = await gw.ctx.pool.query<{ events: number }>('SELECT sum(events)::int AS events FROM delivery_packages WHERE destination = $1', [name]);
  expect(packages!.events).toBe(platform.applied.size);
}, 120_000);

it('feedback for a package never recorded (written by a process that died before recording it) is applied by event id after the hold', async () => {
  const [recordId] = await ingest([sampleRecordInput('admin_license', 85_101)]);
  await expect.poll(async () => (await stateOf(recordId!))?.state, { timeout: 60_000 }).toBe('accepted');
  const { eventId } = await stateOf(recordId!);
  const file = join(dirs.feedbackDirectory, `${name}.p9.000000000000-000000000000.feedback.json`);
  writeFileSync(file, JSON.stringify({ format: 'credit-delivery-feedback/v1', package: `${name}.p9.000000000000-000000000000`, results: [{ eventId, outcome: 'rejected', reason: '孤儿回执', field: '/x' }] }));
  // younger than the hold: it waits for the package to be recorded
  await observeFor(500, async () => {
    expect(readdirSync(dirs.feedbackDirectory)).toContain(`${name}.p9.000000000000-000000000000.feedback.json`);
    expect((await stateOf(recordId!)).state).toBe('accepted');
  }, 100);
  // older than the hold: applied by event id and archived as .unrecorded
  const past = new Date(Date.now() - 3 * 60_000);
  utimesSync(file, past, past);
  await expect.poll(async () => (await stateOf(recordId!)).state, { timeout: 30_000 }).toBe('rejected');
  expect((await stateOf(recordId!)).reason).toBe('孤儿回执');
  await expect.poll(() => readdirSync(dirs.archiveDirectory).some((f) => f.startsWith(`${name}.p9.`) && f.endsWith('.unrecorded.json')), { timeout: 30_000 }).toBe(true);
}, 120_000);
